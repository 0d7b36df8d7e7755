//! Storage of user accounts.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{PortError, PortResult};
use crate::domain::{
    AccessUpdate, DisplayName, Email, Event, LockoutPolicy, LoginAttempt, LoginKey, NewUser,
    PasswordHash, SessionId, User, UserCredentials, UserId, UserQuery,
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

/// Why [`UserRepo::delete_account`] stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum DeleteAccountError {
    /// No account has this id, or it is deleted already.
    #[error("no such account")]
    NotFound,
    /// The account is the last enabled admin.
    #[error("the last enabled admin cannot be deleted")]
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
    /// MUST spend, in the same transaction, every unused reset token of the account (see
    /// [`crate::ports::AccountTokens::reset_password`]): a reset link mailed before the change
    /// must not undo it.
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

    /// Reserves a login attempt for `key` at `at`, before its password is checked, in one
    /// atomic step (docs/http-api.md §3 lockout), so that parallel attempts cannot get more
    /// passwords checked past the last success than `policy.max_failures` from one client and
    /// `policy.max_account_failures` from every client. The email need not belong to an
    /// account: unknown emails are counted and locked alike. The two counts of `key` are judged
    /// together by [`LoginCounts::reserve`](crate::domain::LoginCounts::reserve):
    /// - either count locked: [`LoginAttempt::Locked`] with the later lock's end;
    /// - both with room: one more attempt in flight in each, [`LoginAttempt::Allowed`];
    /// - otherwise every slot of one is held by attempts in flight: the call waits for one to
    ///   be freed ([`Self::record_login_failure`], [`Self::record_login_success`],
    ///   [`Self::abandon_login_attempt`]) for up to `policy.wait_for_slot`, judging the counts
    ///   at `at` again each time, and answers [`LoginAttempt::Busy`] if none was. Only failures
    ///   lock: attempts in flight never make the answer [`LoginAttempt::Locked`].
    ///
    /// Counts that [`LoginCount::is_forgettable`](crate::domain::LoginCount::is_forgettable) may be dropped at any time; a missing count
    /// is a new one.
    async fn begin_login_attempt(
        &self,
        key: &LoginKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> PortResult<LoginAttempt>;

    /// Records that a reserved attempt had a wrong password, in one transaction: applies
    /// [`LoginCounts::fail`](crate::domain::LoginCounts::fail) to `key`'s counts and writes its `user.login_failed` event.
    async fn record_login_failure(
        &self,
        key: &LoginKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
        event: &Event,
    ) -> PortResult<()>;

    /// Records that a reserved attempt had the right password: [`LoginCounts::succeed`](crate::domain::LoginCounts::succeed).
    async fn record_login_success(&self, key: &LoginKey) -> PortResult<()>;

    /// Frees the slots of a reserved attempt whose password could not be checked (the hasher
    /// failed), counting neither a failure nor a success: [`LoginCounts::abandon`](crate::domain::LoginCounts::abandon).
    async fn abandon_login_attempt(&self, key: &LoginKey) -> PortResult<()>;

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
    /// exist or is deleted ([`Self::delete_account`]). MUST return [`UpdateAccessError::LastAdmin`], and store nothing, when the account
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

    /// Deletes an account (docs/http-api.md §4, docs/adr/0016): in one transaction, replaces
    /// its email by an address nobody can hold, clears its name and password hash, marks it
    /// disabled and deleted at `at`, revokes every live session, drops its account tokens and
    /// the login counts of its address, erases the personal data of every event stored about
    /// the account so far, in the audit log and the outbox
    /// ([`EventData::erase_personal_data`](crate::domain::EventData::erase_personal_data)),
    /// then writes `events` in their order (the notice mail's event, then `user.deleted`).
    /// Returns the sessions revoked.
    ///
    /// # Errors
    /// MUST return [`DeleteAccountError::NotFound`], and store nothing, when no account has the
    /// id or it is deleted already. MUST return [`DeleteAccountError::LastAdmin`], and store
    /// nothing, when the account is the last enabled admin; the check and the change are one
    /// step, as for [`Self::update_access`].
    async fn delete_account(
        &self,
        id: UserId,
        at: OffsetDateTime,
        events: &[Event],
    ) -> PortResult<Vec<SessionId>, DeleteAccountError>;
}
