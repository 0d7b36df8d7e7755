//! Driver errors mapped to the ports', in one place. A database that cannot be reached, or is
//! too busy to take a write in time, becomes [`PortError::Unavailable`]; anything else is
//! [`PortError::Unexpected`], except that a new account's violation of the email index becomes
//! [`CreateUserError::EmailTaken`]. The driver error travels as the `source`, for logs only:
//! the ports' messages never contain SQL or values.

use postern_core::ports::{CreateUserError, PortError};
use sea_orm::sqlx::error::DatabaseError;
use sea_orm::{DbErr, RuntimeErr, SqlErr, sqlx};

/// Where the index name appears in each backend's unique-violation message: PostgreSQL names
/// the index, SQLite names the column.
const EMAIL_INDEX_MARKERS: [&str; 2] = ["users_email_key", "users.email"];

/// Maps a SeaORM error to the ports'.
pub(crate) fn db_error(err: DbErr) -> PortError {
    if is_unavailable(&err) {
        PortError::unavailable(err)
    } else {
        PortError::unexpected(err)
    }
}

/// Maps a SeaORM error of storing a new account: [`db_error`], but a taken email is said so.
pub(crate) fn creation_error(err: DbErr) -> CreateUserError {
    if is_email_taken(&err) {
        CreateUserError::EmailTaken
    } else {
        db_error(err).into()
    }
}

/// A stored value that no longer passes the domain's rules: a bug or a hand-edited row.
#[derive(Debug, thiserror::Error)]
#[error("stored {column} is invalid: {reason}")]
pub(super) struct InvalidRow {
    column: &'static str,
    reason: String,
}

/// The error for a stored `column` the domain refuses, with the domain's `reason`.
pub(super) fn invalid_row(column: &'static str, reason: impl Into<String>) -> PortError {
    PortError::unexpected(InvalidRow {
        column,
        reason: reason.into(),
    })
}

fn is_email_taken(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(SqlErr::UniqueConstraintViolation(message))
            if EMAIL_INDEX_MARKERS.iter().any(|marker| message.contains(marker))
    )
}

fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(cause)) | DbErr::Query(RuntimeErr::SqlxError(cause)) => {
            match cause.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => is_transient(db.as_ref()),
                _ => false,
            }
        }
        _ => false,
    }
}

/// PostgreSQL connection failures and shutdowns (SQLSTATE class 08, 57P01-57P03), and SQLite's
/// BUSY and LOCKED once the busy timeout has run out: the database is there but cannot serve.
fn is_transient(err: &dyn DatabaseError) -> bool {
    let Some(code) = err.code() else {
        return false;
    };
    if err
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
    {
        // Extended result codes keep the primary code in the low byte.
        return code
            .parse::<i32>()
            .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6));
    }
    code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
}
