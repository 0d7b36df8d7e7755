//! The second step of a login (docs/http-api.md, multi-factor authentication): the token a
//! login answered with, and a code from one of the account's factors or a recovery code,
//! complete it with a session.
//!
//! The step is an attempt like a password: it reserves a slot against the lockout of the
//! account's email and the client, a wrong code counts a failure as a wrong password does, and
//! only a right one resets the counts. A TOTP code is accepted once per factor and step, and a
//! recovery code once, each decided in one storage step, so a code raced twice works once. The
//! token is spent only by a right code: a typo does not end the login, the lockout bounds the
//! guesses.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use tracing::{instrument, warn};

use super::Ports;
use super::session_start::{Reserved, SessionStarter, reserve_attempt};
use crate::domain::{
    AccountTokenRecord, AuthMethod, ClientContext, ClientKey, Event, EventData, FactorKind,
    LockoutPolicy, LoginFailure, LoginKey, MfaCode, OpaqueToken, SessionPolicy, TokenPair,
    TokenPurpose, User,
};
use crate::error::BoxError;
use crate::ports::{
    AccountTokens, Clock, MfaFactors, OpaqueTokens, SecretBox, TotpVerifier, UserRepo,
};

/// A second step presented.
#[derive(Debug)]
pub struct VerifyMfaRequest {
    /// The token the login answered with.
    pub token: OpaqueToken,
    /// The code.
    pub code: MfaCode,
    /// Where the request came from.
    pub client: ClientContext,
}

/// Why a second step started no session.
#[derive(Debug, thiserror::Error)]
pub enum VerifyMfaError {
    /// The token is unknown, spent or expired, or its account gone.
    #[error("invalid token")]
    InvalidToken,
    /// The code is wrong, replayed, or a recovery code unknown or used.
    #[error("invalid code")]
    InvalidCode,
    /// Too many failed logins for this account's email from this client, or from every client.
    #[error("account locked")]
    AccountLocked {
        /// How long until the lock lifts.
        retry_after: Duration,
    },
    /// An admin disabled the account since its password was checked.
    #[error("account disabled")]
    AccountDisabled,
    /// Every slot the lockout allows is held by attempts in flight.
    #[error("too many logins in flight")]
    Busy,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// A completed login.
#[derive(Debug)]
pub struct MfaLogin {
    /// The account.
    pub user: User,
    /// The new session's tokens.
    pub tokens: TokenPair,
}

/// Completes logins that wait for a second factor.
pub struct VerifyMfa {
    users: Arc<dyn UserRepo>,
    account_tokens: Arc<dyn AccountTokens>,
    secrets: Arc<dyn OpaqueTokens>,
    factors: Arc<dyn MfaFactors>,
    totp: Arc<dyn TotpVerifier>,
    secret_box: Arc<dyn SecretBox>,
    clock: Arc<dyn Clock>,
    starter: SessionStarter,
    lockout: LockoutPolicy,
}

impl VerifyMfa {
    /// Built from `ports`, issuing tokens under `policy` and counting wrong codes under
    /// `lockout`, as [`super::Login`] does.
    pub fn new(ports: &Ports, policy: SessionPolicy, lockout: LockoutPolicy) -> Self {
        Self {
            users: ports.users.clone(),
            account_tokens: ports.account_tokens.clone(),
            secrets: ports.secrets.clone(),
            factors: ports.factors.clone(),
            totp: ports.totp.clone(),
            secret_box: ports.secret_box.clone(),
            clock: ports.clock.clone(),
            starter: SessionStarter::new(ports, policy),
            lockout,
        }
    }

    /// Checks the code against the login's account and starts its session.
    ///
    /// # Errors
    /// [`VerifyMfaError::InvalidToken`] for a token that does not work (nothing counted);
    /// [`VerifyMfaError::AccountLocked`] or [`VerifyMfaError::Busy`] from the lockout, before
    /// any code is checked; [`VerifyMfaError::InvalidCode`] for a wrong code, counted as a
    /// failed login.
    #[instrument(skip_all, name = "verify_mfa")]
    pub async fn execute(&self, request: VerifyMfaRequest) -> Result<MfaLogin, VerifyMfaError> {
        let code = request.code;
        self.complete(&request.token, request.client, async |_, user, now| {
            let right = self.check_code(user, &code, now).await?;
            Ok(right.then_some(AuthMethod::Otp))
        })
        .await
    }

