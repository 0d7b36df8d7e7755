//! Password recovery (docs/http-api.md §3): "forgot" asks for a reset link by email, answering the
//! same whether or not the account exists; "reset" spends the link's token on a new password and
//! ends every session of the account, since whoever knew the old password may hold one.

use std::sync::Arc;

use tracing::{info, instrument};

use super::Ports;
use super::new_password::NewPasswordRule;
use super::redeemable::{LinkTokenError, Redeemable};
use super::revoker::Revoker;
use crate::domain::{
    Email, Event, EventData, OpaqueToken, Password, PasswordPolicy, SessionPolicy, TokenPurpose,
};
use crate::error::{BoxError, FieldError};
use crate::ports::{
    Clock, Outbox, PasswordHasher, PortResult, RateLimitBucket, RateLimiter, UserRepo,
};

/// Asks for a reset link (docs/http-api.md §3 `POST /auth/password/forgot`).
///
/// Both paths, account or none, make the same port calls in the same order: the mail cap, the
/// lookup, one event. Only the event's `userId` differs, and only the mail handler reads it
/// (an event without a user sends no mail), so the answer takes the same work either way and
/// its timing tells nobody which addresses have accounts.
pub struct ForgotPassword {
    users: Arc<dyn UserRepo>,
    outbox: Arc<dyn Outbox>,
    limiter: Arc<dyn RateLimiter>,
    clock: Arc<dyn Clock>,
}

impl ForgotPassword {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
            outbox: ports.outbox.clone(),
            limiter: ports.rate_limiter.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Writes `user.password_reset_requested` for `email`, naming its account if there is one,
    /// unless the address has had its cap of reset mails
    /// ([`RateLimitBucket::PasswordResetMail`]); the caller answers alike in every case.
    ///
    /// # Errors
    /// Only when storage or the limiter fails.
    #[instrument(skip_all, name = "forgot_password")]
    pub async fn execute(&self, email: &Email) -> PortResult<()> {
        let capped = self
            .limiter
            .check(RateLimitBucket::PasswordResetMail, email.as_str())
            .await?
            .is_some_and(|decision| !decision.allowed);
        if capped {
            return Ok(());
        }
        let account = self.users.find_credentials(email).await?;
        let event = Event::new(
            EventData::PasswordResetRequested {
                email: email.as_str().to_owned(),
            },
            account.map(|account| account.user.id),
            self.clock.now(),
        );
        self.outbox.append(&event).await
    }
}

