//! Email change (docs/http-api.md §4): a signed-in user proves the current password and names a
//! new address; the change takes effect only when the link mailed to that address comes back,
//! so that nobody moves an account to an address they do not read. The mail handler issues the
//! token and also mails a notice to the current address ([`super::SendMail`]).
//!
//! A taken address is refused twice: at the request, so that the user learns it at once, and
//! by the unique index when the link is spent, since the address may have been taken meanwhile.

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::profile::cache_profile;
use super::reauth::{ReauthError, Reauthentication};
use super::redeemable::{LinkTokenError, Redeemable};
use crate::domain::{
    AccessClaims, Email, Event, EventData, OpaqueToken, Password, SessionPolicy, TokenPurpose, User,
};
use crate::error::BoxError;
use crate::ports::{ChangeEmailError, Clock, Outbox, ProfileCache, UserRepo};

/// A validated email-change request.
#[derive(Debug)]
pub struct EmailChangeRequest {
    /// The address to move to, normalised.
    pub new_email: Email,
    /// The password the caller says is the current one.
    pub current: Password,
}

/// Why an email change was not asked for.
#[derive(Debug, thiserror::Error)]
pub enum EmailChangeError {
    /// An account (the caller's own included) uses the new address.
    #[error("email already registered")]
    EmailTaken,
    /// The password given as the current one is wrong.
    #[error("wrong current password")]
    WrongPassword,
    /// The password is wrong and that was the session's last allowed guess: it was ended.
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

/// Why an email-change link did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmEmailChangeError {
    /// The token is unknown, already used or expired, or its account is gone.
    #[error("invalid token")]
    InvalidToken,
    /// Another account took the address since the request.
    #[error("email already registered")]
    EmailTaken,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

impl From<ReauthError> for EmailChangeError {
    fn from(error: ReauthError) -> Self {
        match error {
            ReauthError::WrongPassword => Self::WrongPassword,
            ReauthError::SessionEnded => Self::SessionEnded,
            ReauthError::NotFound => Self::NotFound,
            ReauthError::Port(error) => error.into(),
        }
    }
}

impl From<LinkTokenError> for ConfirmEmailChangeError {
    fn from(error: LinkTokenError) -> Self {
        match error {
            LinkTokenError::InvalidToken => Self::InvalidToken,
            LinkTokenError::Unavailable(cause) => Self::Unavailable(cause),
            LinkTokenError::Unexpected(cause) => Self::Unexpected(cause),
        }
    }
}

/// Asks for an email change (docs/http-api.md §4 `POST /user/email`).
pub struct RequestEmailChange {
    users: Arc<dyn UserRepo>,
    outbox: Arc<dyn Outbox>,
    clock: Arc<dyn Clock>,
    reauth: Reauthentication,
}

impl RequestEmailChange {
    /// Builds the use case from its ports; a session ended for wrong guesses stays rejected for
    /// as long as `policy` lets its tokens live.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            users: ports.users.clone(),
            outbox: ports.outbox.clone(),
            clock: ports.clock.clone(),
            reauth: Reauthentication::new(ports, policy),
        }
    }

    /// Checks the current password and that no account uses the new address, then writes
    /// `user.email_change_requested`, from which the link and the notice are mailed. Nothing
    /// about the account changes yet.
    ///
    /// # Errors
    /// [`EmailChangeError::WrongPassword`] or [`EmailChangeError::SessionEnded`] for a wrong
    /// current password (counted as at a password change); [`EmailChangeError::EmailTaken`]
    /// when an account, the caller's included, has the new address;
    /// [`EmailChangeError::NotFound`] when the caller's account is gone.
    #[instrument(skip_all, name = "request_email_change", fields(user_id = %caller.user_id))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        request: EmailChangeRequest,
    ) -> Result<(), EmailChangeError> {
        let credentials = self.reauth.check(caller, &request.current).await?;
        if self
            .users
            .find_credentials(&request.new_email)
            .await?
            .is_some()
        {
            return Err(EmailChangeError::EmailTaken);
        }
        let event = Event::new(
            EventData::EmailChangeRequested {
                email: request.new_email.as_str().to_owned(),
                previous_email: credentials.user.email.as_str().to_owned(),
            },
            Some(caller.user_id),
            self.clock.now(),
        );
        Ok(self.outbox.append(&event).await?)
    }
}

