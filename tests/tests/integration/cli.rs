//! `postern user` (issue 4): the built binary, run against a test database with the password on
//! standard input, and the accounts it makes used over HTTP.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use postern_tests::app::{PASSWORD, TestApp, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use serde_json::json;

use postern_tests::cli::postern_binary;

/// Runs `postern user <args>` on `app`'s database with `stdin` piped in.
fn postern_user(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(postern_binary())
        .arg("user")
        .args(args)
        .env_clear()
        .env("DATABASE_URL", app.db.url())
        .env("POSTERN_DATA_DIR", data_dir.path())
        .env("MIGRATE_ON_START", "false")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_reads_the_password_from_stdin_and_the_admin_can_log_in() {
    let app = spawn_app(Backend::Postgres).await;

    let created = postern_user(
        &app,
        &[
            "create-admin",
            "--email",
            " Root@Example.com ",
            "--name",
            "Root",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(created.status.success(), "{}", text(&created.stderr));

    let login = app.login("root@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert_eq!(login.body["data"]["user"]["role"], json!("admin"));
    assert_eq!(login.body["data"]["user"]["name"], json!("Root"));
    let access = login.body["data"]["accessToken"].as_str().unwrap();
    assert_eq!(app.audit(access, "").await.status, StatusCode::OK);
    // The password never appears in what the command printed.
    let printed = text(&created.stdout) + &text(&created.stderr);
    assert!(!printed.contains(PASSWORD), "{printed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_refuses_a_weak_password_and_a_taken_email() {
    let app = spawn_app(Backend::Postgres).await;
    let existing = app.signed_in_user().await;

    let weak = postern_user(
        &app,
        &["create-admin", "--email", "new@example.com"],
        "short\n",
    );
    let taken = postern_user(
        &app,
        &["create-admin", "--email", &existing.email],
        &format!("{PASSWORD}\n"),
    );

    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("at least 8 characters"),
        "{}",
        text(&weak.stderr)
    );
    assert_eq!(
        app.login("new@example.com", "short").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(!taken.status.success());
    assert!(
        text(&taken.stderr).contains("set-role"),
        "{}",
        text(&taken.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_role_changes_the_role_an_http_login_sees() {
    let app = spawn_app(Backend::Postgres).await;
    let user = app.signed_in_user().await;

    let promoted = postern_user(
        &app,
        &["set-role", "--email", &user.email, "--role", "manager"],
        "",
    );
    let unknown = postern_user(
        &app,
        &[
            "set-role",
            "--email",
            "nobody@example.com",
            "--role",
            "admin",
        ],
        "",
    );

    assert!(promoted.status.success(), "{}", text(&promoted.stderr));
    let login = app.login(&user.email, PASSWORD).await;
    assert_eq!(login.body["data"]["user"]["role"], json!("manager"));
    let access = login.body["data"]["accessToken"].as_str().unwrap();
    assert_eq!(app.list_users(access, "").await.status, StatusCode::OK);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("no account"),
        "{}",
        text(&unknown.stderr)
    );
}
