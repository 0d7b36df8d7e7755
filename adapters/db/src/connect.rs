//! Opening and checking the database: one place that decides pool sizes, timeouts and the
//! SQLite pragmas, for PostgreSQL (`postgres://...`) and SQLite (`sqlite://...`) URLs alike.
//!
//! SQLite is tuned for a small service that writes from several tasks at once: the file is
//! created when missing, readable by its owner only (the WAL and shared-memory files take the
//! database's mode), WAL lets readers run beside the one writer, foreign keys are enforced,
//! and a busy timeout makes a second writer wait for the lock instead of failing. An in-memory
//! SQLite database lives only as long as its connections, so its pool keeps exactly one open.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use postern_core::ports::PortError;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use super::error::db_error;

/// Pool size for a server database, unless configured (`DATABASE_MAX_CONNECTIONS`).
const MAX_CONNECTIONS: u32 = 10;
/// Pool size for a SQLite file, unless configured: one writer at a time, a few readers beside
/// it.
const SQLITE_MAX_CONNECTIONS: u32 = 4;
/// How long to wait for a connection, or for SQLite's write lock, before giving up.
const WAIT: Duration = Duration::from_secs(5);
/// How long an unused pooled connection is kept.
const IDLE: Duration = Duration::from_secs(600);

/// The connection options Postern uses for `url`, for callers that want to adjust them (a
/// schema search path, a smaller pool) before [`connect_with`].
pub fn connect_options(url: &str) -> ConnectOptions {
    pool_options(url, None)
}

/// [`connect_options`] with a pool of at most `max_connections` (`None`: 10 on a server, 4 on a
/// SQLite file). An in-memory SQLite database keeps its single connection whatever the
/// setting: a second one would be another database.
pub fn pool_options(url: &str, max_connections: Option<NonZeroU32>) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(WAIT)
        .acquire_timeout(WAIT)
        // sqlx would log every statement at info level; SeaORM's own tracing spans suffice.
        .sqlx_logging(false);
    if is_sqlite_memory(url) {
        // Closing the last connection would drop the database.
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .map_sqlx_sqlite_opts(|o| sqlite_pragmas(o, false));
    } else if url.starts_with("sqlite:") {
        options
            .max_connections(max_connections.map_or(SQLITE_MAX_CONNECTIONS, NonZeroU32::get))
            .idle_timeout(IDLE)
            .map_sqlx_sqlite_opts(|o| sqlite_pragmas(o, true));
    } else {
        options
            .max_connections(max_connections.map_or(MAX_CONNECTIONS, NonZeroU32::get))
            .idle_timeout(IDLE);
    }
    options
}

/// Opens a connection pool to `url` with [`connect_options`].
///
/// # Errors
/// [`PortError::Unavailable`] when the database cannot be opened: unreachable, refusing us, or
/// named by a URL no driver accepts.
pub async fn connect(url: &str) -> Result<DatabaseConnection, PortError> {
    connect_pooled(url, None).await
}

/// Opens a connection pool to `url` with [`pool_options`]: at most `max_connections`.
///
/// # Errors
/// As [`connect`].
pub async fn connect_pooled(
    url: &str,
    max_connections: Option<NonZeroU32>,
) -> Result<DatabaseConnection, PortError> {
    if url.starts_with("sqlite:") && !is_sqlite_memory(url) {
        create_private_file(url)?;
    }
    connect_with(pool_options(url, max_connections)).await
}

/// Creates the SQLite file of `url` with mode 0600 if it does not exist yet: SQLite would create
/// it as the umask allows, usually 0644, readable by every user of the machine. An existing
/// file keeps the mode its owner gave it.
fn create_private_file(url: &str) -> Result<(), PortError> {
    use std::os::unix::fs::OpenOptionsExt;
    let options = SqliteConnectOptions::from_str(url).map_err(PortError::unavailable)?;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(options.get_filename());
    match created {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(PortError::unavailable(error)),
    }
}

/// Opens a connection pool with adjusted `options`, e.g. for a test's own PostgreSQL schema:
/// `connect_options(url).set_schema_search_path(schema)`.
///
/// # Errors
/// As [`connect`].
pub async fn connect_with(options: ConnectOptions) -> Result<DatabaseConnection, PortError> {
    Database::connect(options).await.map_err(db_error)
}

/// Checks that the database answers, for readiness probes.
///
/// # Errors
/// [`PortError::Unavailable`] when it does not.
pub async fn ping(db: &DatabaseConnection) -> Result<(), PortError> {
    db.ping().await.map_err(db_error)
}

fn is_sqlite_memory(url: &str) -> bool {
    url.starts_with("sqlite:") && (url.contains(":memory:") || url.contains("mode=memory"))
}

fn sqlite_pragmas(options: SqliteConnectOptions, file: bool) -> SqliteConnectOptions {
    let options = options.foreign_keys(true).busy_timeout(WAIT);
    if file {
        options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable enough with WAL, and much faster than FULL.
            .synchronous(SqliteSynchronous::Normal)
    } else {
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_size_is_the_configured_one_or_the_backends_default() {
        let ten = NonZeroU32::new(10);
        let size = |url: &str, max| pool_options(url, max).get_max_connections();

        assert_eq!(size("postgres://db/postern", None), Some(MAX_CONNECTIONS));
        assert_eq!(size("postgres://db/postern", NonZeroU32::new(25)), Some(25));
        assert_eq!(
            size("sqlite://postern.db", None),
            Some(SQLITE_MAX_CONNECTIONS)
        );
        assert_eq!(size("sqlite://postern.db", ten), Some(10));
        assert_eq!(size("sqlite::memory:", ten), Some(1));
    }
}
