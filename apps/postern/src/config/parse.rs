//! Parsing of single variables. Each function names its variable and the expected form in its
//! error, so that a bad value is fixed at the first attempt.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use ipnet::IpNet;
use postern_core::domain::SessionPolicy;
use postern_core::ports::Quota;
use postern_core::ports::{RateLimitBucket, RateLimits};
use postern_mail::{AppUrl, SmtpConfig};
use postern_password::Argon2Params;
use postern_redis::streams::ConsumerConfig;
use secrecy::SecretString;
use time::Duration;

use super::{
    ConfigError, Environment, JwtKeyFiles, JwtSecret, LogFormat, MailSettings, RedisConfig,
};

/// Where links in mail lead when `APP_URL` is not set: the default listen address.
const DEFAULT_APP_URL: &str = "http://127.0.0.1:8080";

/// The shortest `JWT_SECRET` accepted: 256 bits, as HS256 needs.
const MIN_SECRET_BYTES: usize = 32;
/// The longest access-token lifetime accepted. Revocation lists keep entries this long, so a
/// bound keeps them bounded (and a restart's seeding window finite).
pub const MAX_ACCESS_TTL: Duration = Duration::hours(24);
/// The longest refresh-token lifetime accepted.
const MAX_REFRESH_TTL: Duration = Duration::days(366);

pub(super) struct Vars(HashMap<String, String>);

fn error(variable: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_owned(),
        problem: problem.into(),
    }
}

impl Vars {
    pub(super) fn new(vars: HashMap<String, String>) -> Self {
        Self(vars)
    }

