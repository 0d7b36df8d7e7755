//! The variables as serde reads them: one field per variable, named as the variable, each of
//! a type that checks its own form (see `values`), with the defaults of docs/http-api.md §8
//! in one `Default`.
//! What no single variable can decide (one setting requiring or excluding another, defaults
//! that depend on `POSTERN_ENV`) is checked once, in [`Settings::validate`], which also
//! builds the [`Config`] the rest of the program uses.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::{NonZeroU16, NonZeroU32};
use std::path::PathBuf;

use postern_core::domain::{LockoutPolicy, PasswordPolicy, SessionPolicy};
use postern_core::ports::{RateLimitBucket, RateLimits};
use postern_core::usecases::RetentionPolicy;
use postern_mail::SmtpConfig;
use postern_oidc::{ProviderSettings, SettingsError, providers_from};
use postern_password::Argon2Params;
use postern_redis::streams::ConsumerConfig;
use secrecy::SecretString;
use serde::Deserialize;

use super::values::{
    AppUrlSetting, CommaList, DatabaseUrl, Flag, IntrospectionClientSetting, Origin, Parsed,
    PositiveDuration, Proxy, QuotaSetting, RedisUrl, Seconds, ShutdownTimeout, SigningSecret,
};
use super::{
    Config, ConfigError, ConnectionLimits, Environment, JwtKeyFiles, JwtSecret, LogFormat,
    MailSettings, MfaKey, RedisConfig, RetentionSettings, WebAuthnSettings, listen_url,
};

/// The longest access-token lifetime accepted. Revocation lists keep entries this long, so a
/// bound keeps them bounded (and a restart's seeding window finite).
pub const MAX_ACCESS_TTL: time::Duration = postern_core::domain::SessionPolicy::MAX_ACCESS_TTL;
const MAX_ACCESS_TTL_SECS: u64 = MAX_ACCESS_TTL.whole_seconds().unsigned_abs();
/// The longest refresh-token lifetime accepted, in seconds (366 days).
const MAX_REFRESH_TTL_SECS: u64 = 366 * 24 * 60 * 60;
/// The longest `SESSION_MAX_LIFETIME` accepted, in seconds (366 days).
const MAX_SESSION_LIFETIME_SECS: u64 = 366 * 24 * 60 * 60;
/// The longest `REFRESH_REUSE_GRACE`, in seconds.
const MAX_REUSE_GRACE_SECS: u64 = 300;
/// The weakest password hashing production accepts: OWASP's minimum for Argon2id, 19 MiB of
/// memory and 2 passes (the default); parallelism of 1 or more is always accepted.
const MIN_PRODUCTION_ARGON2_MEMORY_KIB: u32 = 19_456;
const MIN_PRODUCTION_ARGON2_ITERATIONS: u32 = 2;
/// The most failed logins `LOCKOUT_THRESHOLD` may allow before a lock: beyond it the lockout
/// no longer slows a guesser.
const MAX_LOCKOUT_THRESHOLD: u32 = 1000;
/// The longest `LOCKOUT_DURATION`, in seconds (one day).
const MAX_LOCKOUT_DURATION_SECS: u64 = 24 * 60 * 60;
/// How many times a client's threshold the failures from every client together may reach
/// before the email is locked for all of them (docs/http-api.md §3 lockout).
const ACCOUNT_THRESHOLD_FACTOR: u32 = 10;
/// The bounds of `PASSWORD_MIN_LENGTH`: never below the 8 every password needs, never above the
/// 128 any may have.
const PASSWORD_LENGTH_RANGE: std::ops::RangeInclusive<usize> = 8..=128;
/// The highest `PASSWORD_MIN_SCORE`: zxcvbn scores 0 to 4.
const MAX_PASSWORD_SCORE: u8 = 4;
/// The longest `HTTP_HEADER_TIMEOUT`, in seconds: a head takes milliseconds to send.
const MAX_HEADER_TIMEOUT_SECS: u64 = 300;
/// The longest `HTTP_IDLE_TIMEOUT`, in seconds.
const MAX_IDLE_TIMEOUT_SECS: u64 = 3600;
/// The longest retention period, `RETENTION_*` and `AUDIT_RETENTION_DAYS` alike: 100 years,
/// which keeps every cutoff far inside the range of a timestamp.
const MAX_RETENTION_DAYS: u32 = 36_600;
const MAX_RETENTION_SECS: u64 = MAX_RETENTION_DAYS as u64 * 24 * 60 * 60;
/// The longest `RETENTION_INTERVAL`, in seconds (a day).
const MAX_RETENTION_INTERVAL_SECS: u64 = 24 * 60 * 60;
/// The largest `RETENTION_BATCH`: a batch is one statement, which should stay short.
const MAX_RETENTION_BATCH: u32 = 100_000;
/// The largest `DATABASE_MAX_CONNECTIONS`: far above what one process can use, and a sign of
/// a typo rather than of sizing.
const MAX_DATABASE_CONNECTIONS: u32 = 1000;

