//! Login: check credentials in constant-ish time, start a session, issue a token pair.
//!
//! Lockout (docs/http-api.md §3): before any password is checked, the storage reserves one
//! attempt for the email and client against the [`LockoutPolicy`], atomically, so parallel
//! guesses cannot get past the limit; a wrong password (or an unknown email) is then recorded as
//! a failure, a right one resets the counts, and either frees the attempt's slots. Unknown emails
//! go through the same steps as accounts, so neither the answer nor its timing tells them apart,
//! and a lock says nothing about whether an account exists. Attempts in flight never lock: one
//! that finds every slot held waits, and is refused as busy (not locked) if none frees in time.
//!
//! An account with an active second factor gets no session for its password alone: the login
//! answers with a challenge, a single-use token that [`super::VerifyMfa`] spends with a code.
//! The right password then counts neither as a success nor as a failure (its attempt is freed),
//! so a guesser who knows the password still cannot reset the failures the second step counts.

use std::sync::Arc;

use time::Duration;
use tracing::{instrument, warn};

use super::Ports;
use super::session_start::{Reserved, SecondSteps, SessionStarter, reserve_attempt};
use crate::domain::{
    AuthMethod, ClientContext, ClientKey, Email, Event, EventData, FactorKind, LockoutPolicy,
    LoginFailure, LoginKey, OpaqueToken, Password, SessionPolicy, TokenPair, User, UserCredentials,
    UserId,
};
use crate::error::BoxError;
use crate::ports::{Clock, Outbox, PasswordCheck, PasswordHasher, UserRepo};

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

/// A successful login: a session, or the second step it waits for.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The account had no active second factor: its session started.
    Session {
        /// The account.
        user: User,
        /// The new session's tokens.
        tokens: TokenPair,
    },
    /// The account has an active second factor: no session until a code completes the login.
    MfaRequired(MfaChallenge),
}

/// The second step a login waits for.
#[derive(Debug)]
pub struct MfaChallenge {
    /// The single-use token that completes this login with a code.
    pub token: OpaqueToken,
    /// The kinds of the account's active factors, each once; a recovery code is always
    /// accepted besides.
    pub factors: Vec<FactorKind>,
    /// How long the token works.
    pub expires_in: Duration,
}

/// Why a login started no session.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email or wrong password: the two are indistinguishable.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many consecutive failed logins for this email, from this client or from every
    /// client; it is locked for a while, whatever the password, and whether or not an account
    /// has the email.
    #[error("account locked")]
    AccountLocked {
        /// How long until the lock lifts.
        retry_after: Duration,
    },
    /// The right password of an account an admin has disabled.
    #[error("account disabled")]
    AccountDisabled,
    /// Every password check the lockout allows is in flight for this email, and none came
    /// back in time; it is not locked, and a later attempt may pass.
    #[error("too many logins in flight")]
    Busy,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// What checking a login's password found.
enum Checked {
    /// An unknown email or a wrong password.
    Wrong {
        user_id: Option<UserId>,
        reason: LoginFailure,
    },
    /// The account's password; `factors` are the kinds of its active second factors.
    Right {
        credentials: UserCredentials,
        needs_rehash: bool,
        factors: Vec<FactorKind>,
    },
}

/// Starts sessions (docs/http-api.md §3 login).
pub struct Login {
    users: Arc<dyn UserRepo>,
    outbox: Arc<dyn Outbox>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    starter: SessionStarter,
    second_steps: SecondSteps,
    lockout: LockoutPolicy,
}

impl Login {
    /// Builds the use case from its ports, issuing tokens under `policy` and locking accounts
    /// under `lockout`.
    pub fn new(ports: &Ports, policy: SessionPolicy, lockout: LockoutPolicy) -> Self {
        Self {
            users: ports.users.clone(),
            outbox: ports.outbox.clone(),
            hasher: ports.hasher.clone(),
            clock: ports.clock.clone(),
            starter: SessionStarter::new(ports, policy),
            second_steps: SecondSteps::new(ports),
            lockout,
        }
    }

