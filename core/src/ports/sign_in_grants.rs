//! Storage of the two short-lived, single-use grants of a sign-in through an external
//! provider: the pending authorization between the redirect to the provider and its callback
//! (10 minutes), and the one-time login code between the callback and the exchange for a
//! session (60 seconds). Both are shared by every instance through the store, and each is
//! taken, never read: taking one removes it, so two callbacks with one `state`, or two
//! exchanges of one code, find it once between them.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{AuthorizationState, PendingAuthorization, PortResult, ProviderName};
use crate::domain::{TokenDigest, UserId};

/// How long a pending authorization waits for its callback.
pub const PENDING_SIGN_IN_TTL: time::Duration = time::Duration::minutes(10);

/// How long a one-time login code waits for its exchange.
pub const LOGIN_CODE_TTL: time::Duration = time::Duration::seconds(60);

/// A sign-in started and not yet called back.
#[derive(Clone, Debug)]
pub struct PendingSignIn {
    /// What the provider's callback is checked against.
    pub authorization: PendingAuthorization,
    /// Where the browser goes after the callback, already checked against the allow-list.
    pub redirect_to: String,
    /// The account the identity is to be linked to, when its owner started the flow to link
    /// one; `None` for a sign-in.
    pub link_to: Option<UserId>,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
}

/// A one-time login code, as stored: only its digest, never the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginCode {
    /// The SHA-256 digest of the code the browser carries.
    pub digest: TokenDigest,
    /// The account it signs in to.
    pub user_id: UserId,
    /// The provider the user signed in through, which the login's event names.
    pub provider: ProviderName,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
}

/// Stores pending sign-ins and one-time login codes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SignInGrants: Send + Sync {
    /// Stores a pending sign-in under its authorization's `state`.
    async fn save_pending(&self, pending: &PendingSignIn) -> PortResult<()>;

    /// Takes the pending sign-in of `state`: removes it and returns it unless it expired
    /// before `now`.
    ///
    /// # Errors
    /// MUST return `Ok(None)` for an unknown, expired or already taken `state`; of two takes
    /// at once, one at most returns it.
    async fn take_pending(
        &self,
        state: &AuthorizationState,
        now: OffsetDateTime,
    ) -> PortResult<Option<PendingSignIn>>;

    /// Stores a one-time login code.
    async fn save_code(&self, code: &LoginCode) -> PortResult<()>;

    /// Takes the code with this digest: removes it and returns it unless it expired before
    /// `now`.
    ///
    /// # Errors
    /// MUST return `Ok(None)` for an unknown, expired or already taken code; of two takes at
    /// once, one at most returns it.
    async fn take_code(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> PortResult<Option<LoginCode>>;
}
