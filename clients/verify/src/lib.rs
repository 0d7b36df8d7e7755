//! # postern-verify
//!
//! Verifies [Postern](https://example.invalid/postern)'s access tokens in another Rust service
//! and refuses a token whose session has ended, so that a logout, a password reset, a
//! disabled account or a "log out everywhere" reaches this service too, not only Postern.
//!
//! A token passes when:
//!
//! 1. its signature verifies with one of Postern's published Ed25519 keys
//!    (`/.well-known/jwks.json`, fetched, cached, and fetched again when a token names a key id
//!    not yet seen) or, for HS256 deployments, with the shared secret;
//! 2. its issuer and audience are the configured ones (`postern` by default, Postern's
//!    `JWT_ISSUER` and `JWT_AUDIENCE`), it has not expired (no leeway), and it was issued as
//!    Postern issues tokens: `iat` and `nbf` at most 30 s ahead, a lifetime of at most 24 h;
//! 3. its session is not revoked, by one of two strategies:
//!    - **Redis** (feature `redis`): the revocation list Postern keeps in Redis is read
//!      directly, so a revocation is seen at once; the key format is a versioned interface
//!      (docs/http-api.md §10, format v1);
//!    - **introspection**: Postern's `POST /api/v1/auth/introspect` is asked, and its answer
//!      cached for a short time to live (5 s by default), so a revocation is seen within it.
//!      The claims then carry the account's current role.
//!
//! A check that cannot be made (Postern or Redis down) fails with
//! [`VerifyError::Unavailable`]: this crate never lets a token through unchecked.
//!
//! Feature `tower` adds `VerifyLayer`, which refuses requests without a valid bearer token
//! (401, or 503 when the check cannot be made) and puts the [`Claims`] in the request's
//! extensions; feature `axum` adds the `Verified` extractor.
//!
//! ## Example
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use postern_verify::{Verifier, VerifyError};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     // Postern's public keys, from https://accounts.example.com/.well-known/jwks.json.
//!     .jwks("https://accounts.example.com")
//!     // Its JWT_ISSUER and JWT_AUDIENCE, if not the defaults.
//!     .issuer("postern")
//!     .audience("postern")
//!     // Revocation by introspection, as a client of INTROSPECTION_CLIENTS=orders:<secret>.
//!     .introspection("https://accounts.example.com", "orders", "the client's secret")
//!     .introspection_cache_ttl(Duration::from_secs(5))
//!     .build()
//!     .await?;
//!
//! match verifier.verify("eyJhbGciOiJFZERTQSIs...").await {
//!     Ok(claims) => println!("user {} with role {}", claims.sub, claims.role),
//!     Err(VerifyError::Unavailable(cause)) => eprintln!("answer 503: {cause}"),
//!     Err(refused) => eprintln!("answer 401: {refused}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! With the `redis` feature, `.redis_revocation("redis://127.0.0.1:6379", "")` takes the place
//! of `.introspection(...)`: the Redis URL and `REDIS_KEY_PREFIX` of the Postern deployment.
//! With the `axum` feature, a handler takes `Verified` (see its docs for a whole service), and
//! `examples/resource-server` in Postern's repository is a complete one.

mod claims;
mod error;
mod keys;
mod revocation;

#[cfg(feature = "axum")]
mod extract;
#[cfg(feature = "tower")]
mod layer;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{DecodingKey, Validation};

pub use claims::Claims;
pub use error::{BoxError, BuildError, VerifyError};
#[cfg(feature = "axum")]
pub use extract::{Refusal, Verified};
#[cfg(feature = "tower")]
pub use layer::{VerifyLayer, VerifyService, refusal};

use claims::WireClaims;
use keys::{JwksKeys, Keys};
use revocation::{Introspector, Revocation, Standing};

/// How far ahead of this service's clock a token's `iat` or `nbf` may lie, as Postern allows.
const ISSUED_AT_LEEWAY_SECS: i64 = 30;

/// Verifies access tokens. Cheap to clone: clones share the key cache and connections.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    keys: Keys,
    validation: Validation,
    max_lifetime: Duration,
    revocation: Revocation,
}

