//! The configuration as an operator meets it: defaults, precedence, and errors that name the
//! variable to fix.

use std::collections::HashMap;

use postern_core::ports::RateLimitBucket;
use secrecy::ExposeSecret;

use super::settings::rate_limit_variable;
use super::sources::{Variables, read};
use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn no_configuration_at_all_is_the_embedded_default() {
    let config = Config::from_vars(HashMap::new()).unwrap();
    assert_eq!(config.environment, Environment::Development);
    assert_eq!(config.port, 8080);
    assert!(config.database_url.is_none());
    assert!(matches!(config.jwt_secret, JwtSecret::GeneratedInDataDir));
    assert_eq!(config.sessions, SessionPolicy::default());
    assert_eq!(config.log_format, LogFormat::Pretty);
}

/// A secret of the kind `openssl rand -base64 30` prints.
const RANDOM_SECRET: &str = "q3L9vXe0R2mTnB8sKcY7wHj4ZpD1aFgU6oIuE5tN";

/// Another such secret, for `MFA_ENCRYPTION_KEY`.
const RANDOM_MFA_KEY: &str = "Zk8pW2rQ7vN4xJ1cT9mB6hF3sD0aLyG5uE8iO2nR";

#[test]
fn production_refuses_argon2_costs_below_the_documented_minimum_naming_the_variable() {
    for (name, value) in [("ARGON2_MEMORY_KIB", "8"), ("ARGON2_ITERATIONS", "1")] {
        let err = Config::from_vars(vars(&[
            ("POSTERN_ENV", "production"),
            ("JWT_SECRET", RANDOM_SECRET),
            (name, value),
        ]))
        .unwrap_err();

        assert_eq!(err.variable, name, "{err}");
        assert!(err.problem.contains("production"), "{err}");
    }
}

#[test]
fn production_refuses_a_secret_that_cannot_be_random_naming_the_variable() {
    for weak in [
        "a".repeat(32),
        "changeme".repeat(4),
        "0123456789abcdef0123456789abcdef".to_owned(),
    ] {
        let err = Config::from_vars(vars(&[
            ("POSTERN_ENV", "production"),
            ("JWT_SECRET", &weak),
        ]))
        .unwrap_err();

        assert_eq!(err.variable, "JWT_SECRET", "{err}");
        assert!(!err.to_string().contains(&weak), "{err}");
    }
}

#[test]
fn development_still_accepts_cheap_hashing_and_any_long_secret() {
    let config = Config::from_vars(vars(&[
        ("ARGON2_MEMORY_KIB", "8"),
        ("ARGON2_ITERATIONS", "1"),
        ("JWT_SECRET", &"a".repeat(32)),
    ]))
    .unwrap();

    assert_eq!(config.argon2.memory_kib, 8);
}

#[test]
fn production_accepts_a_random_secret_and_the_default_hashing_cost() {
    let config = Config::from_vars(vars(&[
        ("POSTERN_ENV", "production"),
        ("MFA_ENCRYPTION_KEY", RANDOM_MFA_KEY),
        ("JWT_SECRET", RANDOM_SECRET),
    ]))
    .unwrap();

    assert_eq!(config.environment, Environment::Production);
}

#[test]
fn connection_limits_are_read_and_bounded() {
    let config = Config::from_vars(vars(&[
        ("HTTP_HEADER_TIMEOUT", "2s"),
        ("HTTP_IDLE_TIMEOUT", "30s"),
        ("HTTP_MAX_CONNECTIONS", "64"),
    ]))
    .unwrap();
    assert_eq!(
        config.connections,
        ConnectionLimits {
            header_timeout: std::time::Duration::from_secs(2),
            idle_timeout: std::time::Duration::from_secs(30),
            max_connections: std::num::NonZeroU32::new(64).unwrap(),
        }
    );
    assert_eq!(
        Config::from_vars(HashMap::new()).unwrap().connections,
        ConnectionLimits::default()
    );
    for (name, value) in [
        ("HTTP_HEADER_TIMEOUT", "0s"),
        ("HTTP_HEADER_TIMEOUT", "1h"),
        ("HTTP_IDLE_TIMEOUT", "never"),
        ("HTTP_MAX_CONNECTIONS", "0"),
    ] {
        let err = Config::from_vars(vars(&[(name, value)])).unwrap_err();
        assert_eq!(err.variable, name, "{name}={value}");
    }
}

