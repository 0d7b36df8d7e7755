//! `postern config check`: the effective configuration as an operator reads it, one
//! `VARIABLE = value` line for every variable of docs/http-api.md §8, each value in the form
//! the variable takes (`5/15m`, `19456`, `30s`), and every secret redacted: `JWT_SECRET`
//! entirely, and the passwords in `DATABASE_URL`, `REDIS_URL` and `SMTP_URL`. A variable left
//! unset says, in parentheses, what being unset means.

use std::fmt::Write as _;
use std::time::Duration;

use postern_core::ports::RateLimitBucket;
use secrecy::SecretString;

use super::redact::{REDACTED, url_without_passwords};
use super::settings::rate_limit_variable;
use super::values::quota_text;
use super::{Config, Environment, JwtSecret, LogFormat, MfaKey};

impl Config {
    /// The effective configuration, one `VARIABLE = value` line each, secrets redacted.
    pub fn describe(&self) -> String {
        let lines = [
            self.process_lines(),
            self.storage_lines(),
            self.token_lines(),
            self.request_lines(),
            self.mail_and_log_lines(),
            self.retention_lines(),
            self.provider_lines(),
        ];
        lines
            .iter()
            .flatten()
            .fold(String::new(), |mut out, (name, value)| {
                let _ = if value.is_empty() {
                    writeln!(out, "{name} =")
                } else {
                    writeln!(out, "{name} = {value}")
                };
                out
            })
    }

    fn process_lines(&self) -> Vec<(String, String)> {
        let environment = match self.environment {
            Environment::Development => "development",
            Environment::Production => "production",
        };
        vec![
            line("POSTERN_ENV", environment),
            line("HOST", self.host),
            line("PORT", self.port),
            line("POSTERN_DATA_DIR", self.data_dir.display()),
            line(
                "SHUTDOWN_TIMEOUT",
                humantime::format_duration(self.shutdown_timeout),
            ),
            line(
                "HTTP_HEADER_TIMEOUT",
                duration(self.connections.header_timeout),
            ),
            line("HTTP_IDLE_TIMEOUT", duration(self.connections.idle_timeout)),
            line("HTTP_MAX_CONNECTIONS", self.connections.max_connections),
            line(
                "WORKER_METRICS_PORT",
                self.worker_metrics_port
                    .map_or_else(|| "(unset: no listener)".to_owned(), |p| p.to_string()),
            ),
        ]
    }

    fn storage_lines(&self) -> Vec<(String, String)> {
        let consumers = &self.consumers;
        vec![
            line(
                "DATABASE_URL",
                secret_url(
                    self.database_url.as_ref(),
                    "(unset: SQLite file postern.db in the data directory)",
                ),
            ),
            line(
                "DATABASE_MAX_CONNECTIONS",
                self.database_max_connections.map_or_else(
                    || "(unset: 10 on PostgreSQL, 4 on a SQLite file)".to_owned(),
                    |max| max.to_string(),
                ),
            ),
            line("MIGRATE_ON_START", self.migrate_on_start),
            line(
                "REDIS_URL",
                secret_url(
                    self.redis.as_ref().map(|redis| &redis.url),
                    "(unset: in-process cache, limiter and events)",
                ),
            ),
            line(
                "REDIS_KEY_PREFIX",
                self.redis
                    .as_ref()
                    .map_or("", |redis| redis.key_prefix.as_str()),
            ),
            line("WORKER_MAX_ATTEMPTS", consumers.max_attempts),
            line("WORKER_RETRY_BASE", duration(consumers.retry_base)),
            line(
                "WORKER_VISIBILITY_TIMEOUT",
                duration(consumers.visibility_timeout),
            ),
            line("STREAM_RETENTION", duration(consumers.retention)),
        ]
    }