/// Every variable Postern reads, as read: unset ones hold their default (or `None` where
/// being unset means something of its own).
#[derive(Debug, Deserialize)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub(super) struct Settings {
    postern_env: Environment,
    host: Parsed<IpAddr>,
    port: Parsed<u16>,
    postern_data_dir: PathBuf,
    database_url: Option<DatabaseUrl>,
    /// Unset: the backend's own default (see `postern_db::connect`).
    database_max_connections: Option<Parsed<NonZeroU32>>,
    migrate_on_start: Flag,
    redis_url: Option<RedisUrl>,
    redis_key_prefix: String,
    worker_max_attempts: Parsed<NonZeroU32>,
    worker_retry_base: PositiveDuration,
    worker_visibility_timeout: PositiveDuration,
    stream_retention: PositiveDuration,
    jwt_secret: Option<SigningSecret>,
    mfa_encryption_key: Option<SigningSecret>,
    jwt_private_key_file: Option<Parsed<PathBuf>>,
    jwt_previous_public_key_files: CommaList<PathBuf>,
    jwt_issuer: String,
    jwt_audience: String,
    jwt_expires_in: PositiveDuration<MAX_ACCESS_TTL_SECS>,
    jwt_refresh_expires_in: PositiveDuration<MAX_REFRESH_TTL_SECS>,
    /// Unset: 30 days, or `JWT_REFRESH_EXPIRES_IN` if that is longer.
    session_max_lifetime: Option<PositiveDuration<MAX_SESSION_LIFETIME_SECS>>,
    refresh_reuse_grace: Seconds<MAX_REUSE_GRACE_SECS>,
    lockout_threshold: Parsed<NonZeroU32>,
    lockout_duration: PositiveDuration<MAX_LOCKOUT_DURATION_SECS>,
    password_min_length: Parsed<usize>,
    password_min_score: Parsed<u8>,
    trusted_proxies: CommaList<Proxy>,
    cors_allowed_origins: CommaList<Origin>,
    introspection_clients: CommaList<IntrospectionClientSetting>,
    argon2_memory_kib: Parsed<u32>,
    argon2_iterations: Parsed<u32>,
    argon2_parallelism: Parsed<u32>,
    log_format: Option<LogFormat>,
    app_url: Option<AppUrlSetting>,
    smtp_url: Option<SecretString>,
    mail_from: Option<String>,
    webauthn_rp_id: Option<String>,
    webauthn_origin: Option<Origin>,
    shutdown_timeout: ShutdownTimeout,
    http_header_timeout: PositiveDuration<MAX_HEADER_TIMEOUT_SECS>,
    http_idle_timeout: PositiveDuration<MAX_IDLE_TIMEOUT_SECS>,
    http_max_connections: Parsed<NonZeroU32>,
    worker_metrics_port: Option<Parsed<NonZeroU16>>,
    retention_outbox: PositiveDuration<MAX_RETENTION_SECS>,
    /// Unset: 30 days, or `JWT_REFRESH_EXPIRES_IN` if that is longer.
    retention_sessions: Option<PositiveDuration<MAX_RETENTION_SECS>>,
    retention_account_tokens: PositiveDuration<MAX_RETENTION_SECS>,
    retention_handled_events: PositiveDuration<MAX_RETENTION_SECS>,
    audit_retention_days: Parsed<NonZeroU32>,
    retention_interval: PositiveDuration<MAX_RETENTION_INTERVAL_SECS>,
    retention_batch: Parsed<NonZeroU32>,
    oauth_redirect_allowlist: CommaList<AppUrlSetting>,
    /// Every other variable: the `RATE_LIMIT_<BUCKET>` ones, read by looping over the
    /// buckets, and whatever else the environment holds.
    #[serde(flatten)]
    pub(super) others: HashMap<String, String>,
}