#[test]
fn the_database_pool_size_is_read_and_bounded() {
    let config = Config::from_vars(vars(&[("DATABASE_MAX_CONNECTIONS", "25")])).unwrap();
    assert_eq!(
        config.database_max_connections,
        std::num::NonZeroU32::new(25)
    );
    assert_eq!(
        Config::from_vars(HashMap::new())
            .unwrap()
            .database_max_connections,
        None
    );
    for value in ["0", "1001", "many"] {
        let err = Config::from_vars(vars(&[("DATABASE_MAX_CONNECTIONS", value)])).unwrap_err();
        assert_eq!(err.variable, "DATABASE_MAX_CONNECTIONS", "{value}");
    }
}

#[test]
fn production_without_an_mfa_key_names_the_variable() {
    let err = Config::from_vars(vars(&[
        ("POSTERN_ENV", "production"),
        ("JWT_SECRET", RANDOM_SECRET),
    ]))
    .unwrap_err();

    assert_eq!(err.variable, "MFA_ENCRYPTION_KEY", "{err}");
}

#[test]
fn development_without_an_mfa_key_generates_one_in_the_data_directory() {
    let config = Config::from_vars(vars(&[])).unwrap();

    assert!(matches!(config.mfa_key, MfaKey::GeneratedInDataDir));
}

#[test]
fn production_without_a_secret_names_the_variable() {
    let err = Config::from_vars(vars(&[("POSTERN_ENV", "production")])).unwrap_err();
    assert_eq!(err.variable, "JWT_SECRET");
}

