//! Driver errors mapped to the domain's, in one place. A unique violation of the email index
//! becomes [`Error::EmailTaken`]; a database that cannot be reached, or is too busy to take a
//! write in time, becomes [`Error::Unavailable`]; anything else is [`Error::Unexpected`]. The
//! driver error travels as the `source`, for logs only: the domain errors' messages never
//! contain SQL or values.

use postern_core::Error;
use sea_orm::sqlx::error::DatabaseError;
use sea_orm::{DbErr, RuntimeErr, SqlErr, sqlx};

/// Where the index name appears in each backend's unique-violation message: PostgreSQL names
/// the index, SQLite names the column.
const EMAIL_INDEX_MARKERS: [&str; 2] = ["users_email_key", "users.email"];

/// Maps a SeaORM error to the domain's.
pub(crate) fn db_error(err: DbErr) -> Error {
    if is_email_taken(&err) {
        Error::EmailTaken
    } else if is_unavailable(&err) {
        Error::unavailable(err)
    } else {
        Error::unexpected(err)
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
pub(super) fn invalid_row(column: &'static str, reason: impl Into<String>) -> Error {
    Error::unexpected(InvalidRow {
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
