//! Account deletion (docs/http-api.md §4 `DELETE /user/account`, §5 `DELETE /admin/users/{id}`,
//! docs/adr/0016): the user, re-authenticated by the current password, or an admin erases the
//! account's personal data and ends every session at once, on every instance.
//!
//! The store does the erasure in one transaction and writes the notice mail's event before
//! `user.deleted` (see [`UserRepo::delete_account`]); this use case then rejects the revoked
//! sessions' access tokens through the revocation list and drops the cached profile, as every
//! way of ending sessions does.

use std::sync::Arc;

use tracing::{info, instrument};

use super::Ports;
use super::reauth::{ReauthError, Reauthentication};
use crate::domain::{AccessClaims, Event, EventData, Password, SessionPolicy, UserId};
use crate::error::BoxError;
use crate::ports::{DeleteAccountError, UserRepo};

/// Why an account was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum AccountDeletionError {
    /// The password given as the current one is wrong.
    #[error("wrong current password")]
    WrongPassword,
    /// The password is wrong and that was the session's last allowed guess: it was ended.
    #[error("wrong current password; the session was ended")]
    SessionEnded,
    /// No account has this id, or it is deleted already.
    #[error("no such account")]
    NotFound,
    /// The account is the last enabled admin.
    #[error("the last enabled admin cannot be deleted")]
    LastAdmin,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

impl From<ReauthError> for AccountDeletionError {
    fn from(error: ReauthError) -> Self {
        match error {
            ReauthError::WrongPassword => Self::WrongPassword,
            ReauthError::SessionEnded => Self::SessionEnded,
            ReauthError::NotFound => Self::NotFound,
            ReauthError::Port(error) => error.into(),
        }
    }
}

/// Deletes accounts.
pub struct DeleteAccount {
    users: Arc<dyn UserRepo>,
    reauth: Reauthentication,
}

impl DeleteAccount {
    /// Builds the use case from its ports; revoked access tokens stay rejected for as long as
    /// `policy` lets them live.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            users: ports.users.clone(),
            reauth: Reauthentication::new(ports, policy),
        }
    }

    /// Deletes the caller's own account once `current` is proved its password.
    ///
    /// # Errors
    /// [`AccountDeletionError::WrongPassword`] or [`AccountDeletionError::SessionEnded`] for a
    /// wrong password (counted as at a password change), and as [`Self::by_admin`].
    #[instrument(skip_all, name = "delete_own_account", fields(user_id = %caller.user_id))]
    pub async fn own(
        &self,
        caller: &AccessClaims,
        current: &Password,
    ) -> Result<(), AccountDeletionError> {
        self.reauth.check(caller, current).await?;
        self.delete(caller.user_id, None).await
    }

    /// Deletes `target` on behalf of the admin `actor`.
    ///
    /// # Errors
    /// [`AccountDeletionError::NotFound`] when no account has the id (or it is deleted);
    /// [`AccountDeletionError::LastAdmin`] when it is the last enabled admin.
    #[instrument(skip_all, name = "delete_account", fields(user_id = %target))]
    pub async fn by_admin(
        &self,
        actor: UserId,
        target: UserId,
    ) -> Result<(), AccountDeletionError> {
        self.delete(target, Some(actor)).await
    }

    async fn delete(
        &self,
        target: UserId,
        deleted_by: Option<UserId>,
    ) -> Result<(), AccountDeletionError> {
        let account = self
            .users
            .find_by_id(target)
            .await?
            .ok_or(AccountDeletionError::NotFound)?;
        let r = &self.reauth.revoker;
        let now = r.clock.now();
        // The notice comes first, so that `user.deleted` announces an account whose notice
        // is already queued.
        let events = [
            Event::new(
                EventData::DeletionNotice {
                    email: account.email.as_str().to_owned(),
                },
                Some(target),
                now,
            ),
            Event::new(EventData::Deleted { deleted_by }, Some(target), now),
        ];
        let revoked = self
            .users
            .delete_account(target, now, &events)
            .await
            .map_err(|error| match error {
                DeleteAccountError::NotFound => AccountDeletionError::NotFound,
                DeleteAccountError::LastAdmin => AccountDeletionError::LastAdmin,
                DeleteAccountError::Port(error) => error.into(),
            })?;
        r.reject_access_tokens(target, &revoked, now).await?;
        info!(revoked = revoked.len(), "account deleted");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PasswordHash, SessionId, UserCredentials};
    use crate::ports::PasswordCheck;
    use crate::usecases::testkit::{Mocks, caller, policy, user};

    fn found(mocks: &mut Mocks) -> crate::domain::User {
        let account = user();
        let stored = account.clone();
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(stored.clone())));
        account
    }

    #[tokio::test]
    async fn deletion_queues_the_notice_before_user_deleted_and_rejects_every_session_at_once() {
        let mut mocks = Mocks::new();
        let account = found(&mut mocks);
        let admin = UserId::generate();
        let sessions = vec![SessionId::generate(), SessionId::generate()];
        let revoked = sessions.clone();
        mocks
            .users
            .expect_delete_account()
            .withf(move |id, _, events| {
                *id == account.id
                    && events.len() == 2
                    && events[0].data
                        == EventData::DeletionNotice {
                            email: "ada@example.com".into(),
                        }
                    && events[1].data
                        == EventData::Deleted {
                            deleted_by: Some(admin),
                        }
            })
            .times(1)
            .returning(move |_, _, _| Ok(revoked.clone()));
        mocks.expect_access_tokens_rejected(sessions, account.id);

        let ports = mocks.ports();
        tokio::spawn(async move {
            DeleteAccount::new(&ports, policy())
                .by_admin(admin, account.id)
                .await
        })
        .await
        .unwrap()
        .unwrap();
    }

    #[tokio::test]
    async fn the_last_enabled_admin_is_not_deleted() {
        let mut mocks = Mocks::new();
        found(&mut mocks);
        mocks
            .users
            .expect_delete_account()
            .returning(|_, _, _| Err(DeleteAccountError::LastAdmin));
        mocks.revocations.expect_revoke().never();

        let result = DeleteAccount::new(&mocks.ports(), policy())
            .by_admin(UserId::generate(), UserId::generate())
            .await;

        assert!(matches!(result, Err(AccountDeletionError::LastAdmin)));
    }

    #[tokio::test]
    async fn self_deletion_with_a_wrong_password_deletes_nothing() {
        let mut mocks = Mocks::new();
        let account = user();
        mocks
            .users
            .expect_find_credentials_by_id()
            .returning(move |_| {
                Ok(Some(UserCredentials {
                    user: account.clone(),
                    password_hash: PasswordHash::new("$argon2id$stored".into()),
                }))
            });
        mocks
            .hasher
            .expect_verify()
            .returning(|_, _| Ok(PasswordCheck::Mismatch));
        mocks.rate_limiter.expect_check().returning(|_, _| Ok(None));
        mocks.users.expect_delete_account().never();

        let result = DeleteAccount::new(&mocks.ports(), policy())
            .own(
                &caller(),
                &Password::presented("wrong".into(), "currentPassword").unwrap(),
            )
            .await;

        assert!(matches!(result, Err(AccountDeletionError::WrongPassword)));
    }

    #[tokio::test]
    async fn an_unknown_account_is_not_found() {
        let mut mocks = Mocks::new();
        mocks.users.expect_find_by_id().returning(|_| Ok(None));
        mocks.users.expect_delete_account().never();

        let result = DeleteAccount::new(&mocks.ports(), policy())
            .by_admin(UserId::generate(), UserId::generate())
            .await;

        assert!(matches!(result, Err(AccountDeletionError::NotFound)));
    }
}