    fn retention_lines(&self) -> Vec<(String, String)> {
        let retention = &self.retention;
        let period = |d: time::Duration| duration(d.unsigned_abs());
        vec![
            line(
                "RETENTION_OUTBOX",
                period(retention.policy.published_events),
            ),
            line("RETENTION_SESSIONS", period(retention.policy.sessions)),
            line(
                "RETENTION_ACCOUNT_TOKENS",
                period(retention.policy.account_tokens),
            ),
            line(
                "RETENTION_HANDLED_EVENTS",
                period(retention.policy.handled_events),
            ),
            line(
                "AUDIT_RETENTION_DAYS",
                retention.policy.audit_events.whole_days(),
            ),
            line("RETENTION_INTERVAL", duration(retention.interval)),
            line("RETENTION_BATCH", retention.batch),
        ]
    }

    fn token_lines(&self) -> Vec<(String, String)> {
        let hs256 = || "(unset: HS256)".to_owned();
        let (secret, private_key, previous_public_keys) = match &self.jwt_secret {
            JwtSecret::Configured(_) => (REDACTED.to_owned(), hs256(), String::new()),
            JwtSecret::GeneratedInDataDir => (
                "(unset: generated once in the data directory)".to_owned(),
                hs256(),
                String::new(),
            ),
            JwtSecret::KeyPair(files) => (
                "(unset: the key pair signs)".to_owned(),
                files.private_key.display().to_string(),
                joined(files.previous_public_keys.iter().map(|path| path.display())),
            ),
        };
        let sessions = &self.sessions;
        vec![
            line("JWT_SECRET", secret),
            line(
                "MFA_ENCRYPTION_KEY",
                match &self.mfa_key {
                    MfaKey::Configured(_) => REDACTED.to_owned(),
                    MfaKey::GeneratedInDataDir => {
                        "(unset: generated once in the data directory)".to_owned()
                    }
                },
            ),
            line("JWT_PRIVATE_KEY_FILE", private_key),
            line("JWT_PREVIOUS_PUBLIC_KEY_FILES", previous_public_keys),
            line("JWT_ISSUER", &self.jwt_issuer),
            line("JWT_AUDIENCE", &self.jwt_audience),
            line(
                "JWT_EXPIRES_IN",
                duration(sessions.access_ttl.unsigned_abs()),
            ),
            line(
                "JWT_REFRESH_EXPIRES_IN",
                duration(sessions.refresh_ttl.unsigned_abs()),
            ),
            line(
                "SESSION_MAX_LIFETIME",
                duration(sessions.max_lifetime.unsigned_abs()),
            ),
            line(
                "REFRESH_REUSE_GRACE",
                sessions.reuse_grace.unsigned_abs().as_secs(),
            ),
        ]
    }

    fn request_lines(&self) -> Vec<(String, String)> {
        let mut lines = vec![
            line("TRUSTED_PROXIES", joined(self.trusted_proxies.iter())),
            line("CORS_ALLOWED_ORIGINS", self.cors_allowed_origins.join(",")),
            line("INTROSPECTION_CLIENTS", self.introspection_clients_text()),
        ];
        lines.extend(RateLimitBucket::ALL.map(|bucket| {
            line(
                &rate_limit_variable(bucket),
                quota_text(self.rate_limits.quota(bucket)),
            )
        }));
        lines.extend([
            line("LOCKOUT_THRESHOLD", self.lockout.max_failures),
            line(
                "LOCKOUT_DURATION",
                duration(self.lockout.lock_for.unsigned_abs()),
            ),
            line("PASSWORD_MIN_LENGTH", self.passwords.min_length),
            line("PASSWORD_MIN_SCORE", self.passwords.min_score),
            line("ARGON2_MEMORY_KIB", self.argon2.memory_kib),
            line("ARGON2_ITERATIONS", self.argon2.iterations),
            line("ARGON2_PARALLELISM", self.argon2.parallelism),
        ]);
        lines
    }

