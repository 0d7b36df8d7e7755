//! What a login's last step does, whichever step it is (the password, a provider's sign-in, or
//! a second factor after either): reserve the attempt against the lockout, ask for the second
//! factor an account has, and start the session with its first tokens.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::Ports;
use super::login::MfaChallenge;
use super::tokens::TokenMinter;
use crate::domain::{
    AuthMethod, ClientContext, Event, EventData, FactorKind, LockoutPolicy, LoginAttempt, LoginKey,
    NewAccountToken, NewSession, SessionId, SessionPolicy, TokenPair, TokenPurpose, User, UserId,
};
use crate::ports::{
    AccountTokens, Clock, MfaFactors, OpaqueTokens, PortResult, ProviderName, SessionRepo, UserRepo,
};

/// What reserving a login attempt found.
pub(super) enum Reserved {
    /// The attempt holds a slot: its outcome must be recorded or abandoned.
    Allowed,
    /// Every slot is held by attempts in flight.
    Busy,
    /// The email is locked for this client for `retry_after`.
    Locked { retry_after: Duration },
}

/// Reserves an attempt for `key` at `now` under `lockout`.
///
/// A lock runs from the failure that set it, which can come after `now` when this attempt
/// raced it (or on an instance whose clock is ahead); the wait announced is never longer than
/// the policy's.
pub(super) async fn reserve_attempt(
    users: &dyn UserRepo,
    now: OffsetDateTime,
    lockout: LockoutPolicy,
    key: &LoginKey,
) -> PortResult<Reserved> {
    Ok(match users.begin_login_attempt(key, now, lockout).await? {
        LoginAttempt::Allowed { .. } => Reserved::Allowed,
        LoginAttempt::Busy => Reserved::Busy,
        LoginAttempt::Locked { until } => Reserved::Locked {
            retry_after: (until - now).min(lockout.lock_for),
        },
    })
}

/// Starts sessions and mints their first token pair.
pub(super) struct SessionStarter {
    sessions: Arc<dyn SessionRepo>,
    clock: Arc<dyn Clock>,
    minter: TokenMinter,
}

impl SessionStarter {
    pub(super) fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            sessions: ports.sessions.clone(),
            clock: ports.clock.clone(),
            minter: TokenMinter::new(ports.tokens.clone(), ports.secrets.clone(), policy),
        }
    }

    /// Starts a session of `user` for `client`, whose login authenticated by `amr` (through
    /// `provider`, when an external one vouched for the user), with its `user.logged_in` event.
    pub(super) async fn start(
        &self,
        user: &User,
        client: ClientContext,
        amr: &[AuthMethod],
        provider: Option<&ProviderName>,
    ) -> PortResult<TokenPair> {
        let now = self.clock.now();
        let (refresh_token, refresh_record) = self.minter.refresh_token(now);
        let session = NewSession {
            id: SessionId::generate(),
            user_id: user.id,
            client,
            created_at: now,
            refresh_token: refresh_record,
            amr: amr.to_vec(),
        };
        let event = Event::new(
            EventData::LoggedIn {
                session_id: session.id,
                ip: session.client.ip.map(|ip| ip.to_string()),
                user_agent: session.client.user_agent.clone(),
                provider: provider.map(ToString::to_string),
            },
            Some(user.id),
            now,
        );
        self.sessions.start(&session, &event).await?;
        self.minter.pair(user, session.id, amr, refresh_token, now)
    }
}

/// Asks for the second factor of an account that has one: which kinds it has, and the
/// single-use token that completes its login with a code.
pub(super) struct SecondSteps {
    factors: Arc<dyn MfaFactors>,
    account_tokens: Arc<dyn AccountTokens>,
    secrets: Arc<dyn OpaqueTokens>,
    clock: Arc<dyn Clock>,
}

impl SecondSteps {
    pub(super) fn new(ports: &Ports) -> Self {
        Self {
            factors: ports.factors.clone(),
            account_tokens: ports.account_tokens.clone(),
            secrets: ports.secrets.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// The kinds of `user`'s active factors, each once; empty when a login needs no second
    /// step.
    pub(super) async fn active_kinds(&self, user: UserId) -> PortResult<Vec<FactorKind>> {
        let mut kinds: Vec<FactorKind> = Vec::new();
        for factor in self.factors.list(user).await? {
            if factor.is_active() && !kinds.contains(&factor.kind) {
                kinds.push(factor.kind);
            }
        }
        Ok(kinds)
    }

    /// Issues the single-use token that completes `user`'s login with a code: a password
    /// login's, or, given the `provider` of the first step, a provider sign-in's, which keeps
    /// the provider for the login's event.
    pub(super) async fn challenge(
        &self,
        user: UserId,
        factors: Vec<FactorKind>,
        provider: Option<&ProviderName>,
    ) -> PortResult<MfaChallenge> {
        let token = self.secrets.generate();
        let (digest, now) = (self.secrets.digest(&token), self.clock.now());
        let record = match provider {
            Some(provider) => {
                NewAccountToken::federated_mfa_login(user, provider.clone(), digest, now)
            }
            None => NewAccountToken::new(user, TokenPurpose::MfaLogin, digest, now),
        };
        self.account_tokens.issue(&record).await?;
        Ok(MfaChallenge {
            token,
            factors,
            expires_in: record.purpose.lifetime(),
        })
    }
}
