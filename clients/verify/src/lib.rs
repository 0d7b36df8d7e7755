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

mod builder;
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

pub use builder::VerifierBuilder;
pub use claims::Claims;
pub use error::{BoxError, BuildError, VerifyError};
#[cfg(feature = "axum")]
pub use extract::{Refusal, Verified};
#[cfg(feature = "tower")]
pub use layer::{VerifyLayer, VerifyService, refusal};

use claims::WireClaims;
use keys::Keys;
use revocation::{Revocation, Standing};

/// How far ahead of this service's clock a token's `iat` or `nbf` may lie, as Postern allows.
const ISSUED_AT_LEEWAY_SECS: i64 = 30;

/// Verifies access tokens. Cheap to clone: clones share the key cache and connections.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

/// What [`VerifierBuilder::build`] assembles.
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

/// A verifier of its parts, for [`VerifierBuilder::build`].
fn assemble(
    keys: Keys,
    validation: Validation,
    max_lifetime: Duration,
    revocation: Revocation,
) -> Verifier {
    Verifier {
        inner: Arc::new(Inner {
            keys,
            validation,
            max_lifetime,
            revocation,
        }),
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| i64::try_from(now.as_secs()).unwrap_or(i64::MAX))
}