    /// `OIDC_PROVIDERS`, then each provider's variables (its client secret redacted), then
    /// `OAUTH_REDIRECT_ALLOWLIST`.
    fn provider_lines(&self) -> Vec<(String, String)> {
        let names = joined(self.oidc_providers.iter().map(|p| p.name.as_str()));
        let mut lines = vec![line(
            "OIDC_PROVIDERS",
            if names.is_empty() {
                "(unset: no sign-in with external providers)".to_owned()
            } else {
                names
            },
        )];
        for provider in &self.oidc_providers {
            lines.extend([
                line(&provider.variable("ISSUER"), &provider.issuer),
                line(&provider.variable("CLIENT_ID"), &provider.client_id),
                line(&provider.variable("CLIENT_SECRET"), REDACTED),
                line(&provider.variable("SCOPES"), provider.scopes.join(" ")),
                line(&provider.variable("DISPLAY_NAME"), &provider.display_name),
            ]);
        }
        lines.push(line(
            "OAUTH_REDIRECT_ALLOWLIST",
            if self.oauth_redirect_allowlist.is_empty() {
                format!("(unset: APP_URL, {})", self.mail.app_url.as_str())
            } else {
                self.oauth_redirect_allowlist.join(",")
            },
        ));
        lines
    }

    /// The clients' ids with their secrets redacted, or what having none means.
    fn introspection_clients_text(&self) -> String {
        if self.introspection_clients.is_empty() {
            return "(unset: no introspection)".to_owned();
        }
        joined(
            self.introspection_clients
                .iter()
                .map(|client| format!("{}:{REDACTED}", client.id)),
        )
    }

    fn mail_and_log_lines(&self) -> Vec<(String, String)> {
        let smtp = self.mail.smtp.as_ref();
        vec![
            line(
                "SMTP_URL",
                secret_url(
                    smtp.map(|smtp| &smtp.url),
                    "(unset: mail is logged by the console mailer)",
                ),
            ),
            line(
                "MAIL_FROM",
                smtp.map_or("(not used without SMTP_URL)", |smtp| smtp.from.as_str()),
            ),
            line("APP_URL", self.mail.app_url.as_str()),
            self.webauthn_line("WEBAUTHN_RP_ID", self.webauthn.rp_id.as_deref(), |rp| {
                rp.id().to_owned()
            }),
            self.webauthn_line("WEBAUTHN_ORIGIN", self.webauthn.origin.as_deref(), |rp| {
                rp.origin().origin().ascii_serialization()
            }),
            line(
                "LOG_FORMAT",
                match self.log_format {
                    LogFormat::Json => "json",
                    LogFormat::Pretty => "pretty",
                },
            ),
        ]
    }
}

impl Config {
    /// A WebAuthn setting: its value, or the default `APP_URL` gives it.
    fn webauthn_line(
        &self,
        name: &str,
        set: Option<&str>,
        default: impl FnOnce(&postern_webauthn::RelyingParty) -> String,
    ) -> (String, String) {
        let value = match set {
            Some(value) => value.to_owned(),
            None => match self.webauthn.relying_party(&self.mail.app_url) {
                Ok(relying_party) => format!("(unset: {}, from APP_URL)", default(&relying_party)),
                Err(error) => format!("(unset: {error})"),
            },
        };
        line(name, value)
    }
}

fn line(name: &str, value: impl ToString) -> (String, String) {
    (name.to_owned(), value.to_string())
}

/// A duration as its variable takes it: `30s`, `15m`, `1h 30m`.
fn duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