    /// Verifies the credentials and starts a session, or asks for a second factor.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for an unknown email and for a wrong password alike;
    /// both reserve an attempt, spend one hash verification and count a failure, so neither
    /// the answer, its timing nor a later lock tells them apart.
    /// [`LoginError::AccountLocked`] once the email is locked for this client, whatever the
    /// password.
    /// [`LoginError::Busy`] when the attempts in flight hold every slot the lockout allows.
    /// [`LoginError::AccountDisabled`] for the right password of a disabled account.
    #[instrument(skip_all, name = "login")]
    pub async fn execute(&self, request: LoginRequest) -> Result<LoginOutcome, LoginError> {
        let key = LoginKey {
            email: request.email.clone(),
            client: ClientKey::of(request.client.ip),
        };
        self.reserve_attempt(&key).await?;
        match self.check_password(&request).await {
            Ok(Checked::Wrong { user_id, reason }) => {
                self.fail(&request, &key, user_id, reason).await
            }
            Ok(Checked::Right {
                credentials,
                needs_rehash,
                factors,
            }) => {
                if factors.is_empty() {
                    self.users.record_login_success(&key).await?;
                } else {
                    // Only the last step's success resets the counts (see the module's doc).
                    self.users.abandon_login_attempt(&key).await?;
                }
                self.succeed(credentials, needs_rehash, request, factors)
                    .await
            }
            Err(error) => {
                // Neither a failure nor a success: the slots are freed and nothing counted.
                if let Err(release) = self.users.abandon_login_attempt(&key).await {
                    warn!(
                        error = &release as &dyn std::error::Error,
                        "could not free a login slot; it frees itself when abandoned"
                    );
                }
                Err(error)
            }
        }
    }

    /// Checks the password against the account's hash, or against a dummy one when no account
    /// has the email, so an unknown email takes as long as a wrong password. An account without
    /// a password (created through an external provider) is answered the same way: no password
    /// is its password, and the hasher cannot read its empty hash.
    async fn check_password(&self, request: &LoginRequest) -> Result<Checked, LoginError> {
        let Some(credentials) = self.users.find_credentials(&request.email).await? else {
            self.hasher.verify_dummy(&request.password).await?;
            return Ok(Checked::Wrong {
                user_id: None,
                reason: LoginFailure::UnknownEmail,
            });
        };
        if credentials.password_hash.is_empty() {
            self.hasher.verify_dummy(&request.password).await?;
            return Ok(Checked::Wrong {
                user_id: Some(credentials.user.id),
                reason: LoginFailure::WrongPassword,
            });
        }
        Ok(
            match self
                .hasher
                .verify(&request.password, &credentials.password_hash)
                .await?
            {
                PasswordCheck::Mismatch => Checked::Wrong {
                    user_id: Some(credentials.user.id),
                    reason: LoginFailure::WrongPassword,
                },
                PasswordCheck::Match { needs_rehash } => Checked::Right {
                    factors: self.second_steps.active_kinds(credentials.user.id).await?,
                    credentials,
                    needs_rehash,
                },
            },
        )
    }

    /// Starts the session of a right password, or asks for its second factor, unless an admin
    /// disabled the account.
    async fn succeed(
        &self,
        credentials: UserCredentials,
        needs_rehash: bool,
        request: LoginRequest,
        factors: Vec<FactorKind>,
    ) -> Result<LoginOutcome, LoginError> {
        if credentials.user.disabled {
            // Said only to whoever knows the password, so it reveals nothing to a guesser.
            let event = self.failed_event(
                &request,
                Some(credentials.user.id),
                LoginFailure::AccountDisabled,
            );
            self.outbox.append(&event).await?;
            return Err(LoginError::AccountDisabled);
        }
        if needs_rehash {
            self.rehash(&credentials, &request.password).await;
        }
        if !factors.is_empty() {
            let challenge = self
                .second_steps
                .challenge(credentials.user.id, factors, None)
                .await?;
            return Ok(LoginOutcome::MfaRequired(challenge));
        }
        let user = credentials.user;
        let tokens = self
            .starter
            .start(&user, request.client, AuthMethod::PASSWORD, None)
            .await?;
        Ok(LoginOutcome::Session { user, tokens })
    }

