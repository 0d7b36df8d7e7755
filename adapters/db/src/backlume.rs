//! [`UserSource`] on Backlume's PostgreSQL database: its
//! `users(id uuid, email, password_hash, role, is_verified, created_at, updated_at)` table,
//! read in id order with keyset pagination, so that batches stay cheap however far the import
//! has got and rows added meanwhile are not skipped.
//!
//! Columns are cast in SQL to the types read here (`role` may be an enum, `email` a citext,
//! the timestamps with or without time zone; the latter are taken in the session's time
//! zone), so that only NULLs, never types, vary from row to row. The URL may carry a password:
//! it is held as a secret and appears in no error or log line.

use async_trait::async_trait;
use postern_core::domain::SourceUser;
use postern_core::ports::UserSource;
use postern_core::ports::{PortError, PortResult};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::{connect_options, connect_with, db_error};

/// Connections the import holds on the source: it reads one batch at a time.
const SOURCE_CONNECTIONS: u32 = 2;

const COLUMNS: &str = "SELECT id, email::text AS email, password_hash::text AS password_hash, \
     role::text AS role, is_verified::boolean AS is_verified, \
     created_at::timestamptz AS created_at, updated_at::timestamptz AS updated_at FROM users";

/// Why the source cannot be used; never carries the URL.
#[derive(Debug, thiserror::Error)]
enum SourceError {
    #[error("the Backlume database URL must start with postgres:// or postgresql://")]
    NotPostgres,
    #[error("a Backlume users row has a column of an unexpected type")]
    Column(#[source] sea_orm::DbErr),
}

/// Reads Backlume's users.
pub struct BacklumeSource {
    db: DatabaseConnection,
}

impl BacklumeSource {
    /// Connects to Backlume's database at `url` (`postgres://...`).
    ///
    /// # Errors
    /// [`PortError::Unexpected`] for a URL that is not PostgreSQL's; [`PortError::Unavailable`]
    /// when the database cannot be reached.
    pub async fn connect(url: &SecretString) -> PortResult<Self> {
        let url = url.expose_secret();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(PortError::unexpected(SourceError::NotPostgres));
        }
        let mut options = connect_options(url);
        options.max_connections(SOURCE_CONNECTIONS);
        Ok(Self {
            db: connect_with(options).await?,
        })
    }
}

#[async_trait]
impl UserSource for BacklumeSource {
    async fn batch(&self, after: Option<Uuid>, limit: u64) -> PortResult<Vec<SourceUser>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let statement = match after {
            None => Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("{COLUMNS} ORDER BY id LIMIT $1"),
                [limit.into()],
            ),
            Some(after) => Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("{COLUMNS} WHERE id > $1 ORDER BY id LIMIT $2"),
                [after.into(), limit.into()],
            ),
        };
        let rows = self.db.query_all_raw(statement).await.map_err(db_error)?;
        rows.iter().map(to_source_user).collect()
    }
}

fn to_source_user(row: &QueryResult) -> PortResult<SourceUser> {
    let column = |error| PortError::unexpected(SourceError::Column(error));
    Ok(SourceUser {
        id: row.try_get("", "id").map_err(column)?,
        email: row.try_get("", "email").map_err(column)?,
        password_hash: row.try_get("", "password_hash").map_err(column)?,
        role: row.try_get("", "role").map_err(column)?,
        email_verified: row.try_get("", "is_verified").map_err(column)?,
        created_at: row.try_get("", "created_at").map_err(column)?,
        updated_at: row.try_get("", "updated_at").map_err(column)?,
    })
}