fn joined<T: ToString>(items: impl Iterator<Item = T>) -> String {
    items
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn secret_url(url: Option<&SecretString>, unset: &str) -> String {
    url.map_or_else(|| unset.to_owned(), url_without_passwords)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// docs/http-api.md, whose §8 table lists every variable.
    const HTTP_API_DOC: &str = include_str!("../../../../docs/http-api.md");

    fn config(pairs: &[(&str, &str)]) -> Config {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_vars(vars).unwrap()
    }

    /// Fails unless `described` has each of `lines` as a whole line.
    fn assert_lines(described: &str, lines: &[&str]) {
        for line in lines {
            assert!(
                described.lines().any(|l| l == *line),
                "missing {line}:\n{described}"
            );
        }
    }

    /// The variable names in the first column of the configuration table.
    fn documented_variables() -> Vec<String> {
        let table = HTTP_API_DOC
            .split("| variable | meaning | default |")
            .nth(1)
            .unwrap();
        table
            .lines()
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .flat_map(|row| {
                let names = row.split('|').nth(1).unwrap_or_default();
                names
                    .split(',')
                    .map(|name| name.trim().trim_matches('`').to_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn describe_lists_every_documented_variable_once() {
        // A provider's variables are listed per configured provider, so one is configured.
        let described = config(&[
            ("OIDC_PROVIDERS", "acme"),
            ("OIDC_ACME_ISSUER", "https://id.acme.test"),
            ("OIDC_ACME_CLIENT_ID", "postern"),
            ("OIDC_ACME_CLIENT_SECRET", "acme-secret"),
        ])
        .describe();

        let documented = documented_variables();
        assert!(documented.len() > 30, "{documented:?}");
        for variable in documented {
            let variable = variable.replace("<NAME>", "ACME");
            let lines = described
                .lines()
                .filter(|line| line.split(" =").next() == Some(variable.as_str()))
                .count();
            assert_eq!(lines, 1, "{variable} listed {lines} times:\n{described}");
        }
    }

    #[test]
    fn describe_prints_each_value_as_its_variable_takes_it() {
        let described = config(&[
            ("ARGON2_MEMORY_KIB", "65536"),
            ("RATE_LIMIT_GLOBAL", "100/1m"),
            ("REDIS_URL", "redis://cache:6379"),
            ("REDIS_KEY_PREFIX", "staging:"),
            ("WORKER_RETRY_BASE", "2s"),
            ("JWT_EXPIRES_IN", "1h 30m"),
            ("REFRESH_REUSE_GRACE", "20"),
        ])
        .describe();

        assert_lines(
            &described,
            &[
                "ARGON2_MEMORY_KIB = 65536",
                "ARGON2_ITERATIONS = 2",
                "ARGON2_PARALLELISM = 1",
                "RATE_LIMIT_GLOBAL = 100/1m",
                "RATE_LIMIT_LOGIN = 5/15m",
                "REDIS_KEY_PREFIX = staging:",
                "WORKER_MAX_ATTEMPTS = 3",
                "WORKER_RETRY_BASE = 2s",
                "JWT_EXPIRES_IN = 1h 30m",
                "REFRESH_REUSE_GRACE = 20",
                "WORKER_METRICS_PORT = (unset: no listener)",
            ],
        );
        assert!(!described.contains('{'), "a debug struct:\n{described}");
    }

    #[test]
    fn describe_hides_every_secret() {
        let described = config(&[
            ("JWT_SECRET", "jwt-secret-jwt-secret-jwt-secret-jwt-secret"),
            (
                "MFA_ENCRYPTION_KEY",
                "mfa-key-mfa-key-mfa-key-mfa-key-mfa-key",
            ),
            ("DATABASE_URL", "postgres://app@db/postern?password=db-pass"),
            ("REDIS_URL", "redis://user:redis-pass@cache:6379"),
            ("SMTP_URL", "smtp://mailer:smtp-pass@mail:587"),
            ("MAIL_FROM", "Postern <no-reply@example.com>"),
        ])
        .describe();

        for secret in [
            "jwt-secret",
            "mfa-key",
            "db-pass",
            "redis-pass",
            "smtp-pass",
        ] {
            assert!(!described.contains(secret), "{secret} shown:\n{described}");
        }
        assert_lines(
            &described,
            &[
                "JWT_SECRET = [redacted]",
                "MFA_ENCRYPTION_KEY = [redacted]",
                "DATABASE_URL = postgres://app@db/postern?password=[redacted]",
                "REDIS_URL = redis://user:[redacted]@cache:6379",
                "SMTP_URL = smtp://mailer:[redacted]@mail:587",
                "MAIL_FROM = Postern <no-reply@example.com>",
            ],
        );
    }
}
