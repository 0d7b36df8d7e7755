//! Storage of user accounts.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{PortError, PortResult};
use crate::domain::{
    AccessUpdate, DisplayName, Email, Event, LockoutPolicy, LoginAttempt, NewUser, PasswordHash,
    SessionId, User, UserCredentials, UserId, UserQuery,
};

/// Why [`UserRepo::create`] stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// Another account already uses this normalised email.
    #[error("email already registered")]
    EmailTaken,
    /// The store failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Why a change to one account stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum UpdateUserError {
    /// No account has this id.
    #[error("no such account")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Why [`UserRepo::update_access`] stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum UpdateAccessError {
    /// No account has this id.
    #[error("no such account")]
    NotFound,
    /// The change would leave no enabled admin.
    #[error("the last enabled admin cannot lose admin rights")]
    LastAdmin,
    /// The store failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Stores user accounts. Every method that changes an account writes the given event to the
/// outbox in the same transaction as the change, so that no change goes unannounced and no
/// event announces a change that was rolled back.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Stores a new account and its `user.signed_up` event.
    ///
    /// # Errors
    /// MUST return [`CreateUserError::EmailTaken`] when the normalised email is already in use
    /// (the unique index decides, so concurrent signups cannot both succeed).
    async fn create(&self, user: &NewUser, event: &Event) -> PortResult<User, CreateUserError>;

    /// Finds an account by id.
    async fn find_by_id(&self, id: UserId) -> PortResult<Option<User>>;

    /// Finds an account and its password hash by normalised email.
    async fn find_credentials(&self, email: &Email) -> PortResult<Option<UserCredentials>>;

    /// Finds an account and its password hash by id: a signed-in user's, whose token names
    /// the id.
    async fn find_credentials_by_id(&self, id: UserId) -> PortResult<Option<UserCredentials>>;

    /// Stores the hash of a password its user chose (docs/http-api.md §3 password change), stamps
    /// `updated_at` with `at` and writes the `user.password_changed` event, in one transaction.
    ///
    /// # Errors
    /// MUST return [`UpdateUserError::NotFound`], and store nothing, when the account does not
    /// exist.
    async fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<(), UpdateUserError>;

    /// Replaces the stored hash after a transparent re-hash (docs/http-api.md §2). Not an event:
    /// nothing the user or an auditor would call a change.
    async fn replace_password_hash(&self, id: UserId, hash: &PasswordHash) -> PortResult<()>;

    /// Reserves a login attempt for `id` at `at`, before its password is checked, in one
    /// atomic step (docs/http-api.md §3 lockout), so that parallel attempts cannot get more than
    /// `policy.max_failures` past it:
    /// - a lock that has lifted (`locked_until <= at`) is cleared and the count restarts at 1;
    /// - an account without a lock whose count is below the maximum counts one more attempt;
    ///   the attempt that reaches the maximum also sets a provisional lock until
    ///   `at + policy.lock_for`, which [`Self::record_login_success`] clears if its password
    ///   was right, so an attempt that never reports back cannot lock the account for good;
    /// - otherwise nothing changes and the answer is [`LoginAttempt::Locked`] with the stored
    ///   lock's end, or `at + policy.lock_for` when there is none to report.
    ///
    /// # Errors
    /// MUST return [`UpdateUserError::NotFound`] when the account does not exist.
    async fn begin_login_attempt(
        &self,
        id: UserId,
        at: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> PortResult<LoginAttempt, UpdateUserError>;

    /// Records that the reserved `attempt` had a wrong password: writes its
    /// `user.login_failed` event and, when `attempt` reached `policy.max_failures` and the count
    /// still stands there, locks the account until `at + policy.lock_for`, in one transaction.
    async fn record_login_failure(
        &self,
        id: UserId,
        attempt: u32,
        at: OffsetDateTime,
        policy: LockoutPolicy,
        event: &Event,
    ) -> PortResult<()>;

    /// Records a successful login: the failure count restarts at 0 and any lock is lifted.
    async fn record_login_success(&self, id: UserId) -> PortResult<()>;

    /// Sets the display name, stamps `updated_at` and writes the event.
    ///
    /// # Errors
    /// MUST return [`UpdateUserError::NotFound`] when the account does not exist.
    async fn update_name(
        &self,
        id: UserId,
        name: Option<DisplayName>,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<User, UpdateUserError>;

    /// Accounts matching `query`, newest first: by `created_at` descending, then by id
    /// descending, strictly after `query.page.after` in that order. Returns at most
    /// `query.page.limit + 1` accounts, so that the caller can tell whether a next page exists.
    /// The email filter is a prefix match in which `%`, `_` and `\` match themselves.
    async fn list(&self, query: &UserQuery) -> PortResult<Vec<User>>;

    /// Stores an access change (docs/http-api.md §5) in one transaction: the role, if given;
    /// disabling; or enabling. A new role or a disabling also revokes every live session of the
    /// account at `update.at` ([`AccessUpdate::ends_sessions`]). Stamps `updated_at` and writes
    /// `events`. Returns the account as stored and the sessions revoked.
    ///
    /// # Errors
    /// MUST return [`UpdateAccessError::NotFound`], and store nothing, when the account does not
    /// exist. MUST return [`UpdateAccessError::LastAdmin`], and store nothing, when the account
    /// is an enabled admin, the update removes its admin rights
    /// ([`AccessUpdate::removes_admin_rights`]) and no other enabled admin would remain. The
    /// check and the change are one step: concurrent updates (two admins demoting each other)
    /// cannot both pass it.
    async fn update_access(
        &self,
        id: UserId,
        update: &AccessUpdate,
        events: &[Event],
    ) -> PortResult<(User, Vec<SessionId>), UpdateAccessError>;
}
