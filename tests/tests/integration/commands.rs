//! The command line as an operator meets it (issue 5): `--help` for the program and every
//! subcommand, and `postern config check` (issue 12: every setting, as typed, redacted).

use postern_tests::cli::run_postern as postern;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails unless `stdout` has each of `lines` as a whole line.
fn assert_lines(stdout: &str, lines: &[&str]) {
    for line in lines {
        assert!(
            stdout.lines().any(|l| l == *line),
            "missing {line}:\n{stdout}"
        );
    }
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
fn config_check_redacts_passwords_given_as_url_query_parameters() {
    let out = postern(
        &["config", "check"],
        &[
            (
                "DATABASE_URL",
                "postgres://app@db/postern?password=db-pass&sslmode=require",
            ),
            ("REDIS_URL", "redis://cache:6379/0?password=redis-pass"),
            (
                "SMTP_URL",
                "smtp://mail:587?tls=required&password=smtp-pass",
            ),
            ("MAIL_FROM", "Postern <no-reply@example.com>"),
        ],
    );

    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for secret in ["db-pass", "redis-pass", "smtp-pass"] {
        assert!(!stdout.contains(secret), "{secret} shown:\n{stdout}");
    }
    assert_lines(
        &stdout,
        &[
            "DATABASE_URL = postgres://app@db/postern?password=[redacted]&sslmode=require",
            "REDIS_URL = redis://cache:6379/0?password=[redacted]",
            "SMTP_URL = smtp://mail:587?tls=required&password=[redacted]",
        ],
    );
}

#[test]
fn config_check_lists_worker_key_file_and_global_limit_settings_as_typed() {
    let out = postern(
        &["config", "check"],
        &[
            ("JWT_PRIVATE_KEY_FILE", "/keys/jwt-private-key.pem"),
            (
                "JWT_PREVIOUS_PUBLIC_KEY_FILES",
                "/keys/old-1.pem,/keys/old-2.pem",
            ),
            ("WORKER_MAX_ATTEMPTS", "5"),
            ("WORKER_METRICS_PORT", "9464"),
            ("STREAM_RETENTION", "48h"),
            ("RATE_LIMIT_GLOBAL", "200/1m"),
        ],
    );

    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_lines(
        &stdout,
        &[
            "JWT_PRIVATE_KEY_FILE = /keys/jwt-private-key.pem",
            "JWT_PREVIOUS_PUBLIC_KEY_FILES = /keys/old-1.pem,/keys/old-2.pem",
            "WORKER_MAX_ATTEMPTS = 5",
            "WORKER_RETRY_BASE = 1s",
            "WORKER_VISIBILITY_TIMEOUT = 30s",
            "WORKER_METRICS_PORT = 9464",
            "STREAM_RETENTION = 2days",
            "RATE_LIMIT_GLOBAL = 200/1m",
            "ARGON2_MEMORY_KIB = 19456",
        ],
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
