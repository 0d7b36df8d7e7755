//! What a login's last step does, whichever step it is (the password, or a second factor after
//! it): reserve the attempt against the lockout, and start the session with its first tokens.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::Ports;
use super::tokens::TokenMinter;
use crate::domain::{
    AuthMethod, ClientContext, Event, EventData, LockoutPolicy, LoginAttempt, LoginKey, NewSession,
    SessionId, SessionPolicy, TokenPair, User,
};
use crate::ports::{Clock, PortResult, SessionRepo, UserRepo};

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

    /// Starts a session of `user` for `client`, whose login authenticated by `amr`, with its
    /// `user.logged_in` event.
    pub(super) async fn start(
        &self,
        user: &User,
        client: ClientContext,
        amr: &[AuthMethod],
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
            },
            Some(user.id),
            now,
        );
        self.sessions.start(&session, &event).await?;
        self.minter.pair(user, session.id, amr, refresh_token, now)
    }
}
