//! Password change (docs/http-api.md §3): a signed-in user proves the current password and sets a
//! new one; the user's other sessions end at once, so that whoever else held one is signed out.
//! Wrong current passwords are bounded as every re-authentication is (see [`super::reauth`]).

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::new_password::NewPasswordRule;
use super::reauth::{ReauthError, Reauthentication};
use crate::domain::{AccessClaims, Event, EventData, Password, PasswordPolicy, SessionPolicy};
use crate::error::{BoxError, FieldError};
use crate::ports::{PasswordHasher, UpdateUserError, UserRepo};

/// A validated password-change request.
#[derive(Debug)]
pub struct ChangePasswordRequest {
    /// The password the caller says is the current one; only its length is bounded.
    pub current: Password,
    /// The new password, which satisfies docs/http-api.md §2.
    pub new: Password,
}

/// Why a password was not changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    /// The new password is the current one.
    #[error("the new password equals the current one")]
    SameAsCurrent,
    /// The new password falls short of the operator's policy; the error says what to change.
    #[error("new password refused by the policy")]
    WeakPassword(FieldError),
    /// The password given as the current one is wrong.
    #[error("wrong current password")]
    WrongPassword,
    /// The password given as the current one is wrong, and it was the calling session's last
    /// allowed guess: the session has been ended.
    #[error("wrong current password; the session was ended")]
    SessionEnded,
    /// The caller's account no longer exists.
    #[error("no such account")]
    NotFound,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Changes the caller's password (docs/http-api.md §3 password change).
pub struct ChangePassword {
    passwords: NewPasswordRule,
    users: Arc<dyn UserRepo>,
    hasher: Arc<dyn PasswordHasher>,
    reauth: Reauthentication,
}

impl ChangePassword {
    /// Builds the use case from its ports; ended sessions' access tokens are rejected for as
    /// long as `policy` lets them live.
    pub fn new(ports: &Ports, policy: SessionPolicy, passwords: PasswordPolicy) -> Self {
        Self {
            passwords: NewPasswordRule::new(ports, passwords),
            users: ports.users.clone(),
            hasher: ports.hasher.clone(),
            reauth: Reauthentication::new(ports, policy),
        }
    }

    /// Checks the current password, stores a hash of the new one with its
    /// `user.password_changed` event, then revokes every other session of the caller (one
    /// `user.logged_out` event), rejects their access tokens at once and drops the cached
    /// profile. The caller's own session, and its tokens, keep working.
    ///
    /// # Errors
    /// [`ChangePasswordError::SameAsCurrent`] when the new password equals the current one,
    /// decided before any hashing and whether or not the current password is right.
    /// [`ChangePasswordError::WeakPassword`] when the new password falls short of the policy,
    /// decided only once the current password is right, so that it tells a guesser nothing.
    /// [`ChangePasswordError::WrongPassword`] when the current password is wrong; nothing
    /// changes but the count of the session's wrong guesses.
    /// [`ChangePasswordError::SessionEnded`] when it is wrong and spends the session's quota of
    /// wrong guesses: the calling session is revoked like a logout, its tokens refused.
    /// [`ChangePasswordError::NotFound`] when the caller's account no longer exists.
    #[instrument(skip_all, name = "change_password", fields(user_id = %caller.user_id))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        request: ChangePasswordRequest,
    ) -> Result<(), ChangePasswordError> {
        if request.new.expose() == request.current.expose() {
            return Err(ChangePasswordError::SameAsCurrent);
        }
        let user = caller.user_id;
        let credentials = self.reauth.check(caller, &request.current).await?;
        let user_inputs = [credentials.user.email.as_str().to_owned()];
        self.passwords
            .check(&request.new, "newPassword", &user_inputs)
            .map_err(ChangePasswordError::WeakPassword)?;
        let hash = self.hasher.hash(&request.new).await?;
        let r = &self.reauth.revoker;
        let now = r.clock.now();
        let changed = Event::new(
            EventData::PasswordChanged {
                email: credentials.user.email.as_str().to_owned(),
            },
            Some(user),
            now,
        );
        // The hash changes first: a login still checking the old password can then no longer
        // start a session that outlives the revocation below, and the cached profile is dropped
        // after the write (by reject_access_tokens), not before it. If revoking fails, the
        // request fails and can be retried with the new password.
        self.users
            .change_password(user, &hash, now, &changed)
            .await
            .map_err(|error| match error {
                UpdateUserError::NotFound => ChangePasswordError::NotFound,
                UpdateUserError::Port(error) => error.into(),
            })?;
        let logged_out = Event::new(
            EventData::LoggedOut {
                session_ids: Vec::new(),
                all_sessions: false,
            },
            Some(user),
            now,
        );
        let ended = r
            .sessions
            .revoke_all_except(user, caller.session_id, now, &logged_out)
            .await?;
        Ok(r.reject_access_tokens(user, &ended, now).await?)
    }
}