impl std::fmt::Debug for Verifier {
    /// No keys, secrets or connections: only what the verifier checks.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithm", &self.inner.keys.algorithm())
            .field("issuer", &self.inner.validation.iss)
            .field("audience", &self.inner.validation.aud)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A builder, with Postern's defaults for issuer and audience (`postern`).
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// The claims of `token` if it is genuine, unexpired and of a live session.
    ///
    /// # Errors
    /// [`VerifyError::Invalid`], [`VerifyError::Expired`] or [`VerifyError::Revoked`] for a
    /// token to refuse (401); [`VerifyError::Unavailable`] when the keys or the revocation
    /// state cannot be read (503).
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let inner = &self.inner;
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Invalid)?;
        if header.alg != inner.keys.algorithm() {
            return Err(VerifyError::Invalid);
        }
        let key: DecodingKey = inner.keys.key(header.kid.as_deref()).await?;
        let wire = jsonwebtoken::decode::<WireClaims>(token, &key, &inner.validation)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => VerifyError::Expired,
                _ => VerifyError::Invalid,
            })?
            .claims;
        if !self.issued_as_postern_issues(&wire) {
            return Err(VerifyError::Invalid);
        }
        let mut claims = Claims::from(wire);
        match inner.revocation.standing(token, &claims.sid).await? {
            Standing::Revoked => Err(VerifyError::Revoked),
            Standing::Live { role } => {
                if let Some(role) = role {
                    claims.role = role;
                }
                Ok(claims)
            }
        }
    }

    /// The claims of the token in an `Authorization` header's value (`Bearer <token>`).
    ///
    /// # Errors
    /// [`VerifyError::Missing`] without a bearer token, else as [`Verifier::verify`].
    pub async fn verify_authorization(
        &self,
        authorization: Option<&str>,
    ) -> Result<Claims, VerifyError> {
        let token = authorization
            .and_then(bearer_token)
            .ok_or(VerifyError::Missing)?;
        self.verify(token).await
    }

    /// `iat` and `nbf` no further ahead than the leeway, and a lifetime within the longest
    /// Postern issues: a token claiming a longer one would outlive its revocation entry.
    fn issued_as_postern_issues(&self, wire: &WireClaims) -> bool {
        let latest = unix_now().saturating_add(ISSUED_AT_LEEWAY_SECS);
        let lifetime = wire.exp.saturating_sub(wire.iat);
        let longest = i64::try_from(self.inner.max_lifetime.as_secs()).unwrap_or(i64::MAX);
        wire.iat <= latest
            && wire.nbf.is_none_or(|nbf| nbf <= latest)
            && (0..=longest).contains(&lifetime)
    }
}

/// The token of an `Authorization` value with the `Bearer` scheme (in any case).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| i64::try_from(now.as_secs()).unwrap_or(i64::MAX))
}

/// Where the keys come from.
enum KeyChoice {
    Jwks(String),
    Hs256(Vec<u8>),
}

/// Which revocation strategy.
enum RevocationChoice {
    #[cfg(feature = "redis")]
    Redis { url: String, prefix: String },
    Introspection {
        url: String,
        client_id: String,
        client_secret: String,
    },
}

/// Configures a [`Verifier`]: one source of keys and one revocation strategy are required.
pub struct VerifierBuilder {
    keys: Option<KeyChoice>,
    revocation: Option<RevocationChoice>,
    issuer: String,
    audience: String,
    max_lifetime: Duration,
    jwks_max_age: Duration,
    jwks_refetch_floor: Duration,
    introspection_ttl: Duration,
    timeout: Duration,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        Self {
            keys: None,
            revocation: None,
            issuer: "postern".to_owned(),
            audience: "postern".to_owned(),
            max_lifetime: Duration::from_secs(24 * 60 * 60),
            jwks_max_age: Duration::from_secs(300),
            jwks_refetch_floor: Duration::from_secs(10),
            introspection_ttl: Duration::from_secs(5),
            timeout: Duration::from_secs(2),
        }
    }
}

impl VerifierBuilder {
    /// Verifies EdDSA tokens with the keys Postern at `postern_url` (its base URL, e.g.
    /// `https://accounts.example.com`) publishes at `/.well-known/jwks.json`.
    #[must_use]
    pub fn jwks(mut self, postern_url: &str) -> Self {
        let url = format!(
            "{}/.well-known/jwks.json",
            postern_url.trim_end_matches('/')
        );
        self.keys = Some(KeyChoice::Jwks(url));
        self
    }

