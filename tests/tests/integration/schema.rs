//! The database schema as an operator meets it (issue 12): `postern migrate status` answers
//! on standard output, `serve` refuses a schema that is not migrated naming the command that
//! migrates it, and a first start that migrates says so in one log line.

use postern_tests::cli::run_postern;
use postern_tests::db::{Backend, empty_database};
use postern_tests::process::ServeProcess;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn migrate_status_prints_the_pending_then_the_applied_migrations_on_stdout() {
    let db = empty_database(Backend::Postgres).await;
    // At warn, no log line could stand in for the answer.
    let env = [("DATABASE_URL", db.url()), ("RUST_LOG", "warn")];

    let before = run_postern(&["migrate", "status"], &env);
    let migrated = run_postern(&["migrate"], &env);
    let after = run_postern(&["migrate", "status"], &env);

    for out in [&before, &migrated, &after] {
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let (before, after) = (text(&before.stdout), text(&after.stdout));
    let first = "m20261122_000001_create_users";
    assert!(before.contains(&format!("pending  {first}")), "{before}");
    assert!(!before.contains("applied  "), "{before}");
    assert!(
        before.contains("run `postern migrate` to apply them"),
        "{before}"
    );
    assert!(after.contains(&format!("applied  {first}")), "{after}");
    assert!(!after.contains("pending  "), "{after}");
    assert!(after.contains("none pending"), "{after}");
    assert_eq!(
        before
            .lines()
            .filter(|l| l.starts_with("pending  "))
            .count(),
        after.lines().filter(|l| l.starts_with("applied  ")).count(),
        "every migration pending before is applied after:\n{before}\n{after}"
    );
    assert!(text(&migrated.stdout).contains(&format!("applied  {first}")));
}

/// Runs `postern serve` on `database_url` with `env` on top, expects it to exit 1 at once, and
/// returns what it said. No message may carry PostgreSQL's source line (`at line 1392`).
fn serve_refusal(database_url: &str, env: &[(&str, &str)]) -> String {
    let mut env = env.to_vec();
    env.extend([
        ("DATABASE_URL", database_url),
        ("PORT", "0"),
        ("RUST_LOG", "warn"),
    ]);

    let out = run_postern(&["serve"], &env);

    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("at line"), "{stderr}");
    stderr
}

#[tokio::test]
async fn serve_on_an_unmigrated_postgres_database_exits_naming_postern_migrate() {
    let db = empty_database(Backend::Postgres).await;

    let stderr = serve_refusal(db.url(), &[("MIGRATE_ON_START", "false")]);

    assert!(stderr.contains("not migrated"), "{stderr}");
    assert_eq!(
        stderr.matches("`postern migrate`").count(),
        1,
        "the command is named once:\n{stderr}"
    );
}

#[test]
fn a_connection_error_is_said_once_without_the_servers_source_line() {
    let stderr = serve_refusal("postgres://no_such_role@127.0.0.1:5432/test", &[]);

    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert_eq!(
        stderr.matches("\"no_such_role\"").count(),
        1,
        "the cause is said once:\n{stderr}"
    );
}

#[test]
fn the_first_start_logs_one_line_for_all_its_migrations() {
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(data.path(), &[]);

    server.terminate();
    let (status, output) = server.wait();

    assert!(status.success(), "{output}");
    let migration_lines: Vec<&str> = output.lines().filter(|l| l.contains("igrat")).collect();
    assert_eq!(migration_lines.len(), 1, "{migration_lines:#?}");
    assert!(
        migration_lines[0].contains("migrated the database schema"),
        "{migration_lines:#?}"
    );
}