impl Default for Settings {
    /// What Postern does with nothing configured: the defaults of docs/http-api.md §8.
    fn default() -> Self {
        let consumers = ConsumerConfig::default();
        let sessions = SessionPolicy::default();
        let argon2 = Argon2Params::default();
        let connections = ConnectionLimits::default();
        let lockout = LockoutPolicy::default();
        let retention = RetentionSettings::default();
        let period = |d: time::Duration| PositiveDuration(d.unsigned_abs());
        Self {
            postern_env: Environment::Development,
            host: Parsed(IpAddr::from([127, 0, 0, 1])),
            port: Parsed(8080),
            postern_data_dir: "./data".into(),
            database_url: None,
            database_max_connections: None,
            migrate_on_start: Flag(true),
            redis_url: None,
            redis_key_prefix: String::new(),
            worker_max_attempts: Parsed(
                NonZeroU32::new(consumers.max_attempts).unwrap_or(NonZeroU32::MIN),
            ),
            worker_retry_base: PositiveDuration(consumers.retry_base),
            worker_visibility_timeout: PositiveDuration(consumers.visibility_timeout),
            stream_retention: PositiveDuration(consumers.retention),
            jwt_secret: None,
            mfa_encryption_key: None,
            jwt_private_key_file: None,
            jwt_previous_public_key_files: CommaList(Vec::new()),
            jwt_issuer: "postern".to_owned(),
            jwt_audience: "postern".to_owned(),
            jwt_expires_in: PositiveDuration(sessions.access_ttl.unsigned_abs()),
            jwt_refresh_expires_in: PositiveDuration(sessions.refresh_ttl.unsigned_abs()),
            session_max_lifetime: None,
            refresh_reuse_grace: Seconds(sessions.reuse_grace.unsigned_abs().as_secs()),
            lockout_threshold: Parsed(
                NonZeroU32::new(lockout.max_failures).unwrap_or(NonZeroU32::MIN),
            ),
            lockout_duration: PositiveDuration(lockout.lock_for.unsigned_abs()),
            password_min_length: Parsed(PasswordPolicy::default().min_length),
            password_min_score: Parsed(PasswordPolicy::default().min_score),
            trusted_proxies: CommaList(Vec::new()),
            cors_allowed_origins: CommaList(Vec::new()),
            introspection_clients: CommaList(Vec::new()),
            argon2_memory_kib: Parsed(argon2.memory_kib),
            argon2_iterations: Parsed(argon2.iterations),
            argon2_parallelism: Parsed(argon2.parallelism),
            log_format: None,
            app_url: None,
            smtp_url: None,
            mail_from: None,
            webauthn_rp_id: None,
            webauthn_origin: None,
            shutdown_timeout: ShutdownTimeout(std::time::Duration::from_secs(10)),
            http_header_timeout: PositiveDuration(connections.header_timeout),
            http_idle_timeout: PositiveDuration(connections.idle_timeout),
            http_max_connections: Parsed(connections.max_connections),
            worker_metrics_port: None,
            retention_outbox: period(retention.policy.published_events),
            retention_sessions: None,
            retention_account_tokens: period(retention.policy.account_tokens),
            retention_handled_events: period(retention.policy.handled_events),
            audit_retention_days: Parsed(
                u32::try_from(retention.policy.audit_events.whole_days())
                    .ok()
                    .and_then(NonZeroU32::new)
                    .unwrap_or(NonZeroU32::MIN),
            ),
            retention_interval: PositiveDuration(retention.interval),
            retention_batch: Parsed(retention.batch),
            oauth_redirect_allowlist: CommaList(Vec::new()),
            others: HashMap::new(),
        }
    }
}

