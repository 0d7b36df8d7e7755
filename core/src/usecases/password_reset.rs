//! Password recovery (docs/http-api.md §3): "forgot" asks for a reset link by email, answering the
//! same whether or not the account exists; "reset" spends the link's token on a new password and
//! ends every session of the account, since whoever knew the old password may hold one.

use std::sync::Arc;

use tracing::{info, instrument};

use super::Ports;
use super::redeemable::{LinkTokenError, Redeemable};
use super::revoker::Revoker;
use crate::domain::{Email, Event, EventData, OpaqueToken, Password, SessionPolicy, TokenPurpose};
use crate::ports::{Clock, Outbox, PasswordHasher, PortResult, UserRepo};

/// Asks for a reset link (docs/http-api.md §3 `POST /auth/password/forgot`).
pub struct ForgotPassword {
    users: Arc<dyn UserRepo>,
    outbox: Arc<dyn Outbox>,
    clock: Arc<dyn Clock>,
}

impl ForgotPassword {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
            outbox: ports.outbox.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Writes `user.password_reset_requested` when an account has this email, and nothing
    /// otherwise; the caller answers alike either way, so that the endpoint tells nobody which
    /// addresses have accounts.
    ///
    /// # Errors
    /// Only when storage fails.
    #[instrument(skip_all, name = "forgot_password")]
    pub async fn execute(&self, email: &Email) -> PortResult<()> {
        let Some(account) = self.users.find_credentials(email).await? else {
            return Ok(());
        };
        let event = Event::new(
            EventData::PasswordResetRequested {
                email: account.user.email.as_str().to_owned(),
            },
            Some(account.user.id),
            self.clock.now(),
        );
        self.outbox.append(&event).await
    }
}

/// Spends a reset token on a new password (docs/http-api.md §3 `POST /auth/password/reset`).
pub struct ResetPassword {
    redeemable: Redeemable,
    hasher: Arc<dyn PasswordHasher>,
    revoker: Revoker,
}

impl ResetPassword {
    /// Builds the use case from its ports; ended sessions' access tokens are rejected for as
    /// long as `policy` lets them live.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            redeemable: Redeemable::new(ports),
            hasher: ports.hasher.clone(),
            revoker: Revoker::new(ports, policy),
        }
    }

    /// Stores a hash of `password` with `user.password_changed` (whose notice mail tells the
    /// owner), lifts any login lock, then ends every session of the account, rejecting their
    /// access tokens at once.
    ///
    /// # Errors
    /// [`LinkTokenError::InvalidToken`] when the token is unknown, used, expired, or its
    /// account gone.
    #[instrument(skip_all, name = "reset_password")]
    pub async fn execute(
        &self,
        token: &OpaqueToken,
        password: &Password,
    ) -> Result<(), LinkTokenError> {
        let now = self.revoker.clock.now();
        let (record, user) = self
            .redeemable
            .find(TokenPurpose::ResetPassword, token, now)
            .await?;
        let hash = self.hasher.hash(password).await?;
        let changed = Event::new(
            EventData::PasswordChanged {
                email: user.email.as_str().to_owned(),
            },
            Some(user.id),
            now,
        );
        if !self
            .redeemable
            .tokens
            .reset_password(record.id, &hash, now, &changed)
            .await?
        {
            return Err(LinkTokenError::InvalidToken);
        }
        let logged_out = Event::new(
            EventData::LoggedOut {
                session_ids: Vec::new(),
                all_sessions: true,
            },
            Some(user.id),
            now,
        );
        let ended = self
            .revoker
            .sessions
            .revoke_all(user.id, now, &logged_out)
            .await?;
        info!(user_id = %user.id, sessions = ended.len(), "password reset; every session ended");
        Ok(self
            .revoker
            .reject_access_tokens(user.id, &ended, now)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::{
        AccountTokenRecord, PasswordHash, SessionId, TokenDigest, UserCredentials,
    };
    use crate::usecases::testkit::{Mocks, NOW, password, policy, user};

    #[tokio::test]
    async fn forgot_writes_a_request_only_for_an_existing_account() {
        for exists in [true, false] {
            let mut mocks = Mocks::new();
            let account = user();
            mocks.users.expect_find_credentials().returning(move |_| {
                Ok(exists.then(|| UserCredentials {
                    user: account.clone(),
                    password_hash: PasswordHash::new("$argon2id$stored".into()),
                }))
            });
            mocks
                .outbox
                .expect_append()
                .withf(|event| event.data.type_name() == "user.password_reset_requested")
                .times(usize::from(exists))
                .returning(|_| Ok(()));

            ForgotPassword::new(&mocks.ports())
                .execute(&Email::parse("ada@example.com").unwrap())
                .await
                .unwrap();
        }
    }

    fn mocks_with_token(usable: bool) -> (Mocks, crate::domain::User) {
        let mut mocks = Mocks::new();
        let account = user();
        let record = AccountTokenRecord {
            id: Uuid::now_v7(),
            user_id: account.id,
            expires_at: NOW + time::Duration::minutes(30),
            used_at: (!usable).then_some(NOW),
        };
        mocks
            .secrets
            .expect_digest()
            .returning(|_| TokenDigest::new("digest".into()));
        mocks
            .account_tokens
            .expect_find()
            .withf(|purpose, _| *purpose == TokenPurpose::ResetPassword)
            .returning(move |_, _| Ok(Some(record.clone())));
        let found = account.clone();
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(found.clone())));
        (mocks, account)
    }

    #[tokio::test]
    async fn a_reset_stores_the_new_hash_then_ends_every_session() {
        let (mut mocks, account) = mocks_with_token(true);
        let ended = vec![SessionId::generate(), SessionId::generate()];
        mocks
            .hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$new".into())));
        mocks
            .account_tokens
            .expect_reset_password()
            .withf(|_, hash, _, event| {
                hash.as_str() == "$argon2id$new"
                    && event.data.type_name() == "user.password_changed"
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        let revoked = ended.clone();
        mocks
            .sessions
            .expect_revoke_all()
            .times(1)
            .returning(move |_, _, _| Ok(revoked.clone()));
        mocks.expect_access_tokens_rejected(ended, account.id);

        ResetPassword::new(&mocks.ports(), policy())
            .execute(&OpaqueToken::new("t".into()), &password())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_used_token_is_invalid_before_any_hashing() {
        let (mut mocks, _) = mocks_with_token(false);
        mocks.hasher.expect_hash().never();
        mocks.account_tokens.expect_reset_password().never();

        let result = ResetPassword::new(&mocks.ports(), policy())
            .execute(&OpaqueToken::new("t".into()), &password())
            .await;

        assert!(matches!(result, Err(LinkTokenError::InvalidToken)));
    }

    #[tokio::test]
    async fn a_token_spent_meanwhile_is_invalid_and_ends_no_session() {
        let (mut mocks, _) = mocks_with_token(true);
        mocks
            .hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$new".into())));
        mocks
            .account_tokens
            .expect_reset_password()
            .returning(|_, _, _, _| Ok(false));
        mocks.sessions.expect_revoke_all().never();

        let result = ResetPassword::new(&mocks.ports(), policy())
            .execute(&OpaqueToken::new("t".into()), &password())
            .await;

        assert!(matches!(result, Err(LinkTokenError::InvalidToken)));
    }
}