    /// The second step around `check`, whichever factor it checks: the login's token and
    /// account, the lockout's reservation, the token spent and the session started when
    /// `check` answers the second factor's method (its `amr` is then the password, that method
    /// and `mfa`), a failure counted when it answers `None`.
    pub(super) async fn complete(
        &self,
        token: &OpaqueToken,
        client: ClientContext,
        check: impl AsyncFnOnce(
            &AccountTokenRecord,
            &User,
            OffsetDateTime,
        ) -> Result<Option<AuthMethod>, VerifyMfaError>,
    ) -> Result<MfaLogin, VerifyMfaError> {
        let now = self.clock.now();
        let (record, first_factor, user) = self.pending_login(token, now).await?;
        if user.disabled {
            return Err(VerifyMfaError::AccountDisabled);
        }
        let key = LoginKey {
            email: user.email.clone(),
            client: ClientKey::of(client.ip),
        };
        match reserve_attempt(&*self.users, now, self.lockout, &key).await? {
            Reserved::Allowed => {}
            Reserved::Busy => return Err(VerifyMfaError::Busy),
            Reserved::Locked { retry_after } => {
                return Err(VerifyMfaError::AccountLocked { retry_after });
            }
        }
        let checked = match check(&record, &user, now).await {
            Ok(Some(method)) => self.spend_token(&record, now).await.map(|()| Some(method)),
            other => other,
        };
        match checked {
            Ok(Some(method)) => {
                self.users.record_login_success(&key).await?;
                let amr = [first_factor, method, AuthMethod::Mfa];
                let tokens = self
                    .starter
                    .start(&user, client, &amr, record.provider.as_ref())
                    .await?;
                Ok(MfaLogin { user, tokens })
            }
            Ok(None) => {
                let event = Event::new(
                    EventData::LoginFailed {
                        email: user.email.as_str().to_owned(),
                        reason: LoginFailure::WrongMfaCode,
                        ip: client.ip.map(|ip| ip.to_string()),
                    },
                    Some(user.id),
                    now,
                );
                self.users
                    .record_login_failure(&key, now, self.lockout, &event)
                    .await?;
                Err(VerifyMfaError::InvalidCode)
            }
            Err(error) => {
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

    /// The usable login token behind `token`, the method of the login's first step (a
    /// password, or a provider's sign-in, as the token's purpose says), and its account.
    pub(super) async fn pending_login(
        &self,
        token: &OpaqueToken,
        now: OffsetDateTime,
    ) -> Result<(AccountTokenRecord, AuthMethod, User), VerifyMfaError> {
        let digest = self.secrets.digest(token);
        let mut found = None;
        for (purpose, first_factor) in [
            (TokenPurpose::MfaLogin, AuthMethod::Pwd),
            (TokenPurpose::FederatedMfaLogin, AuthMethod::Fed),
        ] {
            if let Some(record) = self.account_tokens.find(purpose, &digest).await? {
                found = Some((record, first_factor));
                break;
            }
        }
        let (record, first_factor) = found
            .filter(|(record, _)| record.is_usable(now))
            .ok_or(VerifyMfaError::InvalidToken)?;
        let user = self
            .users
            .find_by_id(record.user_id)
            .await?
            .ok_or(VerifyMfaError::InvalidToken)?;
        Ok((record, first_factor, user))
    }

    /// Spends the login's token once its code is right. Losing the race to a request that
    /// presented the same token with another right code is not a wrong code: that login is
    /// complete, this one is not, and nothing is counted.
    async fn spend_token(
        &self,
        record: &AccountTokenRecord,
        now: OffsetDateTime,
    ) -> Result<(), VerifyMfaError> {
        if self.account_tokens.spend(record.id, now).await? {
            Ok(())
        } else {
            Err(VerifyMfaError::InvalidToken)
        }
    }

    /// Whether `code` is right for `user` now: a fresh code of an active TOTP factor (its step
    /// then spent), or an unused recovery code (then used).
    async fn check_code(
        &self,
        user: &User,
        code: &MfaCode,
        now: OffsetDateTime,
    ) -> Result<bool, VerifyMfaError> {
        match code {
            MfaCode::Totp(code) => {
                for factor in self.factors.list(user.id).await? {
                    if factor.kind != FactorKind::Totp || !factor.is_active() {
                        continue;
                    }
                    let secret = self.secret_box.open(&factor.credential, factor.id)?;
                    if let Some(step) = self.totp.check(&secret, code, now) {
                        return Ok(self.factors.spend_step(factor.id, step, now).await?);
                    }
                }
                Ok(false)
            }
            MfaCode::Recovery(code) => {
                let event = Event::new(
                    EventData::RecoveryCodeUsed {
                        email: user.email.as_str().to_owned(),
                    },
                    Some(user.id),
                    now,
                );
                let digest = self.secret_box.digest(code);
                Ok(self
                    .factors
                    .use_recovery_code(user.id, &digest, now, &event)
                    .await?)
            }
        }
    }
}

#[cfg(test)]
#[path = "mfa_verify_tests.rs"]
mod tests;
