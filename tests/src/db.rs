//! Fresh, migrated databases, one per test, so that tests run in parallel without seeing each
//! other's rows.
//!
//! - PostgreSQL: a new schema `t_<uuid>` in the database at `TEST_DATABASE_URL` (default
//!   [`DEFAULT_POSTGRES_URL`]), used as the connection's `search_path`. Dropping a [`TestDb`]
//!   drops its schema.
//! - SQLite: a new database file in its own temporary directory, opened the way production opens
//!   one (WAL, busy timeout, several connections), so that concurrency tests are real. Dropping a
//!   [`TestDb`] deletes the directory.

use std::fmt;
use std::ops::Deref;
use std::path::PathBuf;

use postern_db::{connect, connect_options, connect_with};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

/// The PostgreSQL database tests use unless `TEST_DATABASE_URL` says otherwise.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Connections per test database: enough for the concurrency tests, few enough that parallel
/// tests stay far below PostgreSQL's connection limit.
const POOL_SIZE: u32 = 5;

/// A database engine the adapters support.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL, at `TEST_DATABASE_URL`.
    Postgres,
    /// SQLite, in a temporary file.
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Postgres => "postgres",
            Self::Sqlite => "sqlite",
        })
    }
}

/// A fresh, migrated database; derefs to its connection pool. Dropping it removes the
/// database.
pub struct TestDb {
    db: DatabaseConnection,
    url: String,
    /// `None` once the database is kept.
    place: Option<Place>,
}

/// Where a test database lives, so that it can be removed.
enum Place {
    Schema { server_url: String, name: String },
    Directory(PathBuf),
}

impl TestDb {
    /// A clone of the connection pool, for adapters that own one.
    pub fn connection(&self) -> DatabaseConnection {
        self.db.clone()
    }

    /// A URL that opens this same database, e.g. for a server under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes this handle but keeps the database, and returns its URL.
    pub fn keep(mut self) -> String {
        self.place = None;
        std::mem::take(&mut self.url)
    }
}

impl Deref for TestDb {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self.place.take() {
            None => {}
            Some(Place::Schema { server_url, name }) => drop_schema(server_url, name),
            Some(Place::Directory(dir)) => {
                // Best effort: a leftover file in the temp directory harms nobody.
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

/// A new, migrated database on `backend`.
///
/// # Panics
/// When the database cannot be created or migrated: the test cannot run without it.
pub async fn fresh_database(backend: Backend) -> TestDb {
    let test_db = empty_database(backend).await;
    postern_migration::apply_pending(&test_db.db)
        .await
        .unwrap_or_else(|e| panic!("migrating the {backend} test database: {e}"));
    test_db
}

/// A new database on `backend` that was never migrated: no table at all.
///
/// # Panics
/// When the database cannot be created.
pub async fn empty_database(backend: Backend) -> TestDb {
    match backend {
        Backend::Postgres => fresh_postgres().await,
        Backend::Sqlite => fresh_sqlite().await,
    }
}

/// The URL of a new, migrated database on `backend`, for code that opens its own connections.
/// Unlike [`fresh_database`], nothing removes it afterwards: a PostgreSQL schema is cheap, and
/// a SQLite file stays in the system's temporary directory.
///
/// # Panics
/// As [`fresh_database`].
pub async fn fresh_database_url(backend: Backend) -> String {
    fresh_database(backend).await.keep()
}

fn postgres_server_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

async fn fresh_postgres() -> TestDb {
    let server_url = postgres_server_url();
    let name = format!("t_{}", Uuid::new_v4().simple());
    let admin = connect(&server_url)
        .await
        .unwrap_or_else(|e| panic!("connecting to PostgreSQL at {server_url}: {e:?}"));
    admin
        .execute_unprepared(&format!("CREATE SCHEMA \"{name}\""))
        .await
        .unwrap_or_else(|e| panic!("creating schema {name}: {e}"));
    let _ = admin.close().await;
    let mut options = connect_options(&server_url);
    options
        .set_schema_search_path(name.clone())
        .max_connections(POOL_SIZE);
    let db = connect_with(options)
        .await
        .unwrap_or_else(|e| panic!("connecting to schema {name}: {e:?}"));
    let separator = if server_url.contains('?') { '&' } else { '?' };
    TestDb {
        db,
        url: format!("{server_url}{separator}options[search_path]={name}"),
        place: Some(Place::Schema { server_url, name }),
    }
}

async fn fresh_sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(format!("postern-test-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let url = format!("sqlite://{}?mode=rwc", dir.join("postern.db").display());
    let db = connect(&url)
        .await
        .unwrap_or_else(|e| panic!("opening {url}: {e:?}"));
    TestDb {
        db,
        url,
        place: Some(Place::Directory(dir)),
    }
}

/// Drops a test's schema from a thread of its own, because `Drop` cannot await and the test's
/// runtime may be shutting down.
fn drop_schema(server_url: String, name: String) {
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let admin = connect(&server_url).await.map_err(|e| format!("{e:?}"))?;
            let result = admin
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
                .await;
            let _ = admin.close().await;
            result.map(|_| ()).map_err(|e| e.to_string())
        })
    })
    .join();
    if let Ok(Err(error)) = dropped {
        eprintln!("could not drop a test schema: {error}");
    }
}