/// The variable that sets `bucket`'s quota: `RATE_LIMIT_` and its name in capitals.
pub(super) fn rate_limit_variable(bucket: RateLimitBucket) -> String {
    format!("RATE_LIMIT_{}", bucket.name().to_ascii_uppercase())
}

fn error(variable: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable: variable.to_owned(),
        problem: problem.into(),
    }
}

impl Settings {
    /// Checks the rules that tie variables together and builds the configuration.
    ///
    /// # Errors
    /// The first rule broken, naming the variable to change.
    pub(super) fn validate(self) -> Result<Config, ConfigError> {
        let production = self.postern_env == Environment::Production;
        if production {
            self.production_minimums()?;
        }
        let jwt_secret = self.jwt_secret(production)?;
        let mfa_key = match (&self.mfa_encryption_key, production) {
            (Some(key), _) => MfaKey::Configured(key.0.clone()),
            (None, true) => {
                return Err(error(
                    "MFA_ENCRYPTION_KEY",
                    "is required when POSTERN_ENV=production (at least 32 random bytes)",
                ));
            }
            (None, false) => MfaKey::GeneratedInDataDir,
        };
        let sessions = self.sessions()?;
        let lockout = self.lockout()?;
        let passwords = self.passwords()?;
        let rate_limits = self.rate_limits()?;
        let mail = self.mail(production)?;
        let webauthn = WebAuthnSettings {
            rp_id: self.webauthn_rp_id.clone(),
            origin: self.webauthn_origin.as_ref().map(|origin| origin.0.clone()),
        };
        webauthn.relying_party(&mail.app_url)?;
        let retention = self.retention()?;
        let database_max_connections = self.database_max_connections()?;
        let oidc_providers = self.oidc_providers()?;
        let default_log_format = if production {
            LogFormat::Json
        } else {
            LogFormat::Pretty
        };
        Ok(Config {
            environment: self.postern_env,
            host: self.host.0,
            port: self.port.0,
            data_dir: self.postern_data_dir,
            database_url: self.database_url.map(|url| url.0),
            database_max_connections,
            redis: self.redis_url.map(|url| RedisConfig {
                url: url.0,
                key_prefix: self.redis_key_prefix,
            }),
            consumers: ConsumerConfig {
                max_attempts: self.worker_max_attempts.0.get(),
                retry_base: self.worker_retry_base.0,
                visibility_timeout: self.worker_visibility_timeout.0,
                retention: self.stream_retention.0,
                ..ConsumerConfig::default()
            },
            migrate_on_start: self.migrate_on_start.0,
            jwt_secret,
            mfa_key,
            jwt_issuer: self.jwt_issuer,
            jwt_audience: self.jwt_audience,
            sessions,
            lockout,
            passwords,
            trusted_proxies: self.trusted_proxies.0.into_iter().map(|p| p.0).collect(),
            cors_allowed_origins: self
                .cors_allowed_origins
                .0
                .into_iter()
                .map(|o| o.0)
                .collect(),
            introspection_clients: self
                .introspection_clients
                .0
                .into_iter()
                .map(|client| client.0)
                .collect(),
            rate_limits,
            argon2: Argon2Params {
                memory_kib: self.argon2_memory_kib.0,
                iterations: self.argon2_iterations.0,
                parallelism: self.argon2_parallelism.0,
            },
            log_format: self.log_format.unwrap_or(default_log_format),
            mail,
            webauthn,
            shutdown_timeout: self.shutdown_timeout.0,
            connections: ConnectionLimits {
                header_timeout: self.http_header_timeout.0,
                idle_timeout: self.http_idle_timeout.0,
                max_connections: self.http_max_connections.0,
            },
            worker_metrics_port: self.worker_metrics_port.map(|port| port.0.get()),
            retention,
            oidc_providers,
            oauth_redirect_allowlist: self
                .oauth_redirect_allowlist
                .0
                .into_iter()
                .map(|prefix| prefix.0.as_str().to_owned())
                .collect(),
        })
    }