    /// A variable's value; empty counts as unset, as in most shells' `VAR=`.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    pub(super) fn parsed<T: FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| error(name, format!("cannot parse {raw:?}"))),
        }
    }

    pub(super) fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(other) => Err(error(
                name,
                format!("expected true or false, got {other:?}"),
            )),
        }
    }

    pub(super) fn environment(&self) -> Result<Environment, ConfigError> {
        match self.get("POSTERN_ENV") {
            None | Some("development") => Ok(Environment::Development),
            Some("production") => Ok(Environment::Production),
            Some(other) => Err(error(
                "POSTERN_ENV",
                format!("expected development or production, got {other:?}"),
            )),
        }
    }

    pub(super) fn database_url(&self) -> Result<Option<SecretString>, ConfigError> {
        match self.get("DATABASE_URL") {
            None => Ok(None),
            Some(url)
                if ["postgres://", "postgresql://", "sqlite:"]
                    .iter()
                    .any(|p| url.starts_with(p)) =>
            {
                Ok(Some(SecretString::from(url.to_owned())))
            }
            Some(_) => Err(error(
                "DATABASE_URL",
                "expected a postgres://... or sqlite:... URL",
            )),
        }
    }

    /// `REDIS_URL` (`redis://` or `rediss://`) and `REDIS_KEY_PREFIX`.
    pub(super) fn redis(&self) -> Result<Option<RedisConfig>, ConfigError> {
        let Some(url) = self.get("REDIS_URL") else {
            return Ok(None);
        };
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(error(
                "REDIS_URL",
                "expected redis://[user:password@]host:port[/db] or rediss://...",
            ));
        }
        Ok(Some(RedisConfig {
            url: SecretString::from(url.to_owned()),
            key_prefix: self.get("REDIS_KEY_PREFIX").unwrap_or_default().to_owned(),
        }))
    }

    /// `WORKER_MAX_ATTEMPTS`, `WORKER_RETRY_BASE`, `WORKER_VISIBILITY_TIMEOUT`,
    /// `STREAM_RETENTION`.
    pub(super) fn consumers(&self) -> Result<ConsumerConfig, ConfigError> {
        let defaults = ConsumerConfig::default();
        let max_attempts: u32 = self.parsed("WORKER_MAX_ATTEMPTS", defaults.max_attempts)?;
        if max_attempts == 0 {
            return Err(error("WORKER_MAX_ATTEMPTS", "must be at least 1"));
        }
        Ok(ConsumerConfig {
            max_attempts,
            retry_base: self.duration("WORKER_RETRY_BASE", defaults.retry_base)?,
            visibility_timeout: self
                .duration("WORKER_VISIBILITY_TIMEOUT", defaults.visibility_timeout)?,
            retention: self.duration("STREAM_RETENTION", defaults.retention)?,
            ..defaults
        })
    }

    /// `SHUTDOWN_TIMEOUT`: a positive duration up to an hour; bare digits are seconds.
    /// An optional TCP port, `1` to `65535`.
    pub(super) fn optional_port(&self, name: &'static str) -> Result<Option<u16>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => raw
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .map(Some)
                .ok_or_else(|| {
                    error(
                        name,
                        format!("expected a port from 1 to 65535; got {raw:?}"),
                    )
                }),
        }
    }

    pub(super) fn shutdown_timeout(&self) -> Result<StdDuration, ConfigError> {
        const NAME: &str = "SHUTDOWN_TIMEOUT";
        let Some(raw) = self.get(NAME) else {
            return Ok(StdDuration::from_secs(10));
        };
        let parsed = match raw.trim().parse::<u64>() {
            Ok(seconds) => Some(StdDuration::from_secs(seconds)),
            Err(_) => parse_duration(raw),
        };
        parsed
            .filter(|d| !d.is_zero() && *d <= StdDuration::from_secs(3600))
            .ok_or_else(|| {
                error(
                    NAME,
                    format!("expected a duration from 1s to 1h, such as 10s or 30; got {raw:?}"),
                )
            })
    }

    /// A positive duration such as `1s` or `24h`.
    fn duration(
        &self,
        name: &'static str,
        default: StdDuration,
    ) -> Result<StdDuration, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => parse_duration(raw)
                .filter(|duration| !duration.is_zero())
                .ok_or_else(|| {
                    error(
                        name,
                        format!("expected a positive duration such as 1s, 30s or 24h; got {raw:?}"),
                    )
                }),
        }
    }

    /// `JWT_SECRET` (HS256), or `JWT_PRIVATE_KEY_FILE` with `JWT_PREVIOUS_PUBLIC_KEY_FILES`
    /// (EdDSA); never both, since tokens are signed and accepted with one algorithm only.
    pub(super) fn jwt_secret(&self, production: bool) -> Result<JwtSecret, ConfigError> {
        if let Some(files) = self.jwt_key_files()? {
            return match self.get("JWT_SECRET") {
                Some(_) => Err(error(
                    "JWT_SECRET",
                    "must not be set together with JWT_PRIVATE_KEY_FILE: tokens are signed \
                     with the key pair (EdDSA) or the secret (HS256), not both; unset one",
                )),
                None => Ok(JwtSecret::KeyPair(files)),
            };
        }
        match self.get("JWT_SECRET") {
            Some(secret) if secret.len() >= MIN_SECRET_BYTES => {
                Ok(JwtSecret::Configured(SecretString::from(secret.to_owned())))
            }
            Some(_) => Err(error("JWT_SECRET", "must be at least 32 bytes long")),
            None if production => Err(error(
                "JWT_SECRET",
                "is required when POSTERN_ENV=production (at least 32 random bytes), unless \
                 JWT_PRIVATE_KEY_FILE names an Ed25519 private key",
            )),
            None => Ok(JwtSecret::GeneratedInDataDir),
        }
    }

    fn jwt_key_files(&self) -> Result<Option<JwtKeyFiles>, ConfigError> {
        let previous_public_keys: Vec<_> = self
            .get("JWT_PREVIOUS_PUBLIC_KEY_FILES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|path| !path.is_empty())
            .map(Into::into)
            .collect();
        match self.get("JWT_PRIVATE_KEY_FILE") {
            Some(path) => Ok(Some(JwtKeyFiles {
                private_key: path.trim().into(),
                previous_public_keys,
            })),
            None if previous_public_keys.is_empty() => Ok(None),
            None => Err(error(
                "JWT_PREVIOUS_PUBLIC_KEY_FILES",
                "needs JWT_PRIVATE_KEY_FILE: previous public keys only verify EdDSA tokens",
            )),
        }
    }

    pub(super) fn session_policy(&self) -> Result<SessionPolicy, ConfigError> {
        let defaults = SessionPolicy::default();
        let access_ttl = self.lifetime("JWT_EXPIRES_IN", defaults.access_ttl, MAX_ACCESS_TTL)?;
        let refresh_ttl = self.lifetime(
            "JWT_REFRESH_EXPIRES_IN",
            defaults.refresh_ttl,
            MAX_REFRESH_TTL,
        )?;
        if refresh_ttl < access_ttl {
            return Err(error(
                "JWT_REFRESH_EXPIRES_IN",
                "must not be shorter than JWT_EXPIRES_IN",
            ));
        }
        Ok(SessionPolicy {
            access_ttl,
            refresh_ttl,
            reuse_grace: self.grace()?,
        })
    }

    fn lifetime(
        &self,
        name: &'static str,
        default: Duration,
        max: Duration,
    ) -> Result<Duration, ConfigError> {
        let Some(raw) = self.get(name) else {
            return Ok(default);
        };
        let parsed = parse_duration(raw)
            .and_then(|d| Duration::try_from(d).ok())
            .filter(|d| d.is_positive())
            .ok_or_else(|| {
                error(
                    name,
                    format!("expected a duration such as 15m or 7d, got {raw:?}"),
                )
            })?;
        if parsed > max {
            let max = humantime::format_duration(max.unsigned_abs());
            return Err(error(name, format!("must be at most {max}")));
        }
        Ok(parsed)
    }

    fn grace(&self) -> Result<Duration, ConfigError> {
        let seconds: i64 = self.parsed("REFRESH_REUSE_GRACE", 10)?;
        if !(0..=300).contains(&seconds) {
            return Err(error(
                "REFRESH_REUSE_GRACE",
                "expected whole seconds from 0 to 300",
            ));
        }
        Ok(Duration::seconds(seconds))
    }

    pub(super) fn trusted_proxies(&self) -> Result<Vec<IpNet>, ConfigError> {
        let Some(raw) = self.get("TRUSTED_PROXIES") else {
            return Ok(Vec::new());
        };
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        error(
                            "TRUSTED_PROXIES",
                            format!("{entry:?} is not an IP address or CIDR"),
                        )
                    })
            })
            .collect()
    }

    /// `CORS_ALLOWED_ORIGINS`: comma-separated exact origins, lower-cased as browsers send
    /// them. A path, a wildcard or credentials in an entry is refused rather than guessed at.
    pub(super) fn cors_allowed_origins(&self) -> Result<Vec<String>, ConfigError> {
        let Some(raw) = self.get("CORS_ALLOWED_ORIGINS") else {
            return Ok(Vec::new());
        };
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                parse_origin(entry).ok_or_else(|| {
                    error(
                        "CORS_ALLOWED_ORIGINS",
                        format!(
                            "{entry:?} is not an origin: expected scheme://host[:port] such as \
                             https://app.example.com, without a path or wildcard"
                        ),
                    )
                })
            })
            .collect()
    }

    /// `RATE_LIMIT_<BUCKET>` for every bucket, and `RATE_LIMIT_GLOBAL`.
    pub(super) fn rate_limits(&self) -> Result<RateLimits, ConfigError> {
        // Parsed now so that a typo fails at start; its bucket arrives with its middleware.
        self.quota("RATE_LIMIT_GLOBAL", None)?;
        let mut limits = RateLimits::default();
        for bucket in RateLimitBucket::ALL {
            let variable = format!("RATE_LIMIT_{}", bucket.name().to_ascii_uppercase());
            limits.set(bucket, self.quota(&variable, limits.quota(bucket))?);
        }
        Ok(limits)
    }

    fn quota(&self, name: &str, default: Option<Quota>) -> Result<Option<Quota>, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some("off") => Ok(None),
            Some(raw) => parse_quota(raw).map(Some).ok_or_else(|| {
                error(
                    name,
                    format!("expected N/period such as 5/15m, or off; got {raw:?}"),
                )
            }),
        }
    }

    pub(super) fn argon2(&self) -> Result<Argon2Params, ConfigError> {
        let defaults = Argon2Params::default();
        Ok(Argon2Params {
            memory_kib: self.parsed("ARGON2_MEMORY_KIB", defaults.memory_kib)?,
            iterations: self.parsed("ARGON2_ITERATIONS", defaults.iterations)?,
            parallelism: self.parsed("ARGON2_PARALLELISM", defaults.parallelism)?,
        })
    }

    /// `APP_URL`, `SMTP_URL` and `MAIL_FROM`. The forms of `SMTP_URL` and `MAIL_FROM` are
    /// checked when the mailer is built at start, with messages naming them.
    pub(super) fn mail(&self, production: bool) -> Result<MailSettings, ConfigError> {
        let smtp_url = self.get("SMTP_URL");
        let app_url = match self.get("APP_URL") {
            Some(raw) => raw,
            None if production && smtp_url.is_some() => {
                return Err(error(
                    "APP_URL",
                    "is required with SMTP_URL in production: the public base URL of the links in mail, e.g. https://accounts.example.com",
                ));
            }
            None => DEFAULT_APP_URL,
        };
        let app_url = AppUrl::parse(app_url).map_err(|_| {
            error(
                "APP_URL",
                "expected an absolute http(s) URL without query or fragment, e.g. https://accounts.example.com",
            )
        })?;
        let smtp = match smtp_url {
            None => None,
            Some(url) => Some(SmtpConfig {
                url: SecretString::from(url.to_owned()),
                from: self
                    .get("MAIL_FROM")
                    .ok_or_else(|| {
                        error(
                            "MAIL_FROM",
                            "is required with SMTP_URL: the sender, e.g. Postern <no-reply@example.com>",
                        )
                    })?
                    .to_owned(),
                app_url: app_url.as_str().to_owned(),
                timeout: SmtpConfig::DEFAULT_TIMEOUT,
            }),
        };
        Ok(MailSettings { app_url, smtp })
    }

    pub(super) fn log_format(&self, production: bool) -> Result<LogFormat, ConfigError> {
        match self.get("LOG_FORMAT") {
            None if production => Ok(LogFormat::Json),
            None => Ok(LogFormat::Pretty),
            Some("json") => Ok(LogFormat::Json),
            Some("pretty") => Ok(LogFormat::Pretty),
            Some(other) => Err(error(
                "LOG_FORMAT",
                format!("expected json or pretty, got {other:?}"),
            )),
        }
    }
}

/// `15m`, `7d`, `90s`, `1h 30m`: humantime's syntax, which Backlume's `ms`-style values fit.
/// An `http` or `https` origin, lower-cased; `None` for anything else.
fn parse_origin(raw: &str) -> Option<String> {
    let origin = raw.to_ascii_lowercase();
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && !port.contains(']') => (host, Some(port)),
        _ => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    (host_ok && port_ok).then_some(origin)
}

fn parse_duration(raw: &str) -> Option<StdDuration> {
    humantime::parse_duration(raw.trim()).ok()
}

/// `N/period`, e.g. `5/15m`; a bare unit means one of it (`100/minute` is not accepted, `100/1m` is).
fn parse_quota(raw: &str) -> Option<Quota> {
    let (limit, period) = raw.split_once('/')?;
    let limit: u32 = limit.trim().parse().ok().filter(|n| *n > 0)?;
    let period = parse_duration(period).filter(|p| !p.is_zero())?;
    Some(Quota { limit, period })
}