/// Why a reset changed no password.
#[derive(Debug, thiserror::Error)]
pub enum ResetPasswordError {
    /// The token is unknown, already used or expired, or its account is gone.
    #[error("invalid token")]
    InvalidToken,
    /// The new password falls short of the operator's policy; the error says what to change.
    /// The token is not spent.
    #[error("password refused by the policy")]
    WeakPassword(FieldError),
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

impl From<LinkTokenError> for ResetPasswordError {
    fn from(error: LinkTokenError) -> Self {
        match error {
            LinkTokenError::InvalidToken => Self::InvalidToken,
            LinkTokenError::Unavailable(cause) => Self::Unavailable(cause),
            LinkTokenError::Unexpected(cause) => Self::Unexpected(cause),
        }
    }
}

/// Spends a reset token on a new password (docs/http-api.md §3 `POST /auth/password/reset`).
pub struct ResetPassword {
    passwords: NewPasswordRule,
    redeemable: Redeemable,
    hasher: Arc<dyn PasswordHasher>,
    revoker: Revoker,
}

impl ResetPassword {
    /// Builds the use case from its ports; ended sessions' access tokens are rejected for as
    /// long as `policy` lets them live.
    pub fn new(ports: &Ports, policy: SessionPolicy, passwords: PasswordPolicy) -> Self {
        Self {
            passwords: NewPasswordRule::new(ports, passwords),
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
    /// [`ResetPasswordError::InvalidToken`] when the token is unknown, used, expired, or its
    /// account gone; [`ResetPasswordError::WeakPassword`] when the password falls short of the
    /// policy, leaving the token unspent for another try.
    #[instrument(skip_all, name = "reset_password")]
    pub async fn execute(
        &self,
        token: &OpaqueToken,
        password: &Password,
    ) -> Result<(), ResetPasswordError> {
        let now = self.revoker.clock.now();
        let (record, user) = self
            .redeemable
            .find(TokenPurpose::ResetPassword, token, now)
            .await?;
        let user_inputs = [user.email.as_str().to_owned()];
        self.passwords
            .check(password, "password", &user_inputs)
            .map_err(ResetPasswordError::WeakPassword)?;
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
            return Err(ResetPasswordError::InvalidToken);
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
    use std::sync::Mutex;

    use uuid::Uuid;

    use super::*;
    use crate::domain::{
        AccountTokenRecord, PasswordHash, SessionId, TokenDigest, UserCredentials,
    };
    use crate::ports::RateDecision;
    use crate::usecases::testkit::{Mocks, NOW, password, policy, user};

    /// A mail cap that refuses `ada@example.com`.
    fn capped(mocks: &mut Mocks) {
        mocks
            .rate_limiter
            .expect_check()
            .withf(|bucket, key| {
                *bucket == RateLimitBucket::PasswordResetMail && key == "ada@example.com"
            })
            .times(1)
            .returning(|_, _| {
                Ok(Some(RateDecision {
                    allowed: false,
                    limit: 3,
                    remaining: 0,
                    reset_after: std::time::Duration::from_secs(60),
                }))
            });
    }

    /// The port calls `ForgotPassword` makes for an email with an account or none, in order,
    /// and the user id of the event it writes.
    async fn forgot_calls(exists: bool) -> (Vec<&'static str>, Option<Uuid>) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let written = Arc::new(Mutex::new(None));
        let mut mocks = Mocks::new();
        let account = user();
        let seen = calls.clone();
        mocks.rate_limiter.expect_check().returning(move |_, _| {
            seen.lock().unwrap().push("rate_limiter.check");
            Ok(Some(RateDecision {
                allowed: true,
                limit: 3,
                remaining: 2,
                reset_after: std::time::Duration::from_secs(60),
            }))
        });
        let seen = calls.clone();
        mocks.users.expect_find_credentials().returning(move |_| {
            seen.lock().unwrap().push("users.find_credentials");
            Ok(exists.then(|| UserCredentials {
                user: account.clone(),
                password_hash: PasswordHash::new("$argon2id$stored".into()),
            }))
        });
        let (seen, event_user) = (calls.clone(), written.clone());
        mocks.outbox.expect_append().returning(move |event| {
            seen.lock().unwrap().push("outbox.append");
            assert_eq!(event.data.type_name(), "user.password_reset_requested");
            *event_user.lock().unwrap() = Some(event.user_id);
            Ok(())
        });

        ForgotPassword::new(&mocks.ports())
            .execute(&Email::parse("ada@example.com").unwrap())
            .await
            .unwrap();

        let calls = calls.lock().unwrap().clone();
        let user = written.lock().unwrap().take().flatten();
        (calls, user)
    }

    #[tokio::test]
    async fn forgot_makes_the_same_port_calls_whether_or_not_the_account_exists() {
        let (with_account, its_user) = forgot_calls(true).await;
        let (without_account, no_user) = forgot_calls(false).await;

        assert_eq!(with_account, without_account);
        assert_eq!(
            with_account,
            [
                "rate_limiter.check",
                "users.find_credentials",
                "outbox.append"
            ]
        );
        assert!(its_user.is_some());
        assert_eq!(no_user, None);
    }

    #[tokio::test]
    async fn forgot_writes_nothing_once_the_address_has_had_its_cap_of_mails() {
        let mut mocks = Mocks::new();
        capped(&mut mocks);
        mocks.users.expect_find_credentials().never();
        mocks.outbox.expect_append().never();

        ForgotPassword::new(&mocks.ports())
            .execute(&Email::parse("ada@example.com").unwrap())
            .await
            .unwrap();
    }

    fn mocks_with_token(usable: bool) -> (Mocks, crate::domain::User) {
        let mut mocks = Mocks::new();
        let account = user();
        let record = AccountTokenRecord {
            id: Uuid::now_v7(),
            user_id: account.id,
            expires_at: NOW + time::Duration::minutes(30),
            used_at: (!usable).then_some(NOW),
            new_email: None,
            provider: None,
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

        ResetPassword::new(&mocks.ports(), policy(), PasswordPolicy::default())
            .execute(&OpaqueToken::new("t".into()), &password())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_used_token_is_invalid_before_any_hashing() {
        let (mut mocks, _) = mocks_with_token(false);
        mocks.hasher.expect_hash().never();
        mocks.account_tokens.expect_reset_password().never();

        let result = ResetPassword::new(&mocks.ports(), policy(), PasswordPolicy::default())
            .execute(&OpaqueToken::new("t".into()), &password())
            .await;

        assert!(matches!(result, Err(ResetPasswordError::InvalidToken)));
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

        let result = ResetPassword::new(&mocks.ports(), policy(), PasswordPolicy::default())
            .execute(&OpaqueToken::new("t".into()), &password())
            .await;

        assert!(matches!(result, Err(ResetPasswordError::InvalidToken)));
    }
}