    /// Verifies HS256 tokens with Postern's `JWT_SECRET`.
    #[must_use]
    pub fn hs256_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.keys = Some(KeyChoice::Hs256(secret.into()));
        self
    }

    /// The `iss` required: Postern's `JWT_ISSUER` (default `postern`).
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The `aud` required: Postern's `JWT_AUDIENCE` (default `postern`).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// The longest token lifetime accepted (default 24 h, the longest Postern issues).
    #[must_use]
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// How long fetched keys are trusted before the next token fetches them again
    /// (default 5 min, what Postern's `Cache-Control` allows).
    #[must_use]
    pub fn jwks_max_age(mut self, age: Duration) -> Self {
        self.jwks_max_age = age;
        self
    }

    /// The least time between two fetches of the keys, however many unknown key ids
    /// arrive (default 10 s).
    #[must_use]
    pub fn jwks_refetch_floor(mut self, floor: Duration) -> Self {
        self.jwks_refetch_floor = floor;
        self
    }

    /// Checks revocation in Postern's Redis at `redis_url`, under Postern's
    /// `REDIS_KEY_PREFIX` `key_prefix` (empty by default).
    #[cfg(feature = "redis")]
    #[must_use]
    pub fn redis_revocation(mut self, redis_url: &str, key_prefix: &str) -> Self {
        self.revocation = Some(RevocationChoice::Redis {
            url: redis_url.to_owned(),
            prefix: key_prefix.to_owned(),
        });
        self
    }

    /// Checks revocation by asking Postern at `postern_url` (its base URL) as the
    /// introspection client `client_id` with `client_secret` (one pair of its
    /// `INTROSPECTION_CLIENTS`).
    #[must_use]
    pub fn introspection(
        mut self,
        postern_url: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Self {
        let url = format!(
            "{}/api/v1/auth/introspect",
            postern_url.trim_end_matches('/')
        );
        self.revocation = Some(RevocationChoice::Introspection {
            url,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
        });
        self
    }

    /// How long an introspection answer is reused (default 5 s): the longest a revoked
    /// token is still accepted.
    #[must_use]
    pub fn introspection_cache_ttl(mut self, ttl: Duration) -> Self {
        self.introspection_ttl = ttl;
        self
    }

    /// How long a call to Postern or Redis may take before the check fails (default 2 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The verifier; with the Redis strategy, once connected.
    ///
    /// # Errors
    /// [`BuildError::NoKeys`] or [`BuildError::NoRevocation`] when a choice is missing;
    /// [`BuildError::Http`] or `BuildError::Redis` when a client cannot be built.
    pub async fn build(self) -> Result<Verifier, BuildError> {
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(BuildError::Http)?;
        let keys = match self.keys.ok_or(BuildError::NoKeys)? {
            KeyChoice::Hs256(secret) => Keys::Hs256(DecodingKey::from_secret(&secret)),
            KeyChoice::Jwks(url) => Keys::Jwks(JwksKeys::new(
                http.clone(),
                url,
                self.jwks_max_age,
                self.jwks_refetch_floor,
            )),
        };
        let revocation = match self.revocation.ok_or(BuildError::NoRevocation)? {
            #[cfg(feature = "redis")]
            RevocationChoice::Redis { url, prefix } => {
                let client = redis::Client::open(url).map_err(BuildError::Redis)?;
                let connection = client
                    .get_connection_manager()
                    .await
                    .map_err(BuildError::Redis)?;
                Revocation::Redis(revocation::RedisList {
                    connection,
                    prefix,
                    timeout: self.timeout,
                })
            }
            RevocationChoice::Introspection {
                url,
                client_id,
                client_secret,
            } => Revocation::Introspection(Introspector {
                http,
                url,
                client_id,
                client_secret,
                ttl: self.introspection_ttl,
                cache: std::sync::Mutex::default(),
            }),
        };
        let mut validation = Validation::new(keys.algorithm());
        validation.leeway = 0;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        Ok(Verifier {
            inner: Arc::new(Inner {
                keys,
                validation,
                max_lifetime: self.max_lifetime,
                revocation,
            }),
        })
    }
}
