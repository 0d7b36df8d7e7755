//! `postern config check`: the effective configuration as an operator reads it, one
//! `VARIABLE = value` line each, with every secret redacted: `JWT_SECRET` entirely, and the
//! password of `DATABASE_URL`, `REDIS_URL` and `SMTP_URL`.

use std::fmt::Write as _;

use postern_core::ports::RateLimitBucket;
use secrecy::{ExposeSecret, SecretString};

use super::settings::rate_limit_variable;
use super::values::quota_text;
use super::{Config, Environment, JwtSecret, LogFormat};

/// What a redacted secret is printed as.
const REDACTED: &str = "[redacted]";

impl Config {
    /// The effective configuration, one `VARIABLE = value` line each, secrets redacted.
    pub fn describe(&self) -> String {
        let rate_limit_variables = RateLimitBucket::ALL.map(rate_limit_variable);
        let mut lines: Vec<(&str, String)> = vec![
            (
                "POSTERN_ENV",
                match self.environment {
                    Environment::Development => "development".to_owned(),
                    Environment::Production => "production".to_owned(),
                },
            ),
            ("HOST", self.host.to_string()),
            ("PORT", self.port.to_string()),
            ("POSTERN_DATA_DIR", self.data_dir.display().to_string()),
            (
                "DATABASE_URL",
                self.database_url.as_ref().map_or_else(
                    || "(SQLite file in the data directory)".to_owned(),
                    url_without_password,
                ),
            ),
            ("MIGRATE_ON_START", self.migrate_on_start.to_string()),
            (
                "REDIS_URL",
                self.redis.as_ref().map_or_else(
                    || "(unset: in-process cache, limiter and events)".to_owned(),
                    |r| url_without_password(&r.url),
                ),
            ),
        ];
        if let Some(redis) = &self.redis {
            lines.push(("REDIS_KEY_PREFIX", format!("{:?}", redis.key_prefix)));
        }
        match &self.jwt_secret {
            JwtSecret::Configured(_) => lines.push(("JWT_SECRET", REDACTED.to_owned())),
            JwtSecret::GeneratedInDataDir => lines.push((
                "JWT_SECRET",
                "(unset: generated once in the data directory)".to_owned(),
            )),
            JwtSecret::KeyPair(files) => {
                lines.push((
                    "JWT_PRIVATE_KEY_FILE",
                    files.private_key.display().to_string(),
                ));
                let previous: Vec<String> = files
                    .previous_public_keys
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                lines.push(("JWT_PREVIOUS_PUBLIC_KEY_FILES", previous.join(",")));
            }
        }
        lines.extend([
            ("JWT_ISSUER", self.jwt_issuer.clone()),
            ("JWT_AUDIENCE", self.jwt_audience.clone()),
            ("JWT_EXPIRES_IN", self.sessions.access_ttl.to_string()),
            (
                "JWT_REFRESH_EXPIRES_IN",
                self.sessions.refresh_ttl.to_string(),
            ),
            ("REFRESH_REUSE_GRACE", self.sessions.reuse_grace.to_string()),
            ("TRUSTED_PROXIES", joined(&self.trusted_proxies)),
            ("CORS_ALLOWED_ORIGINS", self.cors_allowed_origins.join(",")),
        ]);
        lines.extend(RateLimitBucket::ALL.iter().zip(&rate_limit_variables).map(
            |(bucket, variable)| {
                (
                    variable.as_str(),
                    quota_text(self.rate_limits.quota(*bucket)),
                )
            },
        ));
        lines.extend([
            ("ARGON2_*", format!("{:?}", self.argon2)),
            (
                "LOG_FORMAT",
                match self.log_format {
                    LogFormat::Json => "json".to_owned(),
                    LogFormat::Pretty => "pretty".to_owned(),
                },
            ),
            ("APP_URL", self.mail.app_url.as_str().to_owned()),
            (
                "SMTP_URL",
                self.mail.smtp.as_ref().map_or_else(
                    || "(unset: mail is logged by the console mailer)".to_owned(),
                    |smtp| url_without_password(&smtp.url),
                ),
            ),
            (
                "SHUTDOWN_TIMEOUT",
                humantime::format_duration(self.shutdown_timeout).to_string(),
            ),
            (
                "HTTP_HEADER_TIMEOUT",
                humantime::format_duration(self.connections.header_timeout).to_string(),
            ),
            (
                "HTTP_IDLE_TIMEOUT",
                humantime::format_duration(self.connections.idle_timeout).to_string(),
            ),
            (
                "HTTP_MAX_CONNECTIONS",
                self.connections.max_connections.to_string(),
            ),
        ]);
        if let Some(smtp) = &self.mail.smtp {
            lines.push(("MAIL_FROM", smtp.from.clone()));
        }
        lines.iter().fold(String::new(), |mut out, (name, value)| {
            let _ = writeln!(out, "{name} = {value}");
            out
        })
    }
}

fn joined<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `scheme://user:password@host/...` with the password replaced; a URL without a password
/// is shown whole. Whatever cannot be read as a URL is redacted entirely.
fn url_without_password(url: &SecretString) -> String {
    let url = url.expose_secret();
    let Some((scheme, rest)) = url.split_once("://") else {
        return REDACTED.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') {
                format!(":{REDACTED}")
            } else {
                String::new()
            };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn url_passwords_are_redacted_and_the_rest_kept() {
        assert_eq!(
            url_without_password(&secret(
                "postgres://app:s3cret@db:5432/postern?sslmode=require"
            )),
            "postgres://app:[redacted]@db:5432/postern?sslmode=require"
        );
        assert_eq!(
            url_without_password(&secret("redis://:s3cret@cache:6379/0")),
            "redis://:[redacted]@cache:6379/0"
        );
        assert_eq!(
            url_without_password(&secret("sqlite://./data/postern.db")),
            "sqlite://./data/postern.db"
        );
        assert_eq!(url_without_password(&secret("not a url s3cret")), REDACTED);
    }

    #[test]
    fn describe_names_every_variable_and_hides_every_secret() {
        let vars: HashMap<String, String> = [
            ("JWT_SECRET", "jwt-secret-jwt-secret-jwt-secret-jwt-secret"),
            ("DATABASE_URL", "postgres://app:db-pass@db/postern"),
            ("REDIS_URL", "redis://user:redis-pass@cache:6379"),
            ("SMTP_URL", "smtp://mailer:smtp-pass@mail:587"),
            ("MAIL_FROM", "Postern <no-reply@example.com>"),
            ("SHUTDOWN_TIMEOUT", "30s"),
            ("RATE_LIMIT_SIGNUP", "off"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let config = Config::from_vars(vars).unwrap();

        let described = config.describe();

        for secret in ["jwt-secret", "db-pass", "redis-pass", "smtp-pass"] {
            assert!(!described.contains(secret), "{secret} shown:\n{described}");
        }
        for line in [
            "JWT_SECRET = [redacted]",
            "DATABASE_URL = postgres://app:[redacted]@db/postern",
            "REDIS_URL = redis://user:[redacted]@cache:6379",
            "SMTP_URL = smtp://mailer:[redacted]@mail:587",
            "SHUTDOWN_TIMEOUT = 30s",
            "PORT = 8080",
            "RATE_LIMIT_LOGIN = 5/15m",
            "RATE_LIMIT_SIGNUP = off",
        ] {
            assert!(described.contains(line), "missing {line}:\n{described}");
        }
    }
}