    /// Reserves this login's attempt, or refuses a locked or busy email.
    ///
    /// A locked email is refused without verifying any hash, dummy or real: the 423 is the
    /// same whether or not an account has the email, and skipping the hash means guesses
    /// against a locked email cost no Argon2 work.
    async fn reserve_attempt(&self, key: &LoginKey) -> Result<(), LoginError> {
        match reserve_attempt(&*self.users, self.clock.now(), self.lockout, key).await? {
            Reserved::Allowed => Ok(()),
            Reserved::Busy => Err(LoginError::Busy),
            Reserved::Locked { retry_after } => Err(LoginError::AccountLocked { retry_after }),
        }
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

    /// Records a wrong password or an unknown email; the storage locks the email when the
    /// failures reach a maximum.
    async fn fail(
        &self,
        request: &LoginRequest,
        key: &LoginKey,
        user_id: Option<UserId>,
        reason: LoginFailure,
    ) -> Result<LoginOutcome, LoginError> {
        let event = self.failed_event(request, user_id, reason);
        self.users
            .record_login_failure(key, event.occurred_at, self.lockout, &event)
            .await?;
        Err(LoginError::InvalidCredentials)
    }

    fn failed_event(
        &self,
        request: &LoginRequest,
        user_id: Option<UserId>,
        reason: LoginFailure,
    ) -> Event {
        Event::new(
            EventData::LoginFailed {
                email: request.email.as_str().to_owned(),
                reason,
                ip: request.client.ip.map(|ip| ip.to_string()),
            },
            user_id,
            self.clock.now(),
        )
    }
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::domain::{LoginAttempt, PasswordHash, TokenPurpose};
    use crate::ports::PortResult;
    use crate::usecases::testkit::{Mocks, NOW, password, policy, user};

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

    fn login(mocks: Mocks) -> Login {
        Login::new(&mocks.ports(), policy(), LockoutPolicy::default())
    }

    /// The attempt counted against `ada@example.com` from the client's address.
    fn request_key() -> LoginKey {
        LoginKey {
            email: Email::parse("ada@example.com").unwrap(),
            client: ClientKey::of(Some([10, 0, 0, 1].into())),
        }
    }

    /// Reserving the request's attempt, once, at [`NOW`] under the default policy, answers
    /// `reserve(now, policy)`.
    fn reserving(
        mocks: &mut Mocks,
        reserve: impl Fn(OffsetDateTime, LockoutPolicy) -> PortResult<LoginAttempt> + Send + 'static,
    ) {
        mocks
            .users
            .expect_begin_login_attempt()
            .withf(|key, at, policy| {
                *key == request_key() && *at == NOW && *policy == LockoutPolicy::default()
            })
            .times(1)
            .returning(move |_, at, policy| reserve(at, policy));
    }

    /// The account is found, and reserving its attempt answers `reserve(now, policy)`.
    fn known_account(
        mocks: &mut Mocks,
        reserve: impl Fn(OffsetDateTime, LockoutPolicy) -> PortResult<LoginAttempt> + Send + 'static,
    ) {
        mocks
            .users
            .expect_find_credentials()
            .returning(|_| Ok(Some(credentials())));
        reserving(mocks, reserve);
    }

    /// The account is found and its login is the `attempt`-th since the last success.
    fn known_account_on_attempt(mocks: &mut Mocks, attempt: u32) {
        known_account(mocks, move |_, _| Ok(LoginAttempt::Allowed { attempt }));
    }

    /// One failure of the request's attempt recorded at [`NOW`], with its event for `reason`,
    /// naming a user when `of_an_account`.
    fn expect_one_failure(mocks: &mut Mocks, reason: LoginFailure, of_an_account: bool) {
        mocks
            .users
            .expect_record_login_failure()
            .withf(move |key, at, policy, e| {
                *key == request_key()
                    && *at == NOW
                    && *policy == LockoutPolicy::default()
                    && matches!(e.data, EventData::LoginFailed { reason: r, .. } if r == reason)
                    && e.user_id.is_some() == of_an_account
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
    }

    /// The right password of an account without a second factor, and the success that resets
    /// the count.
    fn right_password(mocks: &mut Mocks, needs_rehash: bool) {
        mocks
            .hasher
            .expect_verify()
            .returning(move |_, _| Ok(PasswordCheck::Match { needs_rehash }));
        mocks.factors.expect_list().returning(|_| Ok(Vec::new()));
        mocks
            .users
            .expect_record_login_success()
            .withf(|key| *key == request_key())
            .times(1)
            .returning(|_| Ok(()));
    }

    #[tokio::test]
    async fn an_unknown_email_reserves_an_attempt_verifies_a_dummy_hash_and_counts_a_failure() {
        let mut mocks = Mocks::new();
        reserving(&mut mocks, |_, _| Ok(LoginAttempt::Allowed { attempt: 1 }));
        mocks
            .users
            .expect_find_credentials()
            .returning(|_| Ok(None));
        mocks
            .hasher
            .expect_verify_dummy()
            .times(1)
            .returning(|_| Ok(()));
        expect_one_failure(&mut mocks, LoginFailure::UnknownEmail, false);

        let result = login(mocks).execute(request()).await;

        assert!(matches!(result, Err(LoginError::InvalidCredentials)));
    }

    #[tokio::test]
    async fn a_locked_email_is_refused_without_looking_up_the_account_or_verifying_anything() {
        let mut mocks = Mocks::new();
        reserving(&mut mocks, |at, _| {
            Ok(LoginAttempt::Locked {
                until: at + Duration::minutes(3),
            })
        });

        // Neither find_credentials nor any hash verification is expected: either would panic.
        let result = login(mocks).execute(request()).await;

        assert!(
            matches!(result, Err(LoginError::AccountLocked { retry_after }) if retry_after == Duration::minutes(3)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn login_with_a_wrong_password_fails_like_an_unknown_email_and_records_its_attempt() {
        let mut mocks = Mocks::new();
        known_account_on_attempt(&mut mocks, 3);
        mocks
            .hasher
            .expect_verify()
            .returning(|_, _| Ok(PasswordCheck::Mismatch));
        expect_one_failure(&mut mocks, LoginFailure::WrongPassword, true);

        let result = login(mocks).execute(request()).await;

        assert!(matches!(result, Err(LoginError::InvalidCredentials)));
    }

    #[tokio::test]
    async fn a_passwordless_account_fails_as_a_wrong_password_after_the_dummy_hashs_work() {
        let mut mocks = Mocks::new();
        mocks.users.expect_find_credentials().returning(|_| {
            Ok(Some(UserCredentials {
                password_hash: PasswordHash::new(String::new()),
                ..credentials()
            }))
        });
        reserving(&mut mocks, |_, _| Ok(LoginAttempt::Allowed { attempt: 1 }));
        mocks.hasher.expect_verify().never();
        mocks
            .hasher
            .expect_verify_dummy()
            .times(1)
            .returning(|_| Ok(()));
        expect_one_failure(&mut mocks, LoginFailure::WrongPassword, true);

        let result = login(mocks).execute(request()).await;

        assert!(matches!(result, Err(LoginError::InvalidCredentials)));
    }

    #[tokio::test]
    async fn login_while_attempts_in_flight_hold_every_slot_is_busy_not_locked() {
        let mut mocks = Mocks::new();
        known_account(&mut mocks, |_, _| Ok(LoginAttempt::Busy));

        let result = login(mocks).execute(request()).await;

        assert!(matches!(result, Err(LoginError::Busy)), "{result:?}");
    }

    #[tokio::test]
    async fn a_password_that_cannot_be_checked_frees_its_slot_and_counts_nothing() {
        let mut mocks = Mocks::new();
        known_account_on_attempt(&mut mocks, 1);
        mocks
            .hasher
            .expect_verify()
            .returning(|_, _| Err(crate::ports::PortError::unavailable("no hashing slot")));
        mocks
            .users
            .expect_abandon_login_attempt()
            .withf(|key| *key == request_key())
            .times(1)
            .returning(|_| Ok(()));

        // Neither record_login_failure nor record_login_success is expected: either would panic.
        let result = login(mocks).execute(request()).await;

        assert!(
            matches!(result, Err(LoginError::Unavailable(_))),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn login_to_a_locked_account_never_announces_a_wait_longer_than_the_lock() {
        let mut mocks = Mocks::new();
        known_account(&mut mocks, |at, policy| {
            Ok(LoginAttempt::Locked {
                until: at + policy.lock_for + Duration::milliseconds(300),
            })
        });

        let result = login(mocks).execute(request()).await;

        assert!(
            matches!(result, Err(LoginError::AccountLocked { retry_after }) if retry_after == Duration::minutes(15)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn login_with_the_right_password_resets_the_failure_count() {
        let mut mocks = Mocks::new().with_token_minting();
        known_account_on_attempt(&mut mocks, 9);
        right_password(&mut mocks, false);
        mocks.sessions.expect_start().returning(|_, _| Ok(()));

        let outcome = login(mocks).execute(request()).await;

        assert!(outcome.is_ok());
    }

    #[tokio::test]
    async fn login_future_is_send() {
        let mut mocks = Mocks::new();
        reserving(&mut mocks, |_, _| Ok(LoginAttempt::Allowed { attempt: 1 }));
        mocks
            .users
            .expect_find_credentials()
            .returning(|_| Ok(None));
        mocks.hasher.expect_verify_dummy().returning(|_| Ok(()));
        mocks
            .users
            .expect_record_login_failure()
            .returning(|_, _, _, _| Ok(()));
        let login = login(mocks);

        let result = tokio::spawn(async move { login.execute(request()).await })
            .await
            .unwrap();

        assert!(matches!(result, Err(LoginError::InvalidCredentials)));
    }

    #[tokio::test]
    async fn login_starts_a_session_and_returns_its_tokens() {
        let mut mocks = Mocks::new().with_token_minting();
        known_account_on_attempt(&mut mocks, 1);
        right_password(&mut mocks, false);
        mocks.sessions.expect_start().withf(|session, event| {
            session.amr == AuthMethod::PASSWORD
                && session.refresh_token.digest.as_str() == "digest:fresh-refresh"
                && session.refresh_token.expires_at == NOW + Duration::days(7)
                && session.client.user_agent.as_deref() == Some("curl")
                && matches!(event.data, EventData::LoggedIn { session_id, .. } if session_id == session.id)
        }).times(1).returning(|_, _| Ok(()));

        let outcome = login(mocks).execute(request()).await.unwrap();

        let LoginOutcome::Session { tokens, .. } = outcome else {
            panic!("no session: {outcome:?}");
        };
        assert_eq!(tokens.access_token.expose(), "jwt");
        assert_eq!(tokens.refresh_token.expose(), "fresh-refresh");
        assert_eq!(tokens.expires_in, Duration::minutes(15));
    }

    #[tokio::test]
    async fn the_right_password_of_an_account_with_a_factor_asks_for_it_and_resets_nothing() {
        let mut mocks = Mocks::new().with_token_minting();
        known_account_on_attempt(&mut mocks, 4);
        mocks.hasher.expect_verify().returning(|_, _| {
            Ok(PasswordCheck::Match {
                needs_rehash: false,
            })
        });
        mocks.factors.expect_list().returning(|user| {
            let factor = |confirmed| crate::domain::Factor {
                confirmed_at: confirmed,
                ..crate::domain::Factor::pending(
                    crate::domain::FactorId::generate(),
                    user,
                    FactorKind::Totp,
                    crate::domain::FactorName::default_for(FactorKind::Totp),
                    crate::domain::FactorCredential::new(vec![1]),
                    NOW,
                )
            };
            Ok(vec![factor(Some(NOW)), factor(None), factor(Some(NOW))])
        });
        mocks
            .users
            .expect_abandon_login_attempt()
            .withf(|key| *key == request_key())
            .times(1)
            .returning(|_| Ok(()));
        mocks
            .account_tokens
            .expect_issue()
            .withf(|t| {
                t.purpose == TokenPurpose::MfaLogin
                    && t.digest.as_str() == "digest:fresh-refresh"
                    && t.expires_at == NOW + Duration::minutes(5)
            })
            .times(1)
            .returning(|_| Ok(()));

        // Neither record_login_success nor sessions.start is expected: either would panic.
        let outcome = login(mocks).execute(request()).await.unwrap();

        let LoginOutcome::MfaRequired(challenge) = outcome else {
            panic!("a session without the second factor: {outcome:?}");
        };
        assert_eq!(challenge.token.expose(), "fresh-refresh");
        assert_eq!(challenge.factors, vec![FactorKind::Totp]);
        assert_eq!(challenge.expires_in, Duration::minutes(5));
    }

    #[tokio::test]
    async fn login_rehashes_a_stale_hash() {
        let mut mocks = Mocks::new().with_token_minting();
        known_account_on_attempt(&mut mocks, 1);
        right_password(&mut mocks, true);
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

        let outcome = login(mocks).execute(request()).await;

        assert!(outcome.is_ok());
    }

    #[tokio::test]
    async fn login_succeeds_when_the_rehash_fails() {
        let mut mocks = Mocks::new().with_token_minting();
        known_account_on_attempt(&mut mocks, 1);
        right_password(&mut mocks, true);
        mocks
            .hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$fresh".into())));
        mocks
            .users
            .expect_replace_password_hash()
            .returning(|_, _| Err(crate::ports::PortError::unavailable("db down")));
        mocks
            .sessions
            .expect_start()
            .times(1)
            .returning(|_, _| Ok(()));

        let outcome = login(mocks).execute(request()).await;

        assert!(outcome.is_ok());
    }

    #[tokio::test]
    async fn the_right_password_of_a_disabled_account_is_refused_without_a_session() {
        let mut mocks = Mocks::new();
        mocks.users.expect_find_credentials().returning(|_| {
            let mut found = credentials();
            found.user.disabled = true;
            Ok(Some(found))
        });
        reserving(&mut mocks, |_, _| Ok(LoginAttempt::Allowed { attempt: 1 }));
        right_password(&mut mocks, false);
        mocks
            .outbox
            .expect_append()
            .withf(|e| {
                matches!(
                    e.data,
                    EventData::LoginFailed {
                        reason: LoginFailure::AccountDisabled,
                        ..
                    }
                )
            })
            .times(1)
            .returning(|_| Ok(()));

        // No session may start: `sessions.start` has no expectation and would panic.
        let result = login(mocks).execute(request()).await;

        assert!(matches!(result, Err(LoginError::AccountDisabled)));
    }
}