/// Spends an email-change token (docs/http-api.md §4 `POST /auth/email/change/confirm`).
pub struct ConfirmEmailChange {
    redeemable: Redeemable,
    cache: Arc<dyn ProfileCache>,
    clock: Arc<dyn Clock>,
}

impl ConfirmEmailChange {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            redeemable: Redeemable::new(ports),
            cache: ports.cache.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Moves the token's account to the token's address, verified, with `user.email_changed`;
    /// caches the account as it now is, as every write that returns it does, and returns it.
    /// Sessions go on: the owner proved both the password and the new address.
    ///
    /// # Errors
    /// [`ConfirmEmailChangeError::InvalidToken`] when the token is unknown, used, expired, or its
    /// account is gone; [`ConfirmEmailChangeError::EmailTaken`] when another account took the address
    /// since the request (the token stays unused).
    #[instrument(skip_all, name = "confirm_email_change")]
    pub async fn execute(&self, token: &OpaqueToken) -> Result<User, ConfirmEmailChangeError> {
        let now = self.clock.now();
        let (record, user) = self
            .redeemable
            .find(TokenPurpose::ChangeEmail, token, now)
            .await?;
        let new_email = record
            .new_email
            .ok_or(ConfirmEmailChangeError::InvalidToken)?;
        let event = Event::new(
            EventData::EmailChanged {
                email: new_email.as_str().to_owned(),
                previous_email: user.email.as_str().to_owned(),
            },
            Some(user.id),
            now,
        );
        let changed = self
            .redeemable
            .tokens
            .change_email(record.id, now, &event)
            .await
            .map_err(|error| match error {
                ChangeEmailError::EmailTaken => ConfirmEmailChangeError::EmailTaken,
                ChangeEmailError::Port(error) => error.into(),
            })?
            .ok_or(ConfirmEmailChangeError::InvalidToken)?;
        cache_profile(&*self.cache, &changed).await;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::{AccountTokenRecord, PasswordHash, TokenDigest, UserCredentials};
    use crate::ports::{PasswordCheck, PortError};
    use crate::usecases::testkit::{Mocks, NOW, caller, policy, user};

    fn new_address() -> Email {
        Email::parse("new@example.com").unwrap()
    }

    fn request(password: &str) -> EmailChangeRequest {
        EmailChangeRequest {
            new_email: new_address(),
            current: Password::presented(password.into(), "currentPassword").unwrap(),
        }
    }

    fn signed_in(mocks: &mut Mocks, check: PasswordCheck) {
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
            .returning(move |_, _| Ok(check));
    }

    #[tokio::test]
    async fn a_request_announces_the_new_and_the_current_address_and_changes_nothing() {
        let mut mocks = Mocks::new();
        signed_in(
            &mut mocks,
            PasswordCheck::Match {
                needs_rehash: false,
            },
        );
        mocks
            .users
            .expect_find_credentials()
            .withf(|email| email.as_str() == "new@example.com")
            .returning(|_| Ok(None));
        let current = user().email.as_str().to_owned();
        mocks
            .outbox
            .expect_append()
            .withf(move |event| {
                event.data
                    == EventData::EmailChangeRequested {
                        email: "new@example.com".into(),
                        previous_email: current.clone(),
                    }
            })
            .times(1)
            .returning(|_| Ok(()));
        mocks.account_tokens.expect_change_email().never();

        let ports = mocks.ports();
        tokio::spawn(async move {
            RequestEmailChange::new(&ports, policy())
                .execute(&caller(), request("correct horse battery"))
                .await
        })
        .await
        .unwrap()
        .unwrap();
    }

    #[tokio::test]
    async fn a_request_for_a_taken_address_is_refused_and_announces_nothing() {
        let mut mocks = Mocks::new();
        signed_in(
            &mut mocks,
            PasswordCheck::Match {
                needs_rehash: false,
            },
        );
        let other = user();
        mocks.users.expect_find_credentials().returning(move |_| {
            Ok(Some(UserCredentials {
                user: other.clone(),
                password_hash: PasswordHash::new("$argon2id$other".into()),
            }))
        });
        mocks.outbox.expect_append().never();

        let result = RequestEmailChange::new(&mocks.ports(), policy())
            .execute(&caller(), request("correct horse battery"))
            .await;

        assert!(matches!(result, Err(EmailChangeError::EmailTaken)));
    }

    #[tokio::test]
    async fn a_wrong_current_password_is_counted_as_at_a_password_change() {
        let mut mocks = Mocks::new();
        signed_in(&mut mocks, PasswordCheck::Mismatch);
        mocks
            .rate_limiter
            .expect_check()
            .withf(|bucket, _| *bucket == crate::ports::RateLimitBucket::PasswordChangeGuess)
            .times(1)
            .returning(|_, _| Ok(None));
        mocks.users.expect_find_credentials().never();
        mocks.outbox.expect_append().never();

        let result = RequestEmailChange::new(&mocks.ports(), policy())
            .execute(&caller(), request("wrong password"))
            .await;

        assert!(matches!(result, Err(EmailChangeError::WrongPassword)));
    }

    fn mocks_finding(new_email: Option<Email>, used: bool) -> Mocks {
        let mut mocks = Mocks::new();
        let account = user();
        let record = AccountTokenRecord {
            id: Uuid::now_v7(),
            user_id: account.id,
            expires_at: NOW + time::Duration::hours(1),
            used_at: used.then_some(NOW),
            new_email,
            provider: None,
        };
        mocks
            .secrets
            .expect_digest()
            .returning(|_| TokenDigest::new("digest".into()));
        mocks
            .account_tokens
            .expect_find()
            .withf(|purpose, _| *purpose == TokenPurpose::ChangeEmail)
            .returning(move |_, _| Ok(Some(record.clone())));
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(account.clone())));
        mocks
    }

    #[tokio::test]
    async fn a_usable_token_moves_the_account_and_caches_it_verified() {
        let mut mocks = mocks_finding(Some(new_address()), false);
        let moved = User {
            email: new_address(),
            email_verified: true,
            ..user()
        };
        let stored = moved.clone();
        mocks
            .account_tokens
            .expect_change_email()
            .withf(|_, _, event| event.data.type_name() == "user.email_changed")
            .times(1)
            .returning(move |_, _, _| Ok(Some(stored.clone())));
        mocks
            .cache
            .expect_put()
            .withf(|cached| cached.email.as_str() == "new@example.com" && cached.email_verified)
            .times(1)
            .returning(|_| Ok(()));

        let changed = ConfirmEmailChange::new(&mocks.ports())
            .execute(&OpaqueToken::new("t".into()))
            .await
            .unwrap();

        assert_eq!(changed, moved);
    }

    #[tokio::test]
    async fn an_address_taken_since_the_request_is_refused_at_confirmation() {
        let mut mocks = mocks_finding(Some(new_address()), false);
        mocks
            .account_tokens
            .expect_change_email()
            .returning(|_, _, _| Err(ChangeEmailError::EmailTaken));
        mocks.cache.expect_put().never();

        let result = ConfirmEmailChange::new(&mocks.ports())
            .execute(&OpaqueToken::new("t".into()))
            .await;

        assert!(matches!(result, Err(ConfirmEmailChangeError::EmailTaken)));
    }

    #[tokio::test]
    async fn used_and_addressless_tokens_are_invalid_and_change_nothing() {
        for mocks in [
            mocks_finding(Some(new_address()), true),
            mocks_finding(None, false),
        ] {
            let mut mocks = mocks;
            mocks.account_tokens.expect_change_email().never();

            let result = ConfirmEmailChange::new(&mocks.ports())
                .execute(&OpaqueToken::new("t".into()))
                .await;

            assert!(matches!(result, Err(ConfirmEmailChangeError::InvalidToken)));
        }
    }

    #[tokio::test]
    async fn a_store_outage_is_unavailable() {
        let mut mocks = mocks_finding(Some(new_address()), false);
        mocks
            .account_tokens
            .expect_change_email()
            .returning(|_, _, _| Err(PortError::unavailable("db down").into()));

        let result = ConfirmEmailChange::new(&mocks.ports())
            .execute(&OpaqueToken::new("t".into()))
            .await;

        assert!(matches!(
            result,
            Err(ConfirmEmailChangeError::Unavailable(_))
        ));
    }
}
