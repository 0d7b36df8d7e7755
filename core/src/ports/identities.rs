//! Storage of the external identities linked to accounts: which (provider, subject) signs in
//! to which account. The pair is unique, so one identity at a provider signs in to one account
//! at most; an account may have several, from one provider or from several.
//!
//! An account's sign-in methods are its password, when it has one, and its linked identities.
//! Removing the last one would lock its owner out, so [`IdentityRepo::unlink`] checks and
//! removes in one atomic step: two removals at once cannot both pass the check.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{PortError, PortResult, ProviderName, Subject};
use crate::domain::{Email, Event, IdentityId, NewUser, User, UserId};

/// An identity at an external provider, linked to an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedIdentity {
    /// Its id, by which the account's owner unlinks it.
    pub id: IdentityId,
    /// The provider.
    pub provider: ProviderName,
    /// The user's identifier at the provider.
    pub subject: Subject,
    /// The account it signs in to.
    pub user_id: UserId,
    /// The address the provider gave when the identity was linked, if any: shown to the
    /// owner to tell identities apart, never used to match one.
    pub email: Option<Email>,
    /// When it was linked.
    pub linked_at: OffsetDateTime,
}

/// Why [`IdentityRepo::link`] stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum LinkIdentityError {
    /// This (provider, subject) is linked already, to this account or to another.
    #[error("identity already linked")]
    AlreadyLinked,
    /// No account has this id.
    #[error("no such account")]
    UnknownUser,
    /// The store failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Why [`IdentityRepo::create_account`] stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum CreateLinkedAccountError {
    /// Another account already uses this normalised email.
    #[error("email already registered")]
    EmailTaken,
    /// This (provider, subject) is linked already, to another account.
    #[error("identity already linked")]
    AlreadyLinked,
    /// The store failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Why [`IdentityRepo::unlink`] removed nothing.
#[derive(Debug, thiserror::Error)]
pub enum UnlinkIdentityError {
    /// The account has no linked identity with this id.
    #[error("no such identity")]
    NotFound,
    /// The identity is the account's only way left to sign in.
    #[error("the last sign-in method cannot be removed")]
    LastSignInMethod,
    /// The store failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Stores linked identities.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdentityRepo: Send + Sync {
    /// The identity linked for `subject` at `provider`, `Ok(None)` when none is.
    async fn find(
        &self,
        provider: &ProviderName,
        subject: &Subject,
    ) -> PortResult<Option<LinkedIdentity>>;

    /// The identities linked to `user`, oldest link first; empty for an unknown account.
    async fn list(&self, user: UserId) -> PortResult<Vec<LinkedIdentity>>;

    /// Links `identity` to its account and writes `event`, in one transaction.
    ///
    /// # Errors
    /// MUST return [`LinkIdentityError::AlreadyLinked`], and store nothing, when the
    /// (provider, subject) pair is linked already (the unique index decides, so two links of
    /// one identity at once cannot both succeed); [`LinkIdentityError::UnknownUser`] when the
    /// account does not exist or is deleted.
    async fn link(
        &self,
        identity: &LinkedIdentity,
        event: &Event,
    ) -> PortResult<(), LinkIdentityError>;

    /// Creates the account `user` with `identity` linked to it, and writes `events` (its
    /// `user.signed_up`, then `user.identity_linked`), all in one transaction: an account
    /// created through a provider has no password, so it must never exist without the
    /// identity that signs in to it.
    ///
    /// # Errors
    /// MUST return [`CreateLinkedAccountError::EmailTaken`] when the normalised email is in
    /// use, and [`CreateLinkedAccountError::AlreadyLinked`] when the (provider, subject) pair
    /// is linked already (the unique indexes decide); in both cases nothing is stored.
    async fn create_account(
        &self,
        user: &NewUser,
        identity: &LinkedIdentity,
        events: &[Event],
    ) -> PortResult<User, CreateLinkedAccountError>;

    /// Removes the identity `id` of `user` and writes `event`, in one transaction, and
    /// returns the identity as it was.
    ///
    /// # Errors
    /// MUST return [`UnlinkIdentityError::NotFound`] when `user` has no identity `id` (one of
    /// another account included), and [`UnlinkIdentityError::LastSignInMethod`] when the
    /// account has no password and no other identity; in both cases nothing changes. The
    /// check and the removal are atomic: of two removals of an account's last two methods at
    /// once, one fails.
    async fn unlink(
        &self,
        user: UserId,
        id: IdentityId,
        event: &Event,
    ) -> PortResult<LinkedIdentity, UnlinkIdentityError>;

    /// How many ways `user` has to sign in: one for a password, if the account has one, plus
    /// one per linked identity. Zero for an unknown account.
    async fn count_sign_in_methods(&self, user: UserId) -> PortResult<u32>;
}
