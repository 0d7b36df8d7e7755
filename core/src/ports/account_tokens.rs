//! Storage of single-use account tokens (docs/http-api.md §3 email verification and password
//! reset, §4 email change). Using a token and applying what it proves happen in one transaction, guarded by the
//! token still being unused, so that a token presented twice at once works once.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{PortError, PortResult};
use crate::domain::{
    AccountTokenRecord, Event, NewAccountToken, PasswordHash, TokenDigest, TokenPurpose, User,
};

/// Why [`AccountTokens::change_email`] changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ChangeEmailError {
    /// Another account uses the new address now.
    #[error("email already registered")]
    EmailTaken,
    /// The store failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Stores account tokens by digest and spends them.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccountTokens: Send + Sync {
    /// Stores a newly issued token.
    async fn issue(&self, token: &NewAccountToken) -> PortResult<()>;

    /// The token of `purpose` with this digest, used or not, expired or not: the caller
    /// decides. `Ok(None)` for an unknown digest.
    async fn find(
        &self,
        purpose: TokenPurpose,
        digest: &TokenDigest,
    ) -> PortResult<Option<AccountTokenRecord>>;

    /// Spends the token `token` at `at`, and nothing else: `true` when it was unused.
    ///
    /// # Errors
    /// MUST return `Ok(false)`, and change nothing, when the token is unknown or was used
    /// already; of two requests spending it at once exactly one gets `true`.
    async fn spend(&self, token: Uuid, at: OffsetDateTime) -> PortResult<bool>;

    /// Spends the verification token `token` at `at`, marks its user's email verified and
    /// writes `event`, in one transaction, and returns the user as it now is.
    ///
    /// # Errors
    /// MUST return `Ok(None)`, and change nothing, when the token was used meanwhile.
    async fn verify_email(
        &self,
        token: Uuid,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Option<User>>;

    /// Spends the reset token `token` at `at`, stores `hash` as its user's password, forgets
    /// every login count of the account's email (from every client: the owner proved
    /// themselves by mail, so no guesser's lock stands) and writes `event`, in one transaction;
    /// `false`, with nothing changed, when the token was used meanwhile or its account no
    /// longer exists.
    ///
    /// MUST spend, in the same transaction, every other unused reset token of the account (and
    /// no other token): an older reset mail must not set the password again.
    async fn reset_password(
        &self,
        token: Uuid,
        hash: &PasswordHash,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<bool>;

    /// Spends the email-change token `token` at `at`, moves its user to the token's new address
    /// (marked verified), spends every other unused email-change token of the account and
    /// writes `event`, in one transaction, and returns the user as it now is.
    ///
    /// # Errors
    /// MUST return `Ok(None)`, and change nothing, when the token was used meanwhile or its
    /// account no longer exists. MUST return [`ChangeEmailError::EmailTaken`], and change
    /// nothing, when another account holds the new address (the unique index decides, so a
    /// concurrent signup with it cannot also succeed).
    async fn change_email(
        &self,
        token: Uuid,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Option<User>, ChangeEmailError>;
}
