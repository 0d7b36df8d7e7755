//! Re-authentication of a signed-in user by the current password, shared by every request that
//! asks for it (password change, email change, account deletion), so that all of them draw on
//! one quota of wrong guesses.
//!
//! A wrong current password does not count toward the login lockout: the caller already holds
//! a valid access token, and the account's password is only the second factor of the request,
//! so a lockout here would let a stolen token lock its owner out of logging in. Guessing is
//! bounded instead by whoever holds the token: wrong guesses are counted per session in the
//! [`RateLimitBucket::PasswordChangeGuess`] bucket, whichever of these requests made them, and
//! the guess that spends its quota ends the calling session, so that a stolen token buys a few
//! guesses, not an oracle. (The HTTP layer also limits these requests per user, across
//! sessions.)

use std::sync::Arc;

use super::Ports;
use super::revoker::Revoker;
use crate::domain::{AccessClaims, Event, EventData, Password, SessionPolicy, UserCredentials};
use crate::ports::{
    PasswordCheck, PasswordHasher, PortError, PortResult, RateLimitBucket, RateLimiter, UserRepo,
};

/// Why the caller was not re-authenticated.
#[derive(Debug)]
pub(super) enum ReauthError {
    /// The password given as the current one is wrong.
    WrongPassword,
    /// It is wrong, and it was the calling session's last allowed guess: the session has been
    /// ended.
    SessionEnded,
    /// The caller's account no longer exists.
    NotFound,
    /// A port failed.
    Port(PortError),
}

impl From<PortError> for ReauthError {
    fn from(error: PortError) -> Self {
        Self::Port(error)
    }
}

/// Checks a signed-in caller's current password.
pub(super) struct Reauthentication {
    users: Arc<dyn UserRepo>,
    hasher: Arc<dyn PasswordHasher>,
    limiter: Arc<dyn RateLimiter>,
    pub(super) revoker: Revoker,
}

impl Reauthentication {
    /// Built from `ports`; a session ended for too many wrong guesses has its access tokens
    /// rejected for as long as `policy` lets them live.
    pub(super) fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            users: ports.users.clone(),
            hasher: ports.hasher.clone(),
            limiter: ports.rate_limiter.clone(),
            revoker: Revoker::new(ports, policy),
        }
    }

    /// The caller's account and stored hash, once `current` is proved its password.
    ///
    /// # Errors
    /// [`ReauthError::NotFound`] when the account is gone; [`ReauthError::WrongPassword`] or
    /// [`ReauthError::SessionEnded`] when the password is wrong (see the module's doc).
    pub(super) async fn check(
        &self,
        caller: &AccessClaims,
        current: &Password,
    ) -> Result<UserCredentials, ReauthError> {
        let credentials = self
            .users
            .find_credentials_by_id(caller.user_id)
            .await?
            .ok_or(ReauthError::NotFound)?;
        // An account without a password (created through a provider) has none to prove: any
        // password presented is wrong, and its empty hash is not for the hasher to read.
        let matches = !credentials.password_hash.is_empty()
            && self
                .hasher
                .verify(current, &credentials.password_hash)
                .await?
                != PasswordCheck::Mismatch;
        if !matches {
            return Err(self.count_wrong_guess(caller).await);
        }
        Ok(credentials)
    }

    /// Counts a wrong current password against the calling session and, when it spends the
    /// session's quota (or the quota was spent already), ends the session like a logout.
    /// Without a quota (the bucket switched off) nothing is counted and no session ends.
    async fn count_wrong_guess(&self, caller: &AccessClaims) -> ReauthError {
        let key = caller.session_id.to_string();
        let counted = self
            .limiter
            .check(RateLimitBucket::PasswordChangeGuess, &key)
            .await;
        match counted {
            Ok(Some(decision)) if decision.remaining == 0 => match self.end_session(caller).await {
                Ok(()) => ReauthError::SessionEnded,
                Err(error) => error.into(),
            },
            Ok(_) => ReauthError::WrongPassword,
            Err(error) => error.into(),
        }
    }

    /// Revokes the calling session and rejects its access tokens at once.
    async fn end_session(&self, caller: &AccessClaims) -> PortResult<()> {
        let r = &self.revoker;
        let now = r.clock.now();
        let event = Event::new(
            EventData::LoggedOut {
                session_ids: vec![caller.session_id],
                all_sessions: false,
            },
            Some(caller.user_id),
            now,
        );
        r.sessions
            .revoke(caller.user_id, caller.session_id, now, &event)
            .await?;
        r.reject_access_tokens(caller.user_id, &[caller.session_id], now)
            .await
    }
}
