//! Configuration (docs/http-api.md §8): one typed value, read from the environment (and
//! `.env`, and the file named by `POSTERN_CONFIG_FILE`), validated at start with messages that
//! name the variable. Tests build it from a map instead.
//!
//! The reading is declarative: `settings` is a serde struct with one field per variable, each
//! field's type (in `values`) checks that variable's form, `sources` feeds the variables to
//! it through figment, and `Settings::validate` checks the rules that tie variables together.

mod describe;
mod redact;
mod settings;
mod sources;
mod values;

pub use settings::MAX_ACCESS_TTL;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;

use ipnet::IpNet;
use postern_core::domain::{LockoutPolicy, PasswordPolicy, SessionPolicy};
use postern_core::ports::RateLimits;
use postern_core::usecases::RetentionPolicy;
use postern_http::IntrospectionClient;
use postern_mail::{AppUrl, SmtpConfig};
use postern_oidc::ProviderSettings;
use postern_password::Argon2Params;
use postern_redis::streams::ConsumerConfig;
use postern_webauthn::{RelyingParty, RelyingPartyError};
use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use sources::Variables;

/// Development or production; production refuses to start on missing secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Environment {
    /// Generated secrets are allowed, 500s may carry internal detail.
    Development,
    /// Everything must be configured; nothing internal is ever shown.
    Production,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LogFormat {
    /// One JSON object per line, for collectors.
    Json,
    /// Human-readable lines.
    Pretty,
}

/// The key that seals second-factor secrets at rest (`MFA_ENCRYPTION_KEY`).
#[derive(Clone, Debug)]
pub enum MfaKey {
    /// `MFA_ENCRYPTION_KEY`.
    Configured(SecretString),
    /// Development only: generated once and kept in the data directory.
    GeneratedInDataDir,
}

/// What signs access tokens: an HS256 secret or, instead, an Ed25519 key pair (EdDSA).
#[derive(Clone, Debug)]
pub enum JwtSecret {
    /// `JWT_SECRET`.
    Configured(SecretString),
    /// Development only: generated once and kept in the data directory.
    GeneratedInDataDir,
    /// `JWT_PRIVATE_KEY_FILE` and `JWT_PREVIOUS_PUBLIC_KEY_FILES`: EdDSA, no secret.
    KeyPair(JwtKeyFiles),
}

/// The PEM files of an Ed25519 signing key and of the earlier public keys still accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtKeyFiles {
    /// `JWT_PRIVATE_KEY_FILE`: the PKCS#8 private key that signs new tokens.
    pub private_key: PathBuf,
    /// `JWT_PREVIOUS_PUBLIC_KEY_FILES`: comma-separated public keys of earlier pairs, whose
    /// tokens stay valid until they expire.
    pub previous_public_keys: Vec<PathBuf>,
}