impl From<ReauthError> for ChangePasswordError {
    fn from(error: ReauthError) -> Self {
        match error {
            ReauthError::WrongPassword => Self::WrongPassword,
            ReauthError::SessionEnded => Self::SessionEnded,
            ReauthError::NotFound => Self::NotFound,
            ReauthError::Port(error) => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::domain::{PasswordHash, SessionId, UserCredentials};
    use crate::ports::{PasswordCheck, RateDecision, RateLimitBucket};
    use crate::usecases::testkit::{Mocks, NOW, caller, policy, user};

    const STORED: &str = "$argon2id$stored";

    fn request(current: &str, new: &str) -> ChangePasswordRequest {
        ChangePasswordRequest {
            current: Password::presented(current.into(), "currentPassword").unwrap(),
            new: Password::parse(new.into(), "newPassword").unwrap(),
        }
    }

    /// The caller's account is found with the [`STORED`] hash, and the current password is
    /// checked against it, matching when it is `"old password"`.
    fn account(mocks: &mut Mocks, caller: &AccessClaims) {
        let id = caller.user_id;
        mocks
            .users
            .expect_find_credentials_by_id()
            .withf(move |u| *u == id)
            .times(1)
            .returning(move |_| {
                Ok(Some(UserCredentials {
                    user: crate::domain::User { id, ..user() },
                    password_hash: PasswordHash::new(STORED.into()),
                }))
            });
        mocks
            .hasher
            .expect_verify()
            .withf(|_, hash| hash.as_str() == STORED)
            .times(1)
            .returning(|password, _| {
                Ok(if password.expose() == "old password" {
                    PasswordCheck::Match {
                        needs_rehash: false,
                    }
                } else {
                    PasswordCheck::Mismatch
                })
            });
    }

    /// The session's wrong guess is counted once, and the limiter answers `decision`.
    fn guess_counted(mocks: &mut Mocks, caller: &AccessClaims, decision: Option<RateDecision>) {
        let key = caller.session_id.to_string();
        mocks
            .rate_limiter
            .expect_check()
            .withf(move |bucket, k| *bucket == RateLimitBucket::PasswordChangeGuess && k == key)
            .times(1)
            .returning(move |_, _| Ok(decision));
    }

    fn guesses_left(remaining: u32) -> Option<RateDecision> {
        Some(RateDecision {
            allowed: true,
            limit: 3,
            remaining,
            reset_after: std::time::Duration::from_secs(3600),
        })
    }

    /// The caller tries a wrong current password.
    async fn guess_wrong(mocks: Mocks, caller: &AccessClaims) -> Result<(), ChangePasswordError> {
        ChangePassword::new(&mocks.ports(), policy(), PasswordPolicy::default())
            .execute(caller, request("wrong password", "new password"))
            .await
    }

    #[tokio::test]
    async fn a_wrong_current_password_is_invalid_credentials_and_changes_nothing() {
        let caller = caller();
        let mut mocks = Mocks::new();
        account(&mut mocks, &caller);
        guess_counted(&mut mocks, &caller, guesses_left(2));

        // Any call to hash, change_password, revoke, the revocation list or the cache would
        // panic: none is expected.
        let result = guess_wrong(mocks, &caller).await;

        assert!(
            matches!(result, Err(ChangePasswordError::WrongPassword)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn the_wrong_guess_that_spends_the_sessions_quota_ends_the_session() {
        let caller = caller();
        let (user, session) = (caller.user_id, caller.session_id);
        let mut mocks = Mocks::new();
        account(&mut mocks, &caller);
        guess_counted(&mut mocks, &caller, guesses_left(0));
        mocks
            .sessions
            .expect_revoke()
            .withf(move |u, s, at, e| {
                *u == user
                    && *s == session
                    && *at == NOW
                    && e.data
                        == EventData::LoggedOut {
                            session_ids: vec![session],
                            all_sessions: false,
                        }
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        mocks.expect_access_tokens_rejected(vec![session], user);

        let result = guess_wrong(mocks, &caller).await;

        assert!(
            matches!(result, Err(ChangePasswordError::SessionEnded)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_wrong_guess_ends_no_session_when_the_guess_quota_is_switched_off() {
        let caller = caller();
        let mut mocks = Mocks::new();
        account(&mut mocks, &caller);
        guess_counted(&mut mocks, &caller, None);

        let result = guess_wrong(mocks, &caller).await;

        assert!(
            matches!(result, Err(ChangePasswordError::WrongPassword)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_new_password_equal_to_the_current_one_is_refused_before_any_hashing() {
        let caller = caller();
        let mocks = Mocks::new();

        let result = ChangePassword::new(&mocks.ports(), policy(), PasswordPolicy::default())
            .execute(&caller, request("old password", "old password"))
            .await;

        assert!(
            matches!(result, Err(ChangePasswordError::SameAsCurrent)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn success_stores_the_new_hash_and_ends_every_other_session() {
        let caller = caller();
        let (user, current) = (caller.user_id, caller.session_id);
        let others = vec![SessionId::generate(), SessionId::generate()];
        let mut mocks = Mocks::new();
        account(&mut mocks, &caller);
        mocks
            .hasher
            .expect_hash()
            .withf(|p| p.expose() == "new password")
            .times(1)
            .returning(|_| Ok(PasswordHash::new("$argon2id$new".into())));
        mocks
            .users
            .expect_change_password()
            .withf(move |id, hash, at, e| {
                *id == user
                    && hash.as_str() == "$argon2id$new"
                    && *at == NOW
                    && e.user_id == Some(user.as_uuid())
                    && e.data
                        == EventData::PasswordChanged {
                            email: "ada@example.com".into(),
                        }
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let revoked = others.clone();
        mocks
            .sessions
            .expect_revoke_all_except()
            .withf(move |u, keep, at, e| {
                *u == user
                    && *keep == current
                    && *at == NOW
                    && matches!(
                        e.data,
                        EventData::LoggedOut {
                            all_sessions: false,
                            ..
                        }
                    )
            })
            .times(1)
            .returning(move |_, _, _, _| Ok(revoked.clone()));
        mocks.expect_access_tokens_rejected(others.clone(), user);
        let change = ChangePassword::new(&mocks.ports(), policy(), PasswordPolicy::default());

        // Under spawn, which proves the future is Send.
        tokio::spawn(async move {
            change
                .execute(&caller, request("old password", "new password"))
                .await
        })
        .await
        .unwrap()
        .unwrap();
    }

    #[tokio::test]
    async fn a_vanished_account_is_not_found() {
        let caller = caller();
        let mut mocks = Mocks::new();
        mocks
            .users
            .expect_find_credentials_by_id()
            .returning(|_| Ok(None));

        let result = ChangePassword::new(&mocks.ports(), policy(), PasswordPolicy::default())
            .execute(&caller, request("old password", "new password"))
            .await;

        assert!(
            matches!(result, Err(ChangePasswordError::NotFound)),
            "{result:?}"
        );
    }
}
