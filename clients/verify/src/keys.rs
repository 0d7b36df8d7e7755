//! The keys that verify signatures: an HS256 shared secret, or the Ed25519 keys Postern
//! publishes at `/.well-known/jwks.json`.
//!
//! The key set is fetched at the first token, kept for `max_age`, and fetched again when a
//! token names a key id it does not hold (Postern rotated its key), but never more often than
//! once per `refetch_floor`, so that tokens with made-up key ids cannot make this service
//! hammer Postern. When a fetch fails, the keys already held keep verifying.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use tracing::warn;

use crate::error::VerifyError;

/// Where verification keys come from.
pub(crate) enum Keys {
    /// One shared secret; key ids are not checked.
    Hs256(DecodingKey),
    /// Postern's published Ed25519 keys.
    Jwks(JwksKeys),
}

impl Keys {
    /// The one algorithm these keys verify: a token of any other is refused.
    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            Self::Hs256(_) => Algorithm::HS256,
            Self::Jwks(_) => Algorithm::EdDSA,
        }
    }

    /// The key that verifies a token with key id `kid`.
    pub(crate) async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, VerifyError> {
        match self {
            Self::Hs256(key) => Ok(key.clone()),
            Self::Jwks(jwks) => jwks.key(kid.ok_or(VerifyError::Invalid)?).await,
        }
    }
}

/// The published keys, cached.
pub(crate) struct JwksKeys {
    http: reqwest::Client,
    url: String,
    max_age: Duration,
    refetch_floor: Duration,
    held: RwLock<KeySet>,
    /// One fetch at a time: tokens arriving during a fetch wait for its result.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

impl KeySet {
    fn is_fresh(&self, max_age: Duration) -> bool {
        self.fetched_at.is_some_and(|at| at.elapsed() < max_age)
    }
}

/// RFC 7517's JWK Set, as much of it as Postern writes.
#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

impl JwksKeys {
    pub(crate) fn new(
        http: reqwest::Client,
        url: String,
        max_age: Duration,
        refetch_floor: Duration,
    ) -> Self {
        Self {
            http,
            url,
            max_age,
            refetch_floor,
            held: RwLock::new(KeySet::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The key with id `kid`: from the cache while it is fresh and holds it, else after a
    /// fetch, if the floor allows one.
    async fn key(&self, kid: &str) -> Result<DecodingKey, VerifyError> {
        if let Some(key) = self.held(kid, true) {
            return Ok(key);
        }
        let _one_fetch = self.fetching.lock().await;
        // Another task may have fetched while this one waited.
        if let Some(key) = self.held(kid, true) {
            return Ok(key);
        }
        if self.fetched_within(self.refetch_floor) {
            return self.held(kid, false).ok_or(VerifyError::Invalid);
        }
        match self.fetch().await {
            Ok(set) => *self.held.write().unwrap_or_else(PoisonError::into_inner) = set,
            Err(error) => {
                warn!(url = %self.url, error = %error, "fetching Postern's JWKS failed");
                // Keep what is held, and wait out the floor before trying again.
                let mut held = self.held.write().unwrap_or_else(PoisonError::into_inner);
                if held.keys.is_empty() {
                    return Err(VerifyError::Unavailable(error.into()));
                }
                held.fetched_at = Some(Instant::now());
            }
        }
        self.held(kid, false).ok_or(VerifyError::Invalid)
    }

    fn held(&self, kid: &str, fresh_only: bool) -> Option<DecodingKey> {
        let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
        if fresh_only && !held.is_fresh(self.max_age) {
            return None;
        }
        held.keys.get(kid).cloned()
    }

    fn fetched_within(&self, period: Duration) -> bool {
        let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
        held.fetched_at.is_some_and(|at| at.elapsed() < period)
    }

    async fn fetch(&self) -> Result<KeySet, reqwest::Error> {
        let set: JwkSet = self
            .http
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let keys = set
            .keys
            .into_iter()
            .filter_map(|jwk| {
                let ed25519 = jwk.kty == "OKP" && jwk.crv.as_deref() == Some("Ed25519");
                let key = DecodingKey::from_ed_components(jwk.x.as_deref()?).ok()?;
                ed25519.then_some((jwk.kid?, key))
            })
            .collect();
        Ok(KeySet {
            keys,
            fetched_at: Some(Instant::now()),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A server answering every request with a JWK Set holding one Ed25519 key, `k1`; and how
    /// many requests it answered.
    async fn jwks_server() -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let served = Arc::new(AtomicUsize::new(0));
        let count = served.clone();
        tokio::spawn(async move {
            let body = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1","alg":"EdDSA","use":"sig"}]}"#;
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = vec![0; 4096];
                let _ = socket.read(&mut request).await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(response.as_bytes()).await.unwrap();
            }
        });
        (url, served)
    }

    fn keys(url: String, refetch_floor: Duration) -> JwksKeys {
        JwksKeys::new(
            reqwest::Client::new(),
            url,
            Duration::from_secs(300),
            refetch_floor,
        )
    }

    #[tokio::test]
    async fn keys_are_fetched_once_and_then_served_from_the_cache() {
        let (url, served) = jwks_server().await;
        let keys = keys(url, Duration::from_secs(10));

        assert!(keys.key("k1").await.is_ok());
        assert!(keys.key("k1").await.is_ok());

        assert_eq!(served.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_unknown_key_id_refetches_but_never_within_the_floor() {
        let (url, served) = jwks_server().await;
        let floored = keys(url.clone(), Duration::from_secs(10));
        let unfloored = keys(url, Duration::ZERO);
        floored.key("k1").await.unwrap();
        unfloored.key("k1").await.unwrap();

        let within_floor = floored.key("rotated").await;
        let after_floor = unfloored.key("rotated").await;

        assert!(matches!(within_floor, Err(VerifyError::Invalid)));
        assert!(matches!(after_floor, Err(VerifyError::Invalid)));
        // Two first fetches, and one refetch: the unfloored one's.
        assert_eq!(served.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn without_any_key_an_unreachable_jwks_is_unavailable_not_invalid() {
        let keys = keys(
            "http://127.0.0.1:9/.well-known/jwks.json".into(),
            Duration::ZERO,
        );

        let result = keys.key("k1").await;

        assert!(matches!(result, Err(VerifyError::Unavailable(_))));
    }
}
