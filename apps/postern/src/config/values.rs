//! The forms a single variable can take, one small newtype each. Each is read from the
//! variable's text by `TryFrom<String>` (serde's `try_from`), so a value of the wrong form
//! fails while the configuration is deserialized, and the error is reported under the
//! variable's name. Messages never repeat a value that may be a secret.

use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use postern_core::ports::Quota;
use postern_http::IntrospectionClient;
use postern_mail::AppUrl;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{Environment, LogFormat};

impl TryFrom<String> for Environment {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        match raw.as_str() {
            "development" => Ok(Self::Development),
            "production" => Ok(Self::Production),
            other => Err(format!("expected development or production, got {other:?}")),
        }
    }
}

impl TryFrom<String> for LogFormat {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        match raw.as_str() {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            other => Err(format!("expected json or pretty, got {other:?}")),
        }
    }
}

/// A number or address read with its own `FromStr`, surrounding whitespace ignored.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "String", bound = "T: FromStr<Err: Display>")]
pub(super) struct Parsed<T>(pub T);

impl<T: FromStr<Err: Display>> TryFrom<String> for Parsed<T> {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        raw.trim()
            .parse()
            .map(Self)
            .map_err(|e| format!("cannot parse {raw:?}: {e}"))
    }
}

/// `true`, `1` or `yes`; `false`, `0` or `no`; in any case.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct Flag(pub bool);

impl TryFrom<String> for Flag {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Self(true)),
            "false" | "0" | "no" => Ok(Self(false)),
            other => Err(format!("expected true or false, got {other:?}")),
        }
    }
}

/// A positive duration in humantime's syntax (`30s`, `15m`, `7d`, `1h 30m`), at most
/// `MAX_SECS` seconds.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct PositiveDuration<const MAX_SECS: u64 = { u64::MAX }>(pub Duration);

impl<const MAX_SECS: u64> TryFrom<String> for PositiveDuration<MAX_SECS> {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let duration = humantime::parse_duration(raw.trim())
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                format!("expected a positive duration such as 30s, 15m or 7d; got {raw:?}")
            })?;
        let max = Duration::from_secs(MAX_SECS);
        if duration > max {
            return Err(format!(
                "must be at most {}",
                humantime::format_duration(max)
            ));
        }
        Ok(Self(duration))
    }
}

/// `SHUTDOWN_TIMEOUT`: bare seconds or a duration, from 1 s to 1 h.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct ShutdownTimeout(pub Duration);

impl TryFrom<String> for ShutdownTimeout {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        let duration = match raw.trim().parse::<u64>() {
            Ok(seconds) => Duration::from_secs(seconds),
            // Zero, refused below.
            Err(_) => humantime::parse_duration(raw.trim()).unwrap_or_default(),
        };
        if duration.is_zero() || duration > Duration::from_secs(3600) {
            return Err(format!(
                "expected a duration from 1s to 1h, such as 10s or 30; got {raw:?}"
            ));
        }
        Ok(Self(duration))
    }
}

/// Whole seconds from 0 to `MAX`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct Seconds<const MAX: u64>(pub u64);

impl<const MAX: u64> TryFrom<String> for Seconds<MAX> {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        raw.trim()
            .parse()
            .ok()
            .filter(|seconds| *seconds <= MAX)
            .map(Self)
            .ok_or_else(|| format!("expected whole seconds from 0 to {MAX}, got {raw:?}"))
    }
}

/// A rate limit: `N/period` such as `5/15m` (a bare unit is not accepted: `100/1m`, not
/// `100/minute`), or `off`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct QuotaSetting(pub Option<Quota>);

impl TryFrom<String> for QuotaSetting {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        if raw.trim() == "off" {
            return Ok(Self(None));
        }
        parse_quota(&raw)
            .map(|quota| Self(Some(quota)))
            .ok_or_else(|| format!("expected N/period such as 5/15m, or off; got {raw:?}"))
    }
}

fn parse_quota(raw: &str) -> Option<Quota> {
    let (limit, period) = raw.split_once('/')?;
    let limit: u32 = limit.trim().parse().ok().filter(|n| *n > 0)?;
    let period = humantime::parse_duration(period.trim())
        .ok()
        .filter(|p| !p.is_zero())?;
    Some(Quota { limit, period })
}

/// A quota as its variable would spell it: `5/15m`, or `off`.
pub(super) fn quota_text(quota: Option<Quota>) -> String {
    quota.map_or_else(
        || "off".to_owned(),
        |q| format!("{}/{}", q.limit, humantime::format_duration(q.period)),
    )
}

/// Comma-separated entries, each trimmed; empty entries are skipped.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String", bound = "T: TryFrom<String, Error: Display>")]
pub(super) struct CommaList<T>(pub Vec<T>);

impl<T: TryFrom<String, Error: Display>> TryFrom<String> for CommaList<T> {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| T::try_from(entry.to_owned()).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// A trusted proxy: an IP address or a CIDR.
#[derive(Clone, Copy, Debug)]
pub(super) struct Proxy(pub IpNet);

impl TryFrom<String> for Proxy {
    type Error = String;

    fn try_from(entry: String) -> Result<Self, String> {
        entry
            .parse::<IpNet>()
            .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
            .map(Self)
            .map_err(|_| format!("{entry:?} is not an IP address or CIDR"))
    }
}

/// A CORS origin, `scheme://host[:port]`, lower-cased as browsers send it. A path, a
/// wildcard or credentials are refused rather than guessed at.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct Origin(pub String);

impl TryFrom<String> for Origin {
    type Error = String;