#[test]
fn bad_values_name_their_variable() {
    for (name, value) in [
        ("PORT", "eighty"),
        ("JWT_EXPIRES_IN", "soon"),
        ("RATE_LIMIT_LOGIN", "5 per minute"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, not-an-ip"),
        ("DATABASE_URL", "mysql://x"),
        ("REFRESH_REUSE_GRACE", "-1"),
        ("LOG_FORMAT", "xml"),
        ("RATE_LIMIT_GLOBAL", "0/1m"),
        ("JWT_EXPIRES_IN", "300000y"),
        ("JWT_REFRESH_EXPIRES_IN", "400d"),
    ] {
        let err = Config::from_vars(vars(&[(name, value)])).unwrap_err();
        assert_eq!(err.variable, name, "{name}={value}");
    }
}

#[test]
fn durations_quotas_and_proxies_are_parsed() {
    let config = Config::from_vars(vars(&[
        ("JWT_EXPIRES_IN", "5m"),
        ("JWT_REFRESH_EXPIRES_IN", "30d"),
        ("REFRESH_REUSE_GRACE", "0"),
        ("RATE_LIMIT_LOGIN", "7/1h"),
        ("RATE_LIMIT_SIGNUP", "off"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7"),
    ]))
    .unwrap();
    assert_eq!(config.sessions.access_ttl, time::Duration::minutes(5));
    assert_eq!(config.sessions.refresh_ttl, time::Duration::days(30));
    assert!(config.sessions.reuse_grace.is_zero());
    let login = config.rate_limits.quota(RateLimitBucket::Login).unwrap();
    assert_eq!((login.limit, login.period.as_secs()), (7, 3600));
    assert!(config.rate_limits.quota(RateLimitBucket::Signup).is_none());
    assert_eq!(config.trusted_proxies.len(), 2);
}

#[test]
fn a_refresh_lifetime_shorter_than_the_access_lifetime_is_refused() {
    let vars = vars(&[("JWT_EXPIRES_IN", "2h"), ("JWT_REFRESH_EXPIRES_IN", "1h")]);
    assert_eq!(
        Config::from_vars(vars).unwrap_err().variable,
        "JWT_REFRESH_EXPIRES_IN"
    );
}

#[test]
fn the_session_lifetime_defaults_to_30_days_or_the_refresh_lifetime_if_longer() {
    let default = Config::from_vars(HashMap::new()).unwrap();
    let long_refresh = Config::from_vars(vars(&[("JWT_REFRESH_EXPIRES_IN", "90d")])).unwrap();

    assert_eq!(default.sessions.max_lifetime, time::Duration::days(30));
    assert_eq!(long_refresh.sessions.max_lifetime, time::Duration::days(90));
}

#[test]
fn the_session_lifetime_is_read_and_bounded() {
    // 12h is shorter than the refresh lifetime, 7 days by default.
    for refused in ["12h", "0s", "forever", "400d"] {
        let err = Config::from_vars(vars(&[("SESSION_MAX_LIFETIME", refused)])).unwrap_err();
        assert_eq!(err.variable, "SESSION_MAX_LIFETIME", "{refused}");
    }

    let config = Config::from_vars(vars(&[
        ("SESSION_MAX_LIFETIME", "90d"),
        ("JWT_REFRESH_EXPIRES_IN", "1d"),
    ]))
    .unwrap();

    assert_eq!(config.sessions.max_lifetime, time::Duration::days(90));
}

#[test]
fn the_lockout_threshold_and_duration_are_read_and_bounded() {
    let default = Config::from_vars(HashMap::new()).unwrap();
    assert_eq!(
        default.lockout,
        postern_core::domain::LockoutPolicy::default()
    );
    for (name, refused) in [
        ("LOCKOUT_THRESHOLD", "0"),
        ("LOCKOUT_THRESHOLD", "1001"),
        ("LOCKOUT_THRESHOLD", "ten"),
        ("LOCKOUT_DURATION", "0s"),
        ("LOCKOUT_DURATION", "2d"),
        ("LOCKOUT_DURATION", "a while"),
    ] {
        let err = Config::from_vars(vars(&[(name, refused)])).unwrap_err();
        assert_eq!(err.variable, name, "{name}={refused}");
    }

    let config = Config::from_vars(vars(&[
        ("LOCKOUT_THRESHOLD", "5"),
        ("LOCKOUT_DURATION", "1h"),
    ]))
    .unwrap();

    assert_eq!(config.lockout.max_failures, 5);
    assert_eq!(config.lockout.max_account_failures, 50);
    assert_eq!(config.lockout.lock_for, time::Duration::hours(1));
}

#[test]
fn the_password_policy_is_read_and_bounded() {
    let default = Config::from_vars(HashMap::new()).unwrap();
    assert_eq!(
        default.passwords,
        postern_core::domain::PasswordPolicy::default()
    );
    for (name, refused) in [
        ("PASSWORD_MIN_LENGTH", "7"),
        ("PASSWORD_MIN_LENGTH", "129"),
        ("PASSWORD_MIN_LENGTH", "long"),
        ("PASSWORD_MIN_SCORE", "5"),
        ("PASSWORD_MIN_SCORE", "-1"),
        ("PASSWORD_MIN_SCORE", "strong"),
    ] {
        let err = Config::from_vars(vars(&[(name, refused)])).unwrap_err();
        assert_eq!(err.variable, name, "{name}={refused}");
    }

    let config = Config::from_vars(vars(&[
        ("PASSWORD_MIN_LENGTH", "12"),
        ("PASSWORD_MIN_SCORE", "3"),
    ]))
    .unwrap();

    assert_eq!(
        (config.passwords.min_length, config.passwords.min_score),
        (12, 3)
    );
}

#[test]
fn redis_is_configured_by_url_and_prefix() {
    let config = Config::from_vars(vars(&[
        ("POSTERN_ENV", "production"),
        ("MFA_ENCRYPTION_KEY", RANDOM_MFA_KEY),
        ("JWT_SECRET", RANDOM_SECRET),
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        ("REDIS_KEY_PREFIX", "tenant-a:"),
    ]))
    .unwrap();
    let redis = config.redis.unwrap();
    assert_eq!(redis.url.expose_secret(), "redis://127.0.0.1:6379");
    assert_eq!(redis.key_prefix, "tenant-a:");
}

#[test]
fn a_redis_cluster_url_is_accepted() {
    for url in [
        "redis-cluster://127.0.0.1:7000?node=127.0.0.1:7001&node=127.0.0.1:7002",
        "rediss-cluster://user:secret@cache:7000",
    ] {
        let config = Config::from_vars(vars(&[("REDIS_URL", url)])).unwrap();
        assert_eq!(config.redis.unwrap().url.expose_secret(), url);
    }
}

#[test]
fn a_redis_url_of_another_scheme_names_the_variable() {
    let err = Config::from_vars(vars(&[("REDIS_URL", "127.0.0.1:6379")])).unwrap_err();
    assert_eq!(err.variable, "REDIS_URL");
}

#[test]
fn worker_settings_default_to_section_7_and_reject_nonsense() {
    let config = Config::from_vars(HashMap::new()).unwrap();
    assert_eq!(config.consumers.max_attempts, 3);
    assert_eq!(
        config.consumers.retry_base,
        std::time::Duration::from_secs(1)
    );
    for (name, value) in [
        ("WORKER_MAX_ATTEMPTS", "0"),
        ("WORKER_RETRY_BASE", "soon"),
        ("WORKER_VISIBILITY_TIMEOUT", "0s"),
    ] {
        let err = Config::from_vars(vars(&[(name, value)])).unwrap_err();
        assert_eq!(err.variable, name);
    }
}

#[test]
fn a_private_key_file_selects_eddsa_even_in_production() {
    let config = Config::from_vars(vars(&[
        ("POSTERN_ENV", "production"),
        ("MFA_ENCRYPTION_KEY", RANDOM_MFA_KEY),
        ("JWT_PRIVATE_KEY_FILE", "/keys/current.pem"),
        (
            "JWT_PREVIOUS_PUBLIC_KEY_FILES",
            "/keys/a.pub.pem, /keys/b.pub.pem,",
        ),
    ]))
    .unwrap();
    let JwtSecret::KeyPair(files) = config.jwt_secret else {
        panic!("expected a key pair, got {:?}", config.jwt_secret);
    };
    assert_eq!(files.private_key, PathBuf::from("/keys/current.pem"));
    assert_eq!(
        files.previous_public_keys,
        [
            PathBuf::from("/keys/a.pub.pem"),
            PathBuf::from("/keys/b.pub.pem")
        ]
    );
}

#[test]
fn a_secret_and_a_key_pair_together_name_the_secret() {
    let err = Config::from_vars(vars(&[
        ("JWT_SECRET", RANDOM_SECRET),
        ("JWT_PRIVATE_KEY_FILE", "/keys/current.pem"),
    ]))
    .unwrap_err();
    assert_eq!(err.variable, "JWT_SECRET");
    assert!(err.problem.contains("JWT_PRIVATE_KEY_FILE"), "{err}");
}

#[test]
fn previous_keys_without_a_private_key_name_their_variable() {
    let err = Config::from_vars(vars(&[(
        "JWT_PREVIOUS_PUBLIC_KEY_FILES",
        "/keys/a.pub.pem",
    )]))
    .unwrap_err();
    assert_eq!(err.variable, "JWT_PREVIOUS_PUBLIC_KEY_FILES");
}

#[test]
fn cors_origins_are_exact_lower_cased_origins() {
    let config = Config::from_vars(vars(&[(
        "CORS_ALLOWED_ORIGINS",
        " https://App.Example.com , http://localhost:5173,http://[::1]:8080,",
    )]))
    .unwrap();
    assert_eq!(
        config.cors_allowed_origins,
        [
            "https://app.example.com",
            "http://localhost:5173",
            "http://[::1]:8080"
        ]
    );
    assert!(
        Config::from_vars(HashMap::new())
            .unwrap()
            .cors_allowed_origins
            .is_empty()
    );
}

#[test]
fn cors_entries_that_are_not_origins_name_the_variable() {
    for value in [
        "*",
        "https://app.example.com/",
        "app.example.com",
        "ftp://app.example.com",
        "https://*.example.com",
        "https://user@app.example.com",
        "https://app.example.com:99999",
        "null",
    ] {
        let err = Config::from_vars(vars(&[("CORS_ALLOWED_ORIGINS", value)])).unwrap_err();
        assert_eq!(err.variable, "CORS_ALLOWED_ORIGINS", "{value}");
    }
}

#[test]
fn shutdown_timeout_defaults_to_ten_seconds_and_takes_durations_or_seconds() {
    let default = Config::from_vars(HashMap::new()).unwrap();
    let spelled = Config::from_vars(vars(&[("SHUTDOWN_TIMEOUT", "30s")])).unwrap();
    let bare = Config::from_vars(vars(&[("SHUTDOWN_TIMEOUT", "5")])).unwrap();
    assert_eq!(default.shutdown_timeout, std::time::Duration::from_secs(10));
    assert_eq!(spelled.shutdown_timeout, std::time::Duration::from_secs(30));
    assert_eq!(bare.shutdown_timeout, std::time::Duration::from_secs(5));
}

#[test]
fn a_zero_or_malformed_shutdown_timeout_names_the_variable() {
    for bad in ["0", "soon", "2h"] {
        let err = Config::from_vars(vars(&[("SHUTDOWN_TIMEOUT", bad)])).unwrap_err();
        assert_eq!(err.variable, "SHUTDOWN_TIMEOUT", "{bad}");
    }
}

#[test]
fn the_worker_metrics_port_is_optional_and_checked() {
    assert_eq!(
        Config::from_vars(HashMap::new())
            .unwrap()
            .worker_metrics_port,
        None
    );
    let config = Config::from_vars(vars(&[("WORKER_METRICS_PORT", "9464")])).unwrap();
    assert_eq!(config.worker_metrics_port, Some(9464));
    for bad in ["0", "70000", "metrics"] {
        let err = Config::from_vars(vars(&[("WORKER_METRICS_PORT", bad)])).unwrap_err();
        assert_eq!(err.variable, "WORKER_METRICS_PORT", "{bad}");
    }
}

fn source(name: &str, pairs: &[(&str, &str)]) -> Variables {
    Variables::new(name, vars(pairs))
}

#[test]
fn a_malformed_value_names_its_variable_and_the_file_that_set_it() {
    let environment = source("the environment", &[]);
    let file = source("/etc/postern.conf", &[("PORT", "eighty")]);

    let err = read(&environment, Some(&file)).unwrap_err();

    assert_eq!(err.variable, "PORT");
    assert!(err.problem.contains("\"eighty\""), "{err}");
    assert!(err.problem.contains("/etc/postern.conf"), "{err}");
}

#[test]
fn the_environment_wins_over_the_config_file() {
    let environment = source("the environment", &[("PORT", "9000")]);
    let file = source(
        "/etc/postern.conf",
        &[("PORT", "eighty"), ("HOST", "0.0.0.0")],
    );

    let config = read(&environment, Some(&file)).unwrap().validate().unwrap();

    assert_eq!(config.port, 9000);
    assert_eq!(config.host, IpAddr::from([0, 0, 0, 0]));
}

#[test]
fn a_name_in_the_config_file_that_postern_does_not_read_is_refused() {
    let environment = source("the environment", &[("PATH", "/usr/bin")]);
    let file = source("/etc/postern.conf", &[("RATE_LIMT_LOGIN", "1/1m")]);

    let err = read(&environment, Some(&file)).unwrap_err();

    assert_eq!(err.variable, "RATE_LIMT_LOGIN");
    assert!(err.problem.contains(CONFIG_FILE), "{err}");
}

#[test]
fn rate_limits_may_be_set_in_the_config_file() {
    let environment = source("the environment", &[]);
    let file = source("/etc/postern.conf", &[("RATE_LIMIT_EMAIL_RESEND", "off")]);

    let config = read(&environment, Some(&file)).unwrap().validate().unwrap();

    assert_eq!(config.rate_limits.quota(RateLimitBucket::EmailResend), None);
}

#[test]
fn every_bucket_is_read_from_its_own_variable() {
    for bucket in RateLimitBucket::ALL {
        let variable = rate_limit_variable(bucket);

        let off = Config::from_vars(vars(&[(variable.as_str(), "off")])).unwrap();
        let bad = Config::from_vars(vars(&[(variable.as_str(), "5 per minute")])).unwrap_err();

        for other in RateLimitBucket::ALL {
            let expected = (other != bucket).then(|| other.default_quota());
            assert_eq!(off.rate_limits.quota(other), expected, "{variable}");
        }
        assert_eq!(bad.variable, variable);
    }
}

#[test]
fn values_are_kept_as_written_rather_than_guessed_at() {
    let secret = "\"[0123456789abcdef0123456789abcdef]\"";
    let config = Config::from_vars(vars(&[
        ("JWT_SECRET", secret),
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        ("REDIS_KEY_PREFIX", "007"),
        ("JWT_ISSUER", "true"),
    ]))
    .unwrap();

    let JwtSecret::Configured(configured) = &config.jwt_secret else {
        panic!(
            "expected the configured secret, got {:?}",
            config.jwt_secret
        );
    };
    assert_eq!(configured.expose_secret(), secret);
    assert_eq!(config.redis.unwrap().key_prefix, "007");
    assert_eq!(config.jwt_issuer, "true");
}

#[test]
fn errors_never_repeat_a_secret() {
    for (name, value) in [
        ("JWT_SECRET", "hunter2"),
        ("DATABASE_URL", "mysql://app:hunter2@db/postern"),
        ("REDIS_URL", "http://:hunter2@cache:6379"),
    ] {
        let err = Config::from_vars(vars(&[(name, value)])).unwrap_err();

        assert_eq!(err.variable, name);
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}

#[test]
fn a_value_of_the_wrong_kind_names_its_variable_and_the_expected_form() {
    for (name, value, expected) in [
        ("POSTERN_ENV", "staging", "development or production"),
        ("MIGRATE_ON_START", "maybe", "true or false"),
        ("ARGON2_ITERATIONS", "-2", "cannot parse"),
        ("WORKER_RETRY_BASE", "1", "positive duration"),
    ] {
        let err = Config::from_vars(vars(&[(name, value)])).unwrap_err();

        assert_eq!(err.variable, name);
        assert!(err.problem.contains(expected), "{err}");
    }
}

#[test]
fn introspection_clients_are_read_as_id_secret_pairs_and_redacted_when_described() {
    let config = Config::from_vars(vars(&[(
        "INTROSPECTION_CLIENTS",
        "orders:s3cret:with-colon, billing:other",
    )]))
    .unwrap();

    let clients: Vec<(&str, &str)> = config
        .introspection_clients
        .iter()
        .map(|c| (c.id.as_str(), c.secret.expose_secret()))
        .collect();
    assert_eq!(
        clients,
        [("orders", "s3cret:with-colon"), ("billing", "other")]
    );
    let described = config.describe();
    assert!(
        described.contains("INTROSPECTION_CLIENTS = orders:[redacted],billing:[redacted]\n"),
        "{described}"
    );
    assert!(!described.contains("s3cret"), "{described}");
}

#[test]
fn introspection_clients_are_none_by_default_and_a_pair_without_secret_is_refused() {
    let default = Config::from_vars(HashMap::new()).unwrap();
    let err = Config::from_vars(vars(&[("INTROSPECTION_CLIENTS", "orders")])).unwrap_err();

    assert!(default.introspection_clients.is_empty());
    assert_eq!(err.variable, "INTROSPECTION_CLIENTS", "{err}");
}

#[test]
fn production_refuses_an_introspection_secret_shorter_than_32_bytes_naming_the_variable() {
    let production = |clients: &str| {
        Config::from_vars(vars(&[
            ("POSTERN_ENV", "production"),
            ("MFA_ENCRYPTION_KEY", RANDOM_MFA_KEY),
            ("JWT_SECRET", RANDOM_SECRET),
            ("INTROSPECTION_CLIENTS", clients),
        ]))
    };

    let err = production("orders:short").unwrap_err();
    let long = production(&format!("orders:{RANDOM_SECRET}"));

    assert_eq!(err.variable, "INTROSPECTION_CLIENTS", "{err}");
    assert!(err.problem.contains("orders"), "{err}");
    assert!(!err.problem.contains("short"), "the secret leaked: {err}");
    assert!(long.is_ok(), "{long:?}");
}

#[test]
fn retention_defaults_to_the_documented_periods() {
    let config = Config::from_vars(HashMap::new()).unwrap();

    assert_eq!(config.retention, RetentionSettings::default());
    assert_eq!(
        config.retention.policy,
        postern_core::usecases::RetentionPolicy::default()
    );
    assert_eq!(
        config.retention.policy.audit_events,
        time::Duration::days(365)
    );
}

#[test]
fn retention_periods_are_read_from_their_variables() {
    let config = Config::from_vars(vars(&[
        ("RETENTION_OUTBOX", "2d"),
        ("RETENTION_SESSIONS", "60d"),
        ("RETENTION_ACCOUNT_TOKENS", "12h"),
        ("RETENTION_HANDLED_EVENTS", "3d"),
        ("AUDIT_RETENTION_DAYS", "90"),
        ("RETENTION_INTERVAL", "5m"),
        ("RETENTION_BATCH", "250"),
    ]))
    .unwrap();

    let policy = config.retention.policy;
    assert_eq!(policy.published_events, time::Duration::days(2));
    assert_eq!(policy.sessions, time::Duration::days(60));
    assert_eq!(policy.account_tokens, time::Duration::hours(12));
    assert_eq!(policy.handled_events, time::Duration::days(3));
    assert_eq!(policy.audit_events, time::Duration::days(90));
    assert_eq!(
        config.retention.interval,
        std::time::Duration::from_secs(300)
    );
    assert_eq!(config.retention.batch.get(), 250);
    let described = config.describe();
    assert!(
        described.contains("AUDIT_RETENTION_DAYS = 90\n"),
        "{described}"
    );
    assert!(
        described.contains("RETENTION_OUTBOX = 2days\n"),
        "{described}"
    );
}

#[test]
fn bad_retention_values_name_their_variable() {
    for (name, value) in [
        ("RETENTION_OUTBOX", "0s"),
        ("RETENTION_SESSIONS", "a month"),
        ("RETENTION_ACCOUNT_TOKENS", "200y"),
        ("RETENTION_HANDLED_EVENTS", "-1d"),
        ("AUDIT_RETENTION_DAYS", "0"),
        ("AUDIT_RETENTION_DAYS", "1y"),
        ("AUDIT_RETENTION_DAYS", "40000"),
        ("RETENTION_INTERVAL", "2d"),
        ("RETENTION_BATCH", "0"),
        ("RETENTION_BATCH", "1000000"),
    ] {
        let err = Config::from_vars(vars(&[(name, value)])).unwrap_err();
        assert_eq!(err.variable, name, "{name}={value}");
    }
}

#[test]
fn sessions_kept_for_less_than_a_refresh_lifetime_are_refused() {
    let err = Config::from_vars(vars(&[
        ("JWT_REFRESH_EXPIRES_IN", "14d"),
        ("RETENTION_SESSIONS", "7d"),
    ]))
    .unwrap_err();

    assert_eq!(err.variable, "RETENTION_SESSIONS");
    assert!(
        err.problem.contains("JWT_REFRESH_EXPIRES_IN"),
        "{}",
        err.problem
    );
}

#[test]
fn sessions_are_kept_30_days_or_a_refresh_lifetime_if_longer() {
    let longer = Config::from_vars(vars(&[("JWT_REFRESH_EXPIRES_IN", "60d")])).unwrap();

    assert_eq!(longer.retention.policy.sessions, time::Duration::days(60));
}

#[test]
fn the_webauthn_relying_party_defaults_from_app_url_and_localhost_for_an_ip() {
    let domain = Config::from_vars(vars(&[("APP_URL", "https://accounts.example.com")])).unwrap();
    let ip = Config::from_vars(vars(&[("APP_URL", "http://127.0.0.1:8090")])).unwrap();

    let domain = domain.webauthn.relying_party(&domain.mail.app_url).unwrap();
    let ip = ip.webauthn.relying_party(&ip.mail.app_url).unwrap();

    assert_eq!(domain.id(), "accounts.example.com");
    assert_eq!(domain.origin().as_str(), "https://accounts.example.com/");
    assert_eq!(ip.id(), "localhost");
    assert_eq!(ip.origin().as_str(), "http://localhost:8090/");
}

#[test]
fn webauthn_settings_that_no_browser_would_accept_are_refused_naming_the_variable() {
    let foreign = Config::from_vars(vars(&[
        ("APP_URL", "https://accounts.example.com"),
        ("WEBAUTHN_RP_ID", "example.org"),
    ]))
    .unwrap_err();
    let not_an_origin =
        Config::from_vars(vars(&[("WEBAUTHN_ORIGIN", "https://example.com/login")])).unwrap_err();
    let parent = Config::from_vars(vars(&[
        ("WEBAUTHN_RP_ID", "example.com"),
        ("WEBAUTHN_ORIGIN", "https://accounts.example.com"),
    ]));

    assert_eq!(foreign.variable, "WEBAUTHN_RP_ID");
    assert_eq!(not_an_origin.variable, "WEBAUTHN_ORIGIN");
    assert!(parent.is_ok(), "{parent:?}");
}
