use async_trait::async_trait;
use time::OffsetDateTime;

use crate::domain::{
    DisplayName, Email, Event, NewUser, PasswordHash, User, UserCredentials, UserId,
};
use crate::error::Result;

/// Stores user accounts. Every method that changes an account writes the given event to the
/// outbox in the same transaction as the change, so that no change goes unannounced and no
/// event announces a change that was rolled back.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Stores a new account and its `user.signed_up` event.
    ///
    /// # Errors
    /// MUST return [`crate::Error::EmailTaken`] when the normalised email is already in use
    /// (the unique index decides, so concurrent signups cannot both succeed).
    async fn create(&self, user: &NewUser, event: &Event) -> Result<User>;

    /// Finds an account by id.
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>>;

    /// Finds an account and its password hash by normalised email.
    async fn find_credentials(&self, email: &Email) -> Result<Option<UserCredentials>>;

    /// Replaces the stored hash after a transparent re-hash (§2). Not an event: nothing the
    /// user or an auditor would call a change.
    async fn replace_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<()>;

    /// Sets the display name, stamps `updated_at` and writes the event.
    ///
    /// # Errors
    /// MUST return [`crate::Error::NotFound`] when the account does not exist.
    async fn update_name(
        &self,
        id: UserId,
        name: Option<DisplayName>,
        at: OffsetDateTime,
        event: &Event,
    ) -> Result<User>;
}
