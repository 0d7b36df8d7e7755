//! The command line as an operator meets it (issue 5): `--help` for the program and every
//! subcommand, and `postern config check`.

use std::process::{Command, Output};

use postern_tests::cli::postern_binary;

/// Runs `postern <args>` in an empty directory (no `.env`) with only `env` set.
fn postern(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(postern_binary())
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_succeeds_for_the_program_and_every_subcommand() {
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["worker"],
        &["migrate"],
        &["openapi"],
        &["user"],
        &["keys"],
        &["import"],
        &["config"],
        &["config", "check"],
    ];
    for command in commands {
        let args: Vec<&str> = command.iter().copied().chain(["--help"]).collect();

        let out = postern(&args, &[]);

        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(stdout.contains("Usage: postern"), "{args:?}:\n{stdout}");
    }
}

#[test]
fn config_check_prints_the_configuration_with_secrets_redacted() {
    let out = postern(
        &["config", "check"],
        &[
            ("JWT_SECRET", "jwt-secret-jwt-secret-jwt-secret-jwt-secret"),
            ("DATABASE_URL", "postgres://app:db-pass@db/postern"),
            ("PORT", "9000"),
        ],
    );

    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("PORT = 9000"), "{stdout}");
    assert!(stdout.contains("JWT_SECRET = [redacted]"), "{stdout}");
    assert!(
        !stdout.contains("jwt-secret") && !stdout.contains("db-pass"),
        "{stdout}"
    );
}

#[test]
fn config_check_exits_1_naming_an_invalid_variable() {
    let out = postern(&["config", "check"], &[("SHUTDOWN_TIMEOUT", "forever")]);

    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("SHUTDOWN_TIMEOUT"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_config_file_fills_what_the_environment_leaves_unset() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("postern.conf");
    std::fs::write(
        &file,
        "PORT=9100\nHOST=0.0.0.0\n# a comment\nJWT_EXPIRES_IN=5m\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();

    let out = postern(
        &["config", "check"],
        &[("POSTERN_CONFIG_FILE", path), ("PORT", "9000")],
    );

    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("PORT = 9000"),
        "the environment wins:\n{stdout}"
    );
    assert!(
        stdout.contains("HOST = 0.0.0.0"),
        "the file fills the rest:\n{stdout}"
    );
}

#[test]
fn a_missing_config_file_names_its_variable() {
    let out = postern(
        &["config", "check"],
        &[("POSTERN_CONFIG_FILE", "/nonexistent/postern.conf")],
    );

    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("POSTERN_CONFIG_FILE"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_config_file_setting_an_unknown_variable_exits_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("postern.conf");
    std::fs::write(&file, "PORT=9100\nRATE_LIMT_LOGIN=1/1m\n").unwrap();

    let out = postern(
        &["config", "check"],
        &[("POSTERN_CONFIG_FILE", file.to_str().unwrap())],
    );

    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("RATE_LIMT_LOGIN"), "{stderr}");
}
