//! Email verification (docs/http-api.md §3): the link in the welcome mail (or a resent one) proves
//! the user reads mail at the account's address. The token is issued by the mail handler when it
//! sends the mail ([`super::SendMail`]), so no token ever travels in an event.

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::profile::cache_profile;
use super::redeemable::{LinkTokenError, Redeemable};
use crate::domain::{AccessClaims, Event, EventData, OpaqueToken, TokenPurpose, User};
use crate::error::BoxError;
use crate::ports::{Clock, Outbox, ProfileCache, UserRepo};

/// Spends a verification token (docs/http-api.md §3 `POST /auth/email/verify`).
pub struct VerifyEmail {
    redeemable: Redeemable,
    cache: Arc<dyn ProfileCache>,
    clock: Arc<dyn Clock>,
}

impl VerifyEmail {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            redeemable: Redeemable::new(ports),
            cache: ports.cache.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Marks the token's account verified, writes `user.email_verified`, drops the cached
    /// profile, and returns the account.
    ///
    /// # Errors
    /// [`LinkTokenError::InvalidToken`] when the token is unknown, used, expired, or its account
    /// is gone.
    #[instrument(skip_all, name = "verify_email")]
    pub async fn execute(&self, token: &OpaqueToken) -> Result<User, LinkTokenError> {
        let now = self.clock.now();
        let (record, user) = self
            .redeemable
            .find(TokenPurpose::VerifyEmail, token, now)
            .await?;
        let event = Event::new(
            EventData::EmailVerified {
                email: user.email.as_str().to_owned(),
            },
            Some(user.id),
            now,
        );
        let verified = self
            .redeemable
            .tokens
            .verify_email(record.id, now, &event)
            .await?
            .ok_or(LinkTokenError::InvalidToken)?;
        cache_profile(&*self.cache, &verified).await;
        Ok(verified)
    }
}

/// Why no new verification link was asked for.
#[derive(Debug, thiserror::Error)]
pub enum ResendVerificationError {
    /// The caller's account no longer exists.
    #[error("account gone")]
    AccountGone,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Sends a new verification link (docs/http-api.md §3 `POST /auth/email/resend`).
pub struct ResendVerification {
    users: Arc<dyn UserRepo>,
    outbox: Arc<dyn Outbox>,
    clock: Arc<dyn Clock>,
}

impl ResendVerification {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
            outbox: ports.outbox.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Asks for a new link to the caller's address with `user.email_verification_requested`;
    /// an address already verified needs none, and nothing happens.
    ///
    /// # Errors
    /// [`ResendVerificationError::AccountGone`] when the caller's account no longer exists.
    #[instrument(skip_all, name = "resend_verification", fields(user_id = %caller.user_id))]
    pub async fn execute(&self, caller: &AccessClaims) -> Result<(), ResendVerificationError> {
        let user = self
            .users
            .find_by_id(caller.user_id)
            .await?
            .ok_or(ResendVerificationError::AccountGone)?;
        if user.email_verified {
            return Ok(());
        }
        let event = Event::new(
            EventData::EmailVerificationRequested {
                email: user.email.as_str().to_owned(),
            },
            Some(user.id),
            self.clock.now(),
        );
        Ok(self.outbox.append(&event).await?)
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::{AccountTokenRecord, TokenDigest};
    use crate::usecases::testkit::{Mocks, NOW, caller, user};

    fn record(user: &User, used: bool, expired: bool) -> AccountTokenRecord {
        AccountTokenRecord {
            id: Uuid::now_v7(),
            user_id: user.id,
            expires_at: if expired {
                NOW
            } else {
                NOW + time::Duration::hours(1)
            },
            used_at: used.then_some(NOW),
            new_email: None,
            provider: None,
        }
    }

    fn mocks_finding(record: Option<AccountTokenRecord>) -> Mocks {
        let mut mocks = Mocks::new();
        mocks
            .secrets
            .expect_digest()
            .returning(|_| TokenDigest::new("digest".into()));
        mocks
            .account_tokens
            .expect_find()
            .returning(move |_, _| Ok(record.clone()));
        mocks
    }

    #[tokio::test]
    async fn a_usable_token_verifies_the_account_and_drops_its_cached_profile() {
        let account = user();
        let mut mocks = mocks_finding(Some(record(&account, false, false)));
        let found = account.clone();
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(found.clone())));
        let verified = User {
            email_verified: true,
            ..account.clone()
        };
        mocks
            .account_tokens
            .expect_verify_email()
            .withf(|_, _, event| event.data.type_name() == "user.email_verified")
            .times(1)
            .returning(move |_, _, _| Ok(Some(verified.clone())));
        mocks
            .cache
            .expect_put()
            .withf(|cached| cached.email_verified)
            .times(1)
            .returning(|_| Ok(()));

        let user = VerifyEmail::new(&mocks.ports())
            .execute(&OpaqueToken::new("t".into()))
            .await
            .unwrap();

        assert!(user.email_verified);
    }

    #[tokio::test]
    async fn unknown_used_and_expired_tokens_are_invalid_and_change_nothing() {
        let account = user();
        for found in [
            None,
            Some(record(&account, true, false)),
            Some(record(&account, false, true)),
        ] {
            let mut mocks = mocks_finding(found);
            mocks.account_tokens.expect_verify_email().never();

            let result = VerifyEmail::new(&mocks.ports())
                .execute(&OpaqueToken::new("t".into()))
                .await;

            assert!(matches!(result, Err(LinkTokenError::InvalidToken)));
        }
    }

    #[tokio::test]
    async fn a_token_spent_by_a_concurrent_request_is_invalid() {
        let account = user();
        let mut mocks = mocks_finding(Some(record(&account, false, false)));
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(account.clone())));
        mocks
            .account_tokens
            .expect_verify_email()
            .returning(|_, _, _| Ok(None));

        let result = VerifyEmail::new(&mocks.ports())
            .execute(&OpaqueToken::new("t".into()))
            .await;

        assert!(matches!(result, Err(LinkTokenError::InvalidToken)));
    }

    #[tokio::test]
    async fn resend_asks_for_a_link_only_while_unverified() {
        for verified in [false, true] {
            let mut mocks = Mocks::new();
            let account = User {
                email_verified: verified,
                ..user()
            };
            mocks
                .users
                .expect_find_by_id()
                .returning(move |_| Ok(Some(account.clone())));
            mocks
                .outbox
                .expect_append()
                .withf(|event| event.data.type_name() == "user.email_verification_requested")
                .times(usize::from(!verified))
                .returning(|_| Ok(()));

            ResendVerification::new(&mocks.ports())
                .execute(&caller())
                .await
                .unwrap();
        }
    }
}