    /// `OIDC_PROVIDERS` and the `OIDC_<NAME>_*` variables of each provider it lists; an empty
    /// value counts as unset, as for every other variable.
    fn oidc_providers(&self) -> Result<Vec<ProviderSettings>, ConfigError> {
        providers_from(|name| self.others.get(name).filter(|v| !v.is_empty()).cloned()).map_err(
            |problem| {
                let variable = match &problem {
                    SettingsError::Missing { variable, .. }
                    | SettingsError::InvalidIssuer { variable, .. }
                    | SettingsError::NoOpenidScope { variable } => variable.clone(),
                    _ => "OIDC_PROVIDERS".to_owned(),
                };
                error(&variable, problem.to_string())
            },
        )
    }

    /// `DATABASE_MAX_CONNECTIONS`, bounded so that a typo cannot exhaust the database's
    /// connection slots.
    fn database_max_connections(&self) -> Result<Option<NonZeroU32>, ConfigError> {
        match &self.database_max_connections {
            Some(max) if max.0.get() > MAX_DATABASE_CONNECTIONS => Err(error(
                "DATABASE_MAX_CONNECTIONS",
                format!("must be at most {MAX_DATABASE_CONNECTIONS}"),
            )),
            max => Ok(max.as_ref().map(|max| max.0)),
        }
    }

    /// The `RETENTION_*` variables and `AUDIT_RETENTION_DAYS`. Used refresh tokens must be
    /// kept at least as long as they would have been valid, so that one presented again is
    /// still recognised as reused (and its session ended) rather than merely unknown.
    fn retention(&self) -> Result<RetentionSettings, ConfigError> {
        let defaults = RetentionSettings::default();
        let refresh_ttl = self.jwt_refresh_expires_in.0;
        let sessions = match &self.retention_sessions {
            Some(set) if set.0 < refresh_ttl => {
                return Err(error(
                    "RETENTION_SESSIONS",
                    "must not be shorter than JWT_REFRESH_EXPIRES_IN: a used refresh token \
                     would be forgotten while it could still be replayed",
                ));
            }
            Some(set) => set.0,
            None => refresh_ttl.max(defaults.policy.sessions.unsigned_abs()),
        };
        if self.retention_batch.0.get() > MAX_RETENTION_BATCH {
            return Err(error(
                "RETENTION_BATCH",
                format!("must be at most {MAX_RETENTION_BATCH}"),
            ));
        }
        let days = self.audit_retention_days.0.get();
        if days > MAX_RETENTION_DAYS {
            return Err(error(
                "AUDIT_RETENTION_DAYS",
                format!("must be at most {MAX_RETENTION_DAYS}"),
            ));
        }
        // Exact: each period is at most MAX_RETENTION_SECS, far inside time's range.
        let exact =
            |d: std::time::Duration| time::Duration::try_from(d).unwrap_or(time::Duration::MAX);
        Ok(RetentionSettings {
            policy: RetentionPolicy {
                published_events: exact(self.retention_outbox.0),
                sessions: exact(sessions),
                account_tokens: exact(self.retention_account_tokens.0),
                handled_events: exact(self.retention_handled_events.0),
                audit_events: time::Duration::days(i64::from(days)),
            },
            interval: self.retention_interval.0,
            batch: self.retention_batch.0,
        })
    }

