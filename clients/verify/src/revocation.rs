//! Whether a genuine token's session still stands, by one of two strategies.
//!
//! - **Redis** (feature `redis`): one `EXISTS {prefix}revoked:session:{sid}` against the Redis
//!   Postern writes its revocation list to (docs/http-api.md §10, format v1). A logout is seen
//!   at once. A Redis that does not answer within the timeout makes the check fail
//!   ([`VerifyError::Unavailable`]), never pass.
//! - **Introspection**: `POST /api/v1/auth/introspect` with HTTP Basic client credentials,
//!   each answer cached for a short time to live (5 s by default), so a logout is seen within
//!   that time. The answer also carries the account's current role.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::error::VerifyError;

/// The entries an introspection cache holds before it drops the expired ones.
const PRUNE_AT: usize = 10_000;

/// The strategy in use.
pub(crate) enum Revocation {
    /// Postern's revocation list in Redis.
    #[cfg(feature = "redis")]
    Redis(RedisList),
    /// Postern's introspection endpoint.
    Introspection(Introspector),
}

/// What the strategy says of a session.
pub(crate) enum Standing {
    /// Not revoked; with introspection, the account's role now.
    Live { role: Option<String> },
    /// Revoked, or its account disabled or gone.
    Revoked,
}

impl Revocation {
    /// The standing of the session `sid` of `token`.
    pub(crate) async fn standing(&self, token: &str, sid: &str) -> Result<Standing, VerifyError> {
        match self {
            #[cfg(feature = "redis")]
            Self::Redis(list) => list.standing(sid).await,
            Self::Introspection(introspector) => introspector.standing(token, sid).await,
        }
    }
}

/// Reads Postern's revocation keys.
#[cfg(feature = "redis")]
pub(crate) struct RedisList {
    pub(crate) connection: redis::aio::ConnectionManager,
    pub(crate) prefix: String,
    pub(crate) timeout: Duration,
}

#[cfg(feature = "redis")]
impl RedisList {
    async fn standing(&self, sid: &str) -> Result<Standing, VerifyError> {
        let key = format!("{}revoked:session:{sid}", self.prefix);
        let mut connection = self.connection.clone();
        let mut exists = redis::cmd("EXISTS");
        let exists = exists.arg(&key).query_async::<i64>(&mut connection);
        let revoked = tokio::time::timeout(self.timeout, exists)
            .await
            .map_err(|elapsed| VerifyError::Unavailable(elapsed.into()))?
            .map_err(|error| VerifyError::Unavailable(error.into()))?;
        Ok(if revoked > 0 {
            Standing::Revoked
        } else {
            Standing::Live { role: None }
        })
    }
}

/// Asks Postern, with a short cache.
pub(crate) struct Introspector {
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) ttl: Duration,
    pub(crate) cache: Mutex<HashMap<String, (Instant, Option<String>)>>,
}

/// The parts of an RFC 7662 answer this crate reads.
#[derive(Deserialize)]
struct Answer {
    active: bool,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

impl Introspector {
    async fn standing(&self, token: &str, sid: &str) -> Result<Standing, VerifyError> {
        if let Some(role) = self.cached(token) {
            return Ok(standing(role));
        }
        let answer: Answer = self
            .http
            .post(&self.url)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("token", token)])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|error| VerifyError::Unavailable(error.into()))?
            .json()
            .await
            .map_err(|error| VerifyError::Unavailable(error.into()))?;
        // The active role, or `None` for an inactive token (or one of another session, which
        // Postern never answers).
        let role = (answer.active && answer.sid.as_deref() == Some(sid))
            .then(|| answer.role.unwrap_or_default());
        self.remember(token, role.clone());
        Ok(standing(role))
    }

    /// A fresh cached answer: `Some(None)` for inactive.
    fn cached(&self, token: &str) -> Option<Option<String>> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .get(token)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, role)| role.clone())
    }

    fn remember(&self, token: &str, role: Option<String>) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= PRUNE_AT {
            cache.retain(|_, (at, _)| at.elapsed() < self.ttl);
        }
        cache.insert(token.to_owned(), (Instant::now(), role));
    }
}

fn standing(role: Option<String>) -> Standing {
    match role {
        Some(role) => Standing::Live { role: Some(role) },
        None => Standing::Revoked,
    }
}
