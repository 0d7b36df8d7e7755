//! Login: check credentials in constant-ish time, start a session, issue a token pair.

use std::sync::Arc;

use tracing::{instrument, warn};

use super::Ports;
use super::tokens::TokenMinter;
use crate::domain::{
    ClientContext, Email, Event, EventData, LoginFailure, NewSession, Password, SessionId,
    SessionPolicy, TokenPair, User, UserCredentials,
};
use crate::error::{Error, Result};
use crate::ports::{Clock, Outbox, PasswordCheck, PasswordHasher, SessionRepo, UserRepo};

/// A validated login request.
#[derive(Debug)]
pub struct LoginRequest {
    /// The account's email.
    pub email: Email,
    /// The password presented.
    pub password: Password,
    /// Where the request came from.
    pub client: ClientContext,
}

/// A successful login: the account and its first token pair.
#[derive(Debug)]
pub struct LoginOutcome {
    /// The account.
    pub user: User,
    /// The new session's tokens.
    pub tokens: TokenPair,
}

/// Starts sessions (§3 login).
pub struct Login {
    users: Arc<dyn UserRepo>,
    sessions: Arc<dyn SessionRepo>,
    outbox: Arc<dyn Outbox>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    minter: TokenMinter,
}

impl Login {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            users: ports.users.clone(),
            sessions: ports.sessions.clone(),
            outbox: ports.outbox.clone(),
            hasher: ports.hasher.clone(),
            clock: ports.clock.clone(),
            minter: TokenMinter::new(ports.tokens.clone(), ports.secrets.clone(), policy),
        }
    }

    /// Verifies the credentials and starts a session.
    ///
    /// # Errors
    /// [`Error::InvalidCredentials`] for an unknown email and for a wrong password alike; both
    /// spend one hash verification, so timing does not tell them apart.
    #[instrument(skip_all, name = "login")]
    pub async fn execute(&self, request: LoginRequest) -> Result<LoginOutcome> {
        let Some(credentials) = self.users.find_credentials(&request.email).await? else {
            self.hasher.verify_dummy(&request.password).await?;
            return self.fail(&request, None, LoginFailure::UnknownEmail).await;
        };
        match self
            .hasher
            .verify(&request.password, &credentials.password_hash)
            .await?
        {
            PasswordCheck::Mismatch => {
                self.fail(&request, Some(&credentials), LoginFailure::WrongPassword)
                    .await
            }
            PasswordCheck::Match { needs_rehash } => {
                if needs_rehash {
                    self.rehash(&credentials, &request.password).await;
                }
                self.start_session(credentials.user, request.client).await
            }
        }
    }

    async fn start_session(&self, user: User, client: ClientContext) -> Result<LoginOutcome> {
        let now = self.clock.now();
        let (refresh_token, refresh_record) = self.minter.refresh_token(now);
        let session = NewSession {
            id: SessionId::generate(),
            user_id: user.id,
            client,
            created_at: now,
            refresh_token: refresh_record,
        };
        let event = Event::new(
            EventData::LoggedIn {
                session_id: session.id,
                ip: session.client.ip.map(|ip| ip.to_string()),
                user_agent: session.client.user_agent.clone(),
            },
            Some(user.id),
            now,
        );
        self.sessions.start(&session, &event).await?;
        let tokens = self.minter.pair(&user, session.id, refresh_token, now)?;
        Ok(LoginOutcome { user, tokens })
    }

    /// Upgrades a stale hash. A failure here must not fail a login whose password was right,
    /// so it is logged and retried at the next login.
    async fn rehash(&self, credentials: &UserCredentials, password: &Password) {
        let result = async {
            let fresh = self.hasher.hash(password).await?;
            self.users
                .replace_password_hash(credentials.user.id, &fresh)
                .await
        }
        .await;
        if let Err(error) = result {
            warn!(user_id = %credentials.user.id, error = &error as &dyn std::error::Error, "password re-hash failed; will retry at next login");
        }
    }

    async fn fail(
        &self,
        request: &LoginRequest,
        credentials: Option<&UserCredentials>,
        reason: LoginFailure,
    ) -> Result<LoginOutcome> {
        let event = Event::new(
            EventData::LoginFailed {
                email: request.email.as_str().to_owned(),
                reason,
                ip: request.client.ip.map(|ip| ip.to_string()),
            },
            credentials.map(|c| c.user.id),
            self.clock.now(),
        );
        self.outbox.append(&event).await?;
        Err(Error::InvalidCredentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PasswordHash;
    use crate::usecases::testkit::{Mocks, password, policy, user};

    fn request() -> LoginRequest {
        LoginRequest {
            email: Email::parse("ada@example.com").unwrap(),
            password: password(),
            client: ClientContext {
                ip: Some([10, 0, 0, 1].into()),
                user_agent: Some("curl".into()),
            },
        }
    }

    fn credentials() -> UserCredentials {
        UserCredentials {
            user: user(),
            password_hash: PasswordHash::new("$argon2id$stored".into()),
        }
    }

    #[tokio::test]
    async fn login_verifies_a_dummy_hash_for_an_unknown_email() {
        let mut mocks = Mocks::new();
        mocks
            .users
            .expect_find_credentials()
            .returning(|_| Ok(None));
        mocks
            .hasher
            .expect_verify_dummy()
            .times(1)
            .returning(|_| Ok(()));
        mocks
            .outbox
            .expect_append()
            .withf(|e| {
                matches!(
                    e.data,
                    EventData::LoginFailed {
                        reason: LoginFailure::UnknownEmail,
                        ..
                    }
                ) && e.user_id.is_none()
            })
            .times(1)
            .returning(|_| Ok(()));

        let result = Login::new(&mocks.ports(), policy())
            .execute(request())
            .await;

        assert!(matches!(result, Err(Error::InvalidCredentials)));
    }

    #[tokio::test]
    async fn login_with_a_wrong_password_fails_like_an_unknown_email_and_records_it() {
        let mut mocks = Mocks::new();
        mocks
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials())));
        mocks
            .hasher
            .expect_verify()
            .returning(|_, _| Ok(PasswordCheck::Mismatch));
        mocks
            .outbox
            .expect_append()
            .withf(|e| {
                matches!(
                    e.data,
                    EventData::LoginFailed {
                        reason: LoginFailure::WrongPassword,
                        ..
                    }
                ) && e.user_id.is_some()
            })
            .times(1)
            .returning(|_| Ok(()));

        let result = Login::new(&mocks.ports(), policy())
            .execute(request())
            .await;

        assert!(matches!(result, Err(Error::InvalidCredentials)));
    }

    #[tokio::test]
    async fn login_starts_a_session_and_returns_its_tokens() {
        let mut mocks = Mocks::new().with_token_minting();
        mocks
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials())));
        mocks.hasher.expect_verify().returning(|_, _| {
            Ok(PasswordCheck::Match {
                needs_rehash: false,
            })
        });
        mocks.sessions.expect_start().withf(|session, event| {
            session.refresh_token.digest.as_str() == "digest:fresh-refresh"
                && session.refresh_token.expires_at == crate::usecases::testkit::NOW + time::Duration::days(7)
                && session.client.user_agent.as_deref() == Some("curl")
                && matches!(event.data, EventData::LoggedIn { session_id, .. } if session_id == session.id)
        }).times(1).returning(|_, _| Ok(()));

        let outcome = Login::new(&mocks.ports(), policy())
            .execute(request())
            .await
            .unwrap();

        assert_eq!(outcome.tokens.access_token.expose(), "jwt");
        assert_eq!(outcome.tokens.refresh_token.expose(), "fresh-refresh");
        assert_eq!(outcome.tokens.expires_in, time::Duration::minutes(15));
    }

    #[tokio::test]
    async fn login_rehashes_a_stale_hash() {
        let mut mocks = Mocks::new().with_token_minting();
        mocks
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials())));
        mocks
            .hasher
            .expect_verify()
            .returning(|_, _| Ok(PasswordCheck::Match { needs_rehash: true }));
        mocks
            .hasher
            .expect_hash()
            .times(1)
            .returning(|_| Ok(PasswordHash::new("$argon2id$fresh".into())));
        mocks
            .users
            .expect_replace_password_hash()
            .withf(|_, hash| hash.as_str() == "$argon2id$fresh")
            .times(1)
            .returning(|_, _| Ok(()));
        mocks.sessions.expect_start().returning(|_, _| Ok(()));

        let outcome = Login::new(&mocks.ports(), policy())
            .execute(request())
            .await;

        assert!(outcome.is_ok());
    }

    #[tokio::test]
    async fn login_succeeds_when_the_rehash_fails() {
        let mut mocks = Mocks::new().with_token_minting();
        mocks
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials())));
        mocks
            .hasher
            .expect_verify()
            .returning(|_, _| Ok(PasswordCheck::Match { needs_rehash: true }));
        mocks
            .hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$fresh".into())));
        mocks
            .users
            .expect_replace_password_hash()
            .returning(|_, _| Err(Error::unavailable("db down")));
        mocks
            .sessions
            .expect_start()
            .times(1)
            .returning(|_, _| Ok(()));

        let outcome = Login::new(&mocks.ports(), policy())
            .execute(request())
            .await;

        assert!(outcome.is_ok());
    }
}