/// The whole configuration of a Postern process.
#[derive(Clone, Debug)]
pub struct Config {
    /// `POSTERN_ENV`.
    pub environment: Environment,
    /// `HOST`.
    pub host: IpAddr,
    /// `PORT`; 0 picks a free port.
    pub port: u16,
    /// `POSTERN_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`; `None` means the SQLite file in the data directory. Secret: it may carry
    /// a password.
    pub database_url: Option<SecretString>,
    /// `DATABASE_MAX_CONNECTIONS`: the most connections this process's pool opens; `None`
    /// means the backend's default (10 on PostgreSQL, 4 on a SQLite file).
    pub database_max_connections: Option<NonZeroU32>,
    /// `REDIS_URL` and `REDIS_KEY_PREFIX`; `None` means in-process cache, rate limiter,
    /// revocation list and event delivery.
    pub redis: Option<RedisConfig>,
    /// How stream workers retry, take over and trim (used with Redis only).
    pub consumers: ConsumerConfig,
    /// `MIGRATE_ON_START`: run pending migrations before serving (default true).
    pub migrate_on_start: bool,
    /// `JWT_SECRET`, or `JWT_PRIVATE_KEY_FILE` and `JWT_PREVIOUS_PUBLIC_KEY_FILES`.
    pub jwt_secret: JwtSecret,
    /// `MFA_ENCRYPTION_KEY`: what seals TOTP secrets at rest.
    pub mfa_key: MfaKey,
    /// `JWT_ISSUER` and `JWT_AUDIENCE` (default `postern` for both).
    pub jwt_issuer: String,
    /// The `aud` claim issued and required.
    pub jwt_audience: String,
    /// `JWT_EXPIRES_IN`, `JWT_REFRESH_EXPIRES_IN`, `SESSION_MAX_LIFETIME`, `REFRESH_REUSE_GRACE`.
    pub sessions: SessionPolicy,
    /// `LOCKOUT_THRESHOLD`, `LOCKOUT_DURATION`: failed logins that lock an email, and for how
    /// long.
    pub lockout: LockoutPolicy,
    /// `PASSWORD_MIN_LENGTH`, `PASSWORD_MIN_SCORE`: what a new password must satisfy.
    pub passwords: PasswordPolicy,
    /// `TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<IpNet>,
    /// `CORS_ALLOWED_ORIGINS`: exact origins (`scheme://host[:port]`, lower-cased) that may
    /// call the API from a browser; empty (the default) means no CORS.
    pub cors_allowed_origins: Vec<String>,
    /// `INTROSPECTION_CLIENTS`: the `id:secret` pairs of the services that may introspect
    /// tokens; empty (the default) means no introspection route.
    pub introspection_clients: Vec<IntrospectionClient>,
    /// `RATE_LIMIT_<BUCKET>`: `RATE_LIMIT_LOGIN`, `RATE_LIMIT_REFRESH`, ...
    pub rate_limits: RateLimits,
    /// `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`, `ARGON2_PARALLELISM`.
    pub argon2: Argon2Params,
    /// `LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `APP_URL`, `SMTP_URL`, `MAIL_FROM`.
    pub mail: MailSettings,
    /// `WEBAUTHN_RP_ID`, `WEBAUTHN_ORIGIN`.
    pub webauthn: WebAuthnSettings,
    /// `SHUTDOWN_TIMEOUT`: how long in-flight requests and worker batches may take to finish
    /// after SIGTERM or SIGINT (default 10 s, at most 1 h).
    pub shutdown_timeout: std::time::Duration,
    /// `HTTP_HEADER_TIMEOUT`, `HTTP_IDLE_TIMEOUT`, `HTTP_MAX_CONNECTIONS`.
    pub connections: ConnectionLimits,
    /// `WORKER_METRICS_PORT`: where `postern worker` serves `GET /metrics` (on `HOST`); unset
    /// means no listener (the server's own `/metrics` covers `serve --with-workers`).
    pub worker_metrics_port: Option<u16>,
    /// `RETENTION_*` and `AUDIT_RETENTION_DAYS`: what the housekeeping job prunes, and how
    /// often.
    pub retention: RetentionSettings,
    /// `OIDC_PROVIDERS` and each listed provider's `OIDC_<NAME>_*`: the OpenID providers
    /// people may sign in with, in configuration order; none by default.
    pub oidc_providers: Vec<ProviderSettings>,
    /// `OAUTH_REDIRECT_ALLOWLIST`: the URL prefixes a provider's sign-in may send the browser
    /// back to; empty (the default) means `APP_URL` alone, resolved once the server listens.
    pub oauth_redirect_allowlist: Vec<String>,
}

/// The housekeeping job (docs/http-api.md §8, "Retention"): how long each kind of row is kept
/// after it ended, how often the job runs, and how many rows of a kind one batch deletes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionSettings {
    /// `RETENTION_OUTBOX`, `RETENTION_SESSIONS`, `RETENTION_ACCOUNT_TOKENS`,
    /// `RETENTION_HANDLED_EVENTS` and `AUDIT_RETENTION_DAYS`.
    pub policy: RetentionPolicy,
    /// `RETENTION_INTERVAL`: the wait between two runs (default 1 h, at most a day).
    pub interval: std::time::Duration,
    /// `RETENTION_BATCH`: rows of one kind deleted per statement (default 1000).
    pub batch: NonZeroU32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            policy: RetentionPolicy::default(),
            interval: std::time::Duration::from_secs(60 * 60),
            batch: NonZeroU32::new(1000).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// What one client connection may hold of the server, so that connections opened and left
/// silent, half-sent or idle cannot exhaust its sockets (slowloris).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// `HTTP_HEADER_TIMEOUT`: how long a client may take to send a request's line and headers,
    /// counted from the moment the server waits for them (the connection opened, or the
    /// previous response went out); a keep-alive connection waiting for its next request is
    /// closed after it too. Default 10 s, at most 5 min.
    pub header_timeout: std::time::Duration,
    /// `HTTP_IDLE_TIMEOUT`: how long a connection may pass no byte either way (a stalled
    /// upload, a client that stops reading) before it is closed. Default 60 s, at most 1 h.
    pub idle_timeout: std::time::Duration,
    /// `HTTP_MAX_CONNECTIONS`: how many connections are open at once; beyond it new ones wait
    /// in the listen backlog until one closes. Default 1024.
    pub max_connections: NonZeroU32,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: std::time::Duration::from_secs(10),
            idle_timeout: std::time::Duration::from_secs(60),
            max_connections: NonZeroU32::new(1024).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// Where mail goes and where its links lead.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `APP_URL`: the public base URL of the links in mail (required in production when mail
    /// is sent by SMTP). Unset, it is the server's own address: see [`Config::listening_on`].
    pub app_url: AppUrl,
    /// Whether `APP_URL` was left unset, so that links follow the address the server listens
    /// on, known for `PORT=0` only once it is bound.
    pub app_url_is_listen_address: bool,
    /// `SMTP_URL` and `MAIL_FROM`; `None` means the console mailer, which logs each mail.
    pub smtp: Option<SmtpConfig>,
}