    fn try_from(entry: String) -> Result<Self, String> {
        parse_origin(&entry).map(Self).ok_or_else(|| {
            format!(
                "{entry:?} is not an origin: expected scheme://host[:port] such as \
                 https://app.example.com, without a path or wildcard"
            )
        })
    }
}

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

/// `DATABASE_URL`: PostgreSQL or SQLite. Secret: it may carry a password.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct DatabaseUrl(pub SecretString);

impl TryFrom<String> for DatabaseUrl {
    type Error = &'static str;

    fn try_from(url: String) -> Result<Self, &'static str> {
        if ["postgres://", "postgresql://", "sqlite:"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
        {
            Ok(Self(url.into()))
        } else {
            Err("expected a postgres://... or sqlite:... URL")
        }
    }
}

/// `REDIS_URL`: one server (`redis://`, `rediss://` with TLS) or a Redis Cluster
/// (`redis-cluster://`, `rediss-cluster://`, naming one or more of its nodes). Secret: it may
/// carry a password.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct RedisUrl(pub SecretString);

impl RedisUrl {
    /// The schemes fred connects with, for one server and for a cluster.
    const SCHEMES: [&str; 4] = [
        "redis://",
        "rediss://",
        "redis-cluster://",
        "rediss-cluster://",
    ];
}

impl TryFrom<String> for RedisUrl {
    type Error = &'static str;

    fn try_from(url: String) -> Result<Self, &'static str> {
        if Self::SCHEMES.iter().any(|scheme| url.starts_with(scheme)) {
            Ok(Self(url.into()))
        } else {
            Err(
                "expected redis://[user:password@]host:port[/db], rediss://..., or for a \
                 cluster redis-cluster://host:port?node=host:port&node=... (rediss-cluster:// \
                 with TLS)",
            )
        }
    }
}

/// `JWT_SECRET`: at least 256 bits, as HS256 needs.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct SigningSecret(pub SecretString);

impl SigningSecret {
    /// The shortest secret accepted, in bytes.
    const MIN_BYTES: usize = 32;
}

impl SigningSecret {
    /// The fewest distinct characters a production secret may hold: a random 32-character
    /// secret, even in hex, has about 14; a word or a keyboard run repeated has fewer.
    const MIN_DISTINCT: usize = 10;

    /// Why this secret cannot be random, if it cannot: too few distinct characters, or one
    /// short piece repeated. A check of form, not of entropy: it catches the secrets people
    /// type (`aaaa...`, `changeme` four times), not a guessable one that looks random.
    pub(super) fn weakness(&self) -> Option<&'static str> {
        let bytes = self.0.expose_secret().as_bytes();
        let distinct = bytes.iter().collect::<std::collections::HashSet<_>>().len();
        if distinct < Self::MIN_DISTINCT {
            return Some(
                "must be random in production: it holds fewer than 10 distinct characters; \
                 generate one with `openssl rand -base64 48`",
            );
        }
        let repeats = (1..=bytes.len() / 2)
            .any(|period| bytes.iter().zip(&bytes[period..]).all(|(a, b)| a == b));
        repeats.then_some(
            "must be random in production: it is one shorter piece repeated; generate one with \
             `openssl rand -base64 48`",
        )
    }
}

impl TryFrom<String> for SigningSecret {
    type Error = String;

    fn try_from(secret: String) -> Result<Self, String> {
        if secret.len() >= Self::MIN_BYTES {
            Ok(Self(secret.into()))
        } else {
            Err(format!("must be at least {} bytes long", Self::MIN_BYTES))
        }
    }
}

/// One `id:secret` pair of `INTROSPECTION_CLIENTS`. The secret may hold `:`; the id may not.
#[derive(Clone, Debug)]
pub(super) struct IntrospectionClientSetting(pub IntrospectionClient);

impl IntrospectionClientSetting {
    /// The shortest secret production accepts, in bytes: as much as a `JWT_SECRET`.
    pub(super) const MIN_PRODUCTION_SECRET_BYTES: usize = 32;

    /// Whether the secret is shorter than production accepts.
    pub(super) fn is_short(&self) -> bool {
        self.0.secret.expose_secret().len() < Self::MIN_PRODUCTION_SECRET_BYTES
    }
}

impl TryFrom<String> for IntrospectionClientSetting {
    type Error = &'static str;

    fn try_from(entry: String) -> Result<Self, &'static str> {
        match entry.split_once(':') {
            Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
                Ok(Self(IntrospectionClient {
                    id: id.to_owned(),
                    secret: secret.to_owned().into(),
                }))
            }
            _ => Err("expected comma-separated id:secret pairs, e.g. orders:<32 random bytes>"),
        }
    }
}

/// `APP_URL`: an absolute http(s) URL without query or fragment.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub(super) struct AppUrlSetting(pub AppUrl);

impl TryFrom<String> for AppUrlSetting {
    type Error = &'static str;

    fn try_from(raw: String) -> Result<Self, &'static str> {
        AppUrl::parse(&raw).map(Self).map_err(|_| {
            "expected an absolute http(s) URL without query or fragment, e.g. \
             https://accounts.example.com"
        })
    }
}
