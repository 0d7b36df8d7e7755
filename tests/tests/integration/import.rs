//! `postern import backlume` (issue 4): Backlume's users, with their bcrypt hashes, land in
//! Postern's database once however often the import runs, log in with their old passwords,
//! and have their hashes upgraded to Argon2id at that first login.
//!
//! The Backlume database is a fresh PostgreSQL schema whose `users` table is replaced by
//! Backlume's; Postern's own database is the server's, on each backend.

use std::process::Command;
use std::sync::Arc;

use postern_core::usecases::ImportUsers;
use postern_db::BacklumeSource;
use postern_db::SeaImportTarget;
use postern_tests::app::{PASSWORD, TestApp, spawn_app};
use postern_tests::cli::postern_binary;
use postern_tests::db::{Backend, TestDb, fresh_database};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use secrecy::SecretString;
use serde_json::json;

on_both_backends!(
    backlume_users_are_imported_once_and_log_in_with_their_old_passwords,
    the_import_use_case_reads_in_batches_and_changes_nothing_on_a_rerun,
);

const ADA_ID: &str = "00000000-0000-4000-8000-000000000001";
const BOB_ID: &str = "00000000-0000-4000-8000-000000000002";
const OLD_PASSWORD: &str = "backlume-old-password";

/// Backlume's users table, in a schema of its own.
async fn backlume_database() -> TestDb {
    let db = fresh_database(Backend::Postgres).await;
    db.execute_unprepared(
        "DROP TABLE users CASCADE;
         CREATE TABLE users (
             id uuid PRIMARY KEY,
             email varchar(255) NOT NULL UNIQUE,
             password_hash varchar(255) NOT NULL,
             role varchar(20) NOT NULL DEFAULT 'user',
             is_verified boolean NOT NULL DEFAULT false,
             created_at timestamptz NOT NULL DEFAULT now(),
             updated_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await
    .unwrap();
    db
}

async fn insert_backlume_user(db: &TestDb, id: &str, email: &str, hash: &str, role: &str) {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO users (id, email, password_hash, role, is_verified) \
         VALUES ($1::uuid, $2, $3, $4, true)",
        [id.into(), email.into(), hash.into(), role.into()],
    ))
    .await
    .unwrap();
}

fn bcrypt(password: &str) -> String {
    bcrypt::hash(password, 4).unwrap()
}

/// Two good users, three invalid rows, and one whose email a Postern account already has.
async fn seed_backlume(db: &TestDb) {
    insert_backlume_user(
        db,
        ADA_ID,
        " Ada@Example.COM",
        &bcrypt(OLD_PASSWORD),
        "admin",
    )
    .await;
    insert_backlume_user(db, BOB_ID, "bob@example.com", &bcrypt(OLD_PASSWORD), "user").await;
    let hash = bcrypt(OLD_PASSWORD);
    let rows = [
        (
            "00000000-0000-4000-8000-000000000003",
            "not-an-email",
            hash.as_str(),
            "user",
        ),
        (
            "00000000-0000-4000-8000-000000000004",
            "eve@example.com",
            hash.as_str(),
            "superuser",
        ),
        (
            "00000000-0000-4000-8000-000000000005",
            "mallory@example.com",
            "plaintext",
            "user",
        ),
        (
            "00000000-0000-4000-8000-000000000006",
            "carol@example.com",
            hash.as_str(),
            "user",
        ),
    ];
    for (id, email, hash, role) in rows {
        insert_backlume_user(db, id, email, hash, role).await;
    }
}

/// Runs `postern import backlume` against `app`'s database and returns the summary's
/// read, imported, skipped and invalid counts.
fn run_import_cli(app: &TestApp, source: &TestDb) -> [u64; 4] {
    let data_dir = tempfile::tempdir().unwrap();
    let output = Command::new(postern_binary())
        .args(["import", "backlume", "--batch-size", "2"])
        .env_clear()
        .env("DATABASE_URL", app.db.url())
        .env("BACKLUME_DATABASE_URL", source.url())
        .env("POSTERN_DATA_DIR", data_dir.path())
        .env("MIGRATE_ON_START", "false")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    ["read:", "imported:", "skipped:", "invalid:"].map(|label| {
        stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {label} count in:\n{stdout}"))
    })
}

async fn stored_hash(db: &TestDb, id: &str) -> String {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, password_hash FROM users",
        ))
        .await
        .unwrap();
    rows.iter()
        .find(|row| {
            let stored: uuid::Uuid = row.try_get("", "id").unwrap();
            stored.to_string() == id
        })
        .map(|row| row.try_get("", "password_hash").unwrap())
        .unwrap_or_else(|| panic!("no user {id}"))
}

async fn backlume_users_are_imported_once_and_log_in_with_their_old_passwords(backend: Backend) {
    let app = spawn_app(backend).await;
    let source = backlume_database().await;
    seed_backlume(&source).await;
    let carol = app.signup("carol@example.com", PASSWORD).await;
    assert_eq!(carol.status, StatusCode::CREATED, "{}", carol.text);

    let first = run_import_cli(&app, &source);
    let wrong = app.login("bob@example.com", "not-the-old-password").await;
    let ada = app.login("ada@example.com", OLD_PASSWORD).await;
    let second = run_import_cli(&app, &source);

    assert_eq!(first, [6, 2, 1, 3], "read, imported, skipped, invalid");
    assert_eq!(second, [6, 0, 3, 3], "a re-run imports nothing");
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.text);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert!(stored_hash(&app.db, BOB_ID).await.starts_with("$2b$"));
    assert_eq!(ada.status, StatusCode::OK, "{}", ada.text);
    let user = &ada.body["data"]["user"];
    assert_eq!(user["id"], json!(ADA_ID));
    assert_eq!(user["email"], json!("ada@example.com"));
    assert_eq!(user["role"], json!("admin"));
    assert_eq!(user["emailVerified"], json!(true));
    // The upgrade survived the re-run: the import never overwrites an existing account.
    assert!(stored_hash(&app.db, ADA_ID).await.starts_with("$argon2id$"));
    let again = app.login("ada@example.com", OLD_PASSWORD).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    let carol_login = app.login("carol@example.com", PASSWORD).await;
    assert_eq!(
        carol_login.status,
        StatusCode::OK,
        "the existing account is kept"
    );
}

async fn the_import_use_case_reads_in_batches_and_changes_nothing_on_a_rerun(backend: Backend) {
    let target = fresh_database(backend).await;
    let source = backlume_database().await;
    seed_backlume(&source).await;
    let import = ImportUsers::new(
        Arc::new(
            BacklumeSource::connect(&SecretString::from(source.url().to_owned()))
                .await
                .unwrap(),
        ),
        Arc::new(SeaImportTarget::new(target.connection())),
        4,
    );

    let first = import.execute().await.unwrap();
    let second = import.execute().await.unwrap();

    assert_eq!((first.read, first.imported, first.skipped()), (6, 3, 0));
    assert_eq!(first.invalid.len(), 3);
    assert_eq!((second.read, second.imported), (6, 0));
    assert_eq!((second.already_present, second.email_taken.len()), (3, 0));
    assert!(stored_hash(&target, ADA_ID).await.starts_with("$2b$"));
}