/// The WebAuthn relying party's settings, each defaulting from `APP_URL` (see
/// [`RelyingParty::defaults`]): read against the final `APP_URL`, known for `PORT=0` only
/// once the server is bound.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebAuthnSettings {
    /// `WEBAUTHN_RP_ID`: the domain credentials are bound to.
    pub rp_id: Option<String>,
    /// `WEBAUTHN_ORIGIN`: the origin of the pages that run the ceremonies.
    pub origin: Option<String>,
}

impl WebAuthnSettings {
    /// The relying party of these settings for `app_url`.
    ///
    /// # Errors
    /// The variable to change when the RP id does not cover the origin, or a URL has no host.
    pub fn relying_party(&self, app_url: &AppUrl) -> Result<RelyingParty, ConfigError> {
        let app = Url::parse(app_url.as_str()).map_err(|_| ConfigError {
            variable: "APP_URL".to_owned(),
            problem: "is not a URL".to_owned(),
        })?;
        let origin = self
            .origin
            .as_deref()
            .map(Url::parse)
            .transpose()
            .map_err(|_| ConfigError {
                variable: "WEBAUTHN_ORIGIN".to_owned(),
                problem: "is not a URL".to_owned(),
            })?;
        RelyingParty::configure(&app, self.rp_id.as_deref(), origin.as_ref()).map_err(|error| {
            let variable = match error {
                RelyingPartyError::NotAnEffectiveDomain { .. } => "WEBAUTHN_RP_ID",
                RelyingPartyError::NoHost(_) if self.origin.is_some() => "WEBAUTHN_ORIGIN",
                RelyingPartyError::NoHost(_) => "APP_URL",
            };
            ConfigError {
                variable: variable.to_owned(),
                problem: error.to_string(),
            }
        })
    }
}

/// Where Redis is, and the prefix of every key Postern writes there.
#[derive(Clone, Debug)]
pub struct RedisConfig {
    /// `REDIS_URL`. Secret: it may carry a password.
    pub url: SecretString,
    /// `REDIS_KEY_PREFIX` (default empty), so that several deployments can share one Redis.
    pub key_prefix: String,
}

/// The variable naming an optional configuration file: `NAME=value` lines like `.env`, for
/// settings that are easier to ship as a file (a mounted ConfigMap, a systemd
/// `EnvironmentFile`). The environment wins over `.env`, which wins over the file.
pub const CONFIG_FILE: &str = "POSTERN_CONFIG_FILE";

/// A variable that is missing or malformed: its name and the form it should have.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The variable's name.
    pub variable: String,
    /// What is wrong and what is expected.
    pub problem: String,
}

impl Config {
    /// Reads the process environment, then `.env` (if present), then the file named by
    /// [`CONFIG_FILE`] (if set), each filling only what the ones before left unset.
    ///
    /// # Errors
    /// The first variable that is missing or malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case; a malformed one is reported by the values it sets.
        // It fills the process environment (not only the configuration), so that `RUST_LOG`
        // in it reaches the log filter too.
        let _ = dotenvy::dotenv();
        let environment = Variables::environment();
        let file = environment
            .get(CONFIG_FILE)
            .map(Variables::file)
            .transpose()?;
        sources::read(&environment, file.as_ref())?.validate()
    }

    /// Builds the configuration from explicit variables, as tests do.
    ///
    /// # Errors
    /// The first variable that is missing or malformed.
    pub fn from_vars(vars: HashMap<String, String>) -> Result<Self, ConfigError> {
        sources::read(&Variables::new("the given variables", vars), None)?.validate()
    }

    /// This configuration for a server bound to `addr`: unless `APP_URL` is set, links in mail
    /// lead to `http://` that address, with a wildcard host (`0.0.0.0`, `::`) read as the
    /// loopback address of its family, the one address sure to reach the server.
    pub fn listening_on(&self, addr: SocketAddr) -> Self {
        let mut config = self.clone();
        if config.mail.app_url_is_listen_address {
            let app_url = listen_url(addr);
            if let Some(smtp) = &mut config.mail.smtp {
                app_url.as_str().clone_into(&mut smtp.app_url);
            }
            config.mail.app_url = app_url;
        }
        config
    }

    /// The prefixes `redirectTo` may start with: `OAUTH_REDIRECT_ALLOWLIST`, or `APP_URL`.
    pub fn redirect_allow_list(&self) -> Vec<String> {
        if self.oauth_redirect_allowlist.is_empty() {
            vec![self.mail.app_url.as_str().to_owned()]
        } else {
            self.oauth_redirect_allowlist.clone()
        }
    }

    /// Whether this is a development process.
    pub fn is_development(&self) -> bool {
        self.environment == Environment::Development
    }
}

/// `http://{addr}`, with a wildcard host replaced by the loopback address of its family.
pub(crate) fn listen_url(addr: SocketAddr) -> AppUrl {
    let host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    AppUrl::from_listen_address(SocketAddr::new(host, addr.port()))
}

#[cfg(test)]
mod link_tests;
#[cfg(test)]
mod provider_tests;
#[cfg(test)]
mod tests;