    /// What development tolerates and production refuses: password hashing below the
    /// documented minimum, a `JWT_SECRET` that cannot be random, and short introspection
    /// client secrets.
    fn production_minimums(&self) -> Result<(), ConfigError> {
        if self.argon2_memory_kib.0 < MIN_PRODUCTION_ARGON2_MEMORY_KIB {
            return Err(error(
                "ARGON2_MEMORY_KIB",
                format!("must be at least {MIN_PRODUCTION_ARGON2_MEMORY_KIB} in production"),
            ));
        }
        if self.argon2_iterations.0 < MIN_PRODUCTION_ARGON2_ITERATIONS {
            return Err(error(
                "ARGON2_ITERATIONS",
                format!("must be at least {MIN_PRODUCTION_ARGON2_ITERATIONS} in production"),
            ));
        }
        if let Some(weakness) = self.jwt_secret.as_ref().and_then(SigningSecret::weakness) {
            return Err(error("JWT_SECRET", weakness));
        }
        if let Some(weakness) = self
            .mfa_encryption_key
            .as_ref()
            .and_then(SigningSecret::weakness)
        {
            return Err(error("MFA_ENCRYPTION_KEY", weakness));
        }
        if let Some(short) = self.introspection_clients.0.iter().find(|c| c.is_short()) {
            return Err(error(
                "INTROSPECTION_CLIENTS",
                format!(
                    "the secret of client {:?} must be at least {} bytes in production; \
                     generate one with `openssl rand -base64 48`",
                    short.0.id,
                    IntrospectionClientSetting::MIN_PRODUCTION_SECRET_BYTES
                ),
            ));
        }
        Ok(())
    }

    /// `JWT_SECRET` (HS256), or `JWT_PRIVATE_KEY_FILE` with `JWT_PREVIOUS_PUBLIC_KEY_FILES`
    /// (EdDSA); never both, since tokens are signed and accepted with one algorithm only.
    fn jwt_secret(&self, production: bool) -> Result<JwtSecret, ConfigError> {
        let previous_public_keys = self.jwt_previous_public_key_files.0.clone();
        match (&self.jwt_private_key_file, &self.jwt_secret) {
            (Some(_), Some(_)) => Err(error(
                "JWT_SECRET",
                "must not be set together with JWT_PRIVATE_KEY_FILE: tokens are signed with \
                 the key pair (EdDSA) or the secret (HS256), not both; unset one",
            )),
            (Some(private_key), None) => Ok(JwtSecret::KeyPair(JwtKeyFiles {
                private_key: private_key.0.clone(),
                previous_public_keys,
            })),
            (None, _) if !previous_public_keys.is_empty() => Err(error(
                "JWT_PREVIOUS_PUBLIC_KEY_FILES",
                "needs JWT_PRIVATE_KEY_FILE: previous public keys only verify EdDSA tokens",
            )),
            (None, Some(secret)) => Ok(JwtSecret::Configured(secret.0.clone())),
            (None, None) if production => Err(error(
                "JWT_SECRET",
                "is required when POSTERN_ENV=production (at least 32 random bytes), unless \
                 JWT_PRIVATE_KEY_FILE names an Ed25519 private key",
            )),
            (None, None) => Ok(JwtSecret::GeneratedInDataDir),
        }
    }

    /// Token and session lifetimes: a refresh token must outlive the access tokens it renews,
    /// and a session the first refresh token of its login.
    fn sessions(&self) -> Result<SessionPolicy, ConfigError> {
        let (access_ttl, refresh_ttl) = (self.jwt_expires_in.0, self.jwt_refresh_expires_in.0);
        if refresh_ttl < access_ttl {
            return Err(error(
                "JWT_REFRESH_EXPIRES_IN",
                "must not be shorter than JWT_EXPIRES_IN",
            ));
        }
        let defaults = SessionPolicy::default();
        let max_lifetime = match &self.session_max_lifetime {
            Some(set) if set.0 < refresh_ttl => {
                return Err(error(
                    "SESSION_MAX_LIFETIME",
                    "must not be shorter than JWT_REFRESH_EXPIRES_IN: a session would end \
                     before the refresh token of its login expires",
                ));
            }
            Some(set) => set.0,
            None => refresh_ttl.max(defaults.max_lifetime.unsigned_abs()),
        };
        // Exact: every duration here is bounded (at most 366 days) far inside time's range.
        let exact =
            |d: std::time::Duration| time::Duration::try_from(d).unwrap_or(time::Duration::MAX);
        Ok(SessionPolicy {
            access_ttl: exact(access_ttl),
            refresh_ttl: exact(refresh_ttl),
            max_lifetime: exact(max_lifetime),
            reuse_grace: exact(std::time::Duration::from_secs(self.refresh_reuse_grace.0)),
        })
    }

