//! Why a token was refused, and why a verifier could not be built.

/// The cause of a failure of a dependency (Postern, Redis).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why [`crate::Verifier::verify`] refused a token. Only [`VerifyError::Unavailable`] says
/// nothing about the token itself: the caller should answer 503, not 401.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No `Authorization: Bearer` token was presented.
    #[error("no bearer token")]
    Missing,
    /// Malformed, forged, signed with an unknown key, of another issuer or audience, or not
    /// issued the way Postern issues tokens.
    #[error("invalid access token")]
    Invalid,
    /// A genuine token past its expiry.
    #[error("access token expired")]
    Expired,
    /// A genuine token whose session has ended (logout, password reset, disabled account) or,
    /// with introspection, whose account is gone.
    #[error("access token revoked")]
    Revoked,
    /// The keys or the revocation state cannot be read now; the token may be valid.
    #[error("cannot verify the token now")]
    Unavailable(#[source] BoxError),
}

/// Why [`crate::VerifierBuilder::build`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Neither [`crate::VerifierBuilder::jwks`] nor [`crate::VerifierBuilder::hs256_secret`]
    /// was called.
    #[error("no verification keys: call jwks or hs256_secret")]
    NoKeys,
    /// No revocation strategy was chosen.
    #[error("no revocation strategy: call redis_revocation or introspection")]
    NoRevocation,
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client")]
    Http(#[source] reqwest::Error),
    /// Redis could not be reached or its URL is malformed.
    #[cfg(feature = "redis")]
    #[error("cannot connect to Redis")]
    Redis(#[source] redis::RedisError),
}
