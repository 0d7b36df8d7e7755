//! A provider's signing keys (its JWKS), fetched at start-up and fetched again when a token
//! names a key that is not known yet: that is how a provider's key rotation shows.
//!
//! A token naming an unknown key costs at most one fetch per [`REFRESH_COOLDOWN`], whoever
//! sends it, so that tokens with made-up `kid`s cannot turn the adapter against the provider.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use tokio::sync::Mutex;
use url::Url;

use crate::discovery::{DiscoveryFailure, get_json};

/// The least time between two fetches caused by unknown keys.
pub(crate) const REFRESH_COOLDOWN: Duration = Duration::from_secs(30);

/// Why no key verifies a token.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KeyLookupError {
    /// Neither the known keys nor a fresh fetch have it, or the token names no key while the
    /// provider publishes several.
    #[error("unknown signing key")]
    Unknown,
    /// The key set could not be fetched again.
    #[error("the key set could not be fetched")]
    Fetch(#[source] DiscoveryFailure),
}

/// The keys of one provider.
#[derive(Debug)]
pub(crate) struct KeySet {
    jwks_uri: Url,
    keys: RwLock<JwkSet>,
    /// When unknown keys last caused a fetch; held during that fetch so that concurrent
    /// callers wait for it instead of fetching too.
    last_refresh: Mutex<Option<Instant>>,
}

impl KeySet {
    /// Fetches the key set at `jwks_uri`.
    pub(crate) async fn fetch(
        client: &reqwest::Client,
        jwks_uri: Url,
    ) -> Result<Self, DiscoveryFailure> {
        let keys = get_json(client, jwks_uri.as_str()).await?;
        Ok(Self {
            jwks_uri,
            keys: RwLock::new(keys),
            last_refresh: Mutex::new(None),
        })
    }

    /// The key `kid` names (the only key, when the token names none), fetching the set again
    /// once when it is not known.
    pub(crate) async fn key(
        &self,
        client: &reqwest::Client,
        kid: Option<&str>,
    ) -> Result<Jwk, KeyLookupError> {
        if let Some(key) = self.known(kid) {
            return Ok(key);
        }
        let mut last_refresh = self.last_refresh.lock().await;
        // Another caller may have fetched the set while this one waited for the lock.
        if let Some(key) = self.known(kid) {
            return Ok(key);
        }
        if last_refresh.is_some_and(|at| at.elapsed() < REFRESH_COOLDOWN) {
            return Err(KeyLookupError::Unknown);
        }
        *last_refresh = Some(Instant::now());
        tracing::info!(jwks_uri = %self.jwks_uri, kid, "unknown signing key: fetching the key set again");
        let fresh: JwkSet = get_json(client, self.jwks_uri.as_str())
            .await
            .map_err(KeyLookupError::Fetch)?;
        *self
            .keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        self.known(kid).ok_or(KeyLookupError::Unknown)
    }

    /// The known key `kid` names.
    fn known(&self, kid: Option<&str>) -> Option<Jwk> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match kid {
            Some(kid) => keys.find(kid).cloned(),
            None if keys.keys.len() == 1 => keys.keys.first().cloned(),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{JwksServer, key};

    #[tokio::test]
    async fn an_unknown_kid_fetches_the_key_set_once_per_cooldown() {
        let server = JwksServer::start(vec![key(0, "a").jwk]).await;
        let client = crate::http::client().unwrap();
        let keys = KeySet::fetch(&client, server.url.clone()).await.unwrap();

        let first = keys.key(&client, Some("made-up")).await;
        let second = keys.key(&client, Some("made-up")).await;

        assert!(matches!(first, Err(KeyLookupError::Unknown)));
        assert!(matches!(second, Err(KeyLookupError::Unknown)));
        assert_eq!(server.fetches(), 2, "the start-up fetch and one refresh");
    }

    #[tokio::test]
    async fn a_key_published_after_start_is_found_with_one_fetch() {
        let server = JwksServer::start(vec![key(0, "a").jwk]).await;
        let client = crate::http::client().unwrap();
        let keys = KeySet::fetch(&client, server.url.clone()).await.unwrap();
        server.publish(vec![key(0, "a").jwk, key(1, "b").jwk]);

        let rotated = keys.key(&client, Some("b")).await.unwrap();
        let known = keys.key(&client, Some("a")).await.unwrap();

        assert_eq!(rotated.common.key_id.as_deref(), Some("b"));
        assert_eq!(known.common.key_id.as_deref(), Some("a"));
        assert_eq!(server.fetches(), 2);
    }

    #[tokio::test]
    async fn a_token_naming_no_key_uses_the_only_one() {
        let server = JwksServer::start(vec![key(0, "a").jwk]).await;
        let client = crate::http::client().unwrap();
        let keys = KeySet::fetch(&client, server.url.clone()).await.unwrap();
        server.publish(vec![key(0, "a").jwk, key(1, "b").jwk]);

        let only = keys.key(&client, None).await.unwrap();

        assert_eq!(only.common.key_id.as_deref(), Some("a"));
        assert_eq!(server.fetches(), 1);
    }
}