    /// `LOCKOUT_THRESHOLD` failures from one client lock an email for `LOCKOUT_DURATION`; ten
    /// times as many from every client lock it for all.
    fn lockout(&self) -> Result<LockoutPolicy, ConfigError> {
        let threshold = self.lockout_threshold.0.get();
        if threshold > MAX_LOCKOUT_THRESHOLD {
            return Err(error(
                "LOCKOUT_THRESHOLD",
                format!("must be at most {MAX_LOCKOUT_THRESHOLD}"),
            ));
        }
        Ok(LockoutPolicy {
            max_failures: threshold,
            max_account_failures: threshold * ACCOUNT_THRESHOLD_FACTOR,
            // Exact: at most a day.
            lock_for: time::Duration::try_from(self.lockout_duration.0)
                .unwrap_or(time::Duration::DAY),
            ..LockoutPolicy::default()
        })
    }

    /// `PASSWORD_MIN_LENGTH` (8 to 128) and `PASSWORD_MIN_SCORE` (0, no estimate, to 4).
    fn passwords(&self) -> Result<PasswordPolicy, ConfigError> {
        let (min_length, min_score) = (self.password_min_length.0, self.password_min_score.0);
        if !PASSWORD_LENGTH_RANGE.contains(&min_length) {
            return Err(error(
                "PASSWORD_MIN_LENGTH",
                format!(
                    "must be {} to {} characters",
                    PASSWORD_LENGTH_RANGE.start(),
                    PASSWORD_LENGTH_RANGE.end()
                ),
            ));
        }
        if min_score > MAX_PASSWORD_SCORE {
            return Err(error(
                "PASSWORD_MIN_SCORE",
                format!("must be 0 (off) to {MAX_PASSWORD_SCORE}, a zxcvbn score"),
            ));
        }
        Ok(PasswordPolicy {
            min_length,
            min_score,
        })
    }

    /// `RATE_LIMIT_<BUCKET>` for every bucket; unset ones keep their default quota.
    fn rate_limits(&self) -> Result<RateLimits, ConfigError> {
        let mut limits = RateLimits::default();
        for bucket in RateLimitBucket::ALL {
            let variable = rate_limit_variable(bucket);
            if let Some(raw) = self.others.get(&variable) {
                let quota = QuotaSetting::try_from(raw.clone()).map_err(|e| error(&variable, e))?;
                limits.set(bucket, quota.0);
            }
        }
        Ok(limits)
    }

    /// `APP_URL`, `SMTP_URL` and `MAIL_FROM`. The forms of `SMTP_URL` and `MAIL_FROM` are
    /// checked when the mailer is built at start, with messages naming them.
    fn mail(&self, production: bool) -> Result<MailSettings, ConfigError> {
        let app_url = match (&self.app_url, &self.smtp_url) {
            (Some(app_url), _) => app_url.0.clone(),
            (None, Some(_)) if production => {
                return Err(error(
                    "APP_URL",
                    "is required with SMTP_URL in production: the public base URL of the \
                     links in mail, e.g. https://accounts.example.com",
                ));
            }
            (None, _) => listen_url(SocketAddr::new(self.host.0, self.port.0)),
        };
        let smtp = match &self.smtp_url {
            None => None,
            Some(url) => Some(SmtpConfig {
                url: url.clone(),
                from: self.mail_from.clone().ok_or_else(|| {
                    error(
                        "MAIL_FROM",
                        "is required with SMTP_URL: the sender, e.g. Postern <no-reply@example.com>",
                    )
                })?,
                app_url: app_url.as_str().to_owned(),
                timeout: SmtpConfig::DEFAULT_TIMEOUT,
            }),
        };
        Ok(MailSettings {
            app_url,
            app_url_is_listen_address: self.app_url.is_none(),
            smtp,
        })
    }
}
