//! Cryptography the use cases need without knowing its algorithms: password hashing, access
//! tokens, opaque secret tokens and the successors of refresh tokens.

use async_trait::async_trait;

use super::PortResult;
use crate::domain::{
    AccessClaims, AccessToken, OpaqueToken, Password, PasswordHash, PasswordStrength, TokenDigest,
};

/// The outcome of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password is wrong.
    Mismatch,
    /// The password is right; `needs_rehash` when the hash is weaker than the configured
    /// parameters or of a legacy scheme (docs/http-api.md §2).
    Match {
        /// Whether to store a fresh hash now.
        needs_rehash: bool,
    },
}

/// Estimates how hard a new password is to guess, for the minimum score of the
/// [`crate::domain::PasswordPolicy`]. Takes a few milliseconds of CPU.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait StrengthEstimator: Send + Sync {
    /// The strength of `password` against a guesser who also tries `user_inputs` (the
    /// account's email and name) first.
    fn estimate(&self, password: &Password, user_inputs: &[String]) -> PasswordStrength;
}

/// Hashes and verifies passwords. Slow by design, so adapters run it off the async executor.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a password with the configured parameters and a fresh salt.
    async fn hash(&self, password: &Password) -> PortResult<PasswordHash>;

    /// Checks a password against a stored hash.
    ///
    /// # Errors
    /// A wrong password is `Ok(PasswordCheck::Mismatch)`, not an error; an unreadable hash is
    /// [`super::PortError::Unexpected`].
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> PortResult<PasswordCheck>;

    /// Spends the time of a real verification on a fixed dummy hash, so that an unknown email
    /// cannot be told from a wrong password by timing (docs/http-api.md §3).
    async fn verify_dummy(&self, password: &Password) -> PortResult<()>;
}

/// Why [`TokenIssuer::verify`] refused a token. Verifying needs nothing but the keys in memory,
/// so it has no other way to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejected {
    /// A genuine token past its expiry.
    #[error("access token expired")]
    Expired,
    /// Anything else: malformed, forged, signed with an unknown key, of another issuer or
    /// audience, or with claims outside the domain.
    #[error("invalid access token")]
    Invalid,
}

/// Signs and verifies access tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenIssuer: Send + Sync {
    /// Signs `claims` into an access token.
    fn issue(&self, claims: &AccessClaims) -> PortResult<AccessToken>;

    /// Verifies a token's signature, algorithm, issuer, audience and expiry, and returns its
    /// claims.
    ///
    /// # Errors
    /// MUST return [`TokenRejected::Expired`] for a genuine token past its expiry, and
    /// [`TokenRejected::Invalid`] for anything else that fails.
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenRejected>;
}

/// Makes and digests opaque secret tokens (refresh, verification, reset).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait OpaqueTokens: Send + Sync {
    /// A new token of at least 256 random bits, base64url-encoded.
    fn generate(&self) -> OpaqueToken;

    /// The digest under which a token is stored and looked up.
    fn digest(&self, token: &OpaqueToken) -> TokenDigest;
}

/// Derives the refresh token that succeeds a presented one at its rotation (docs/http-api.md §3).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SuccessorTokens: Send + Sync {
    /// The successor of `token`, base64url-encoded like [`OpaqueTokens::generate`]'s tokens.
    ///
    /// MUST be the same for every presentation of `token`, on every instance of a deployment,
    /// so that refreshes racing on one token all answer with the one successor that was
    /// stored; and MUST be unguessable without a server-side key of at least 256 bits, so that
    /// holding a token tells nothing of the tokens that follow it.
    fn successor(&self, token: &OpaqueToken) -> OpaqueToken;
}
