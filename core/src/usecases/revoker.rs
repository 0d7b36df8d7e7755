//! What every way of ending sessions shares (logout, logout-all, revoking one session from the
//! list, a password change ending the other sessions, an access change): the ports it takes, and
//! rejecting the ended sessions' access tokens at once.

use std::sync::Arc;

use time::OffsetDateTime;
use tracing::warn;

use super::Ports;
use super::profile::cache_profile;
use crate::domain::{SessionId, SessionPolicy, User, UserId};
use crate::ports::{Clock, PortResult, ProfileCache, RevocationList, SessionRepo};

/// Revoking, listing the revoked, dropping or refreshing the cached profile.
pub(super) struct Revoker {
    pub(super) sessions: Arc<dyn SessionRepo>,
    revocations: Arc<dyn RevocationList>,
    cache: Arc<dyn ProfileCache>,
    pub(super) clock: Arc<dyn Clock>,
    policy: SessionPolicy,
}

impl Revoker {
    /// The revoker of `ports`; revocations last `policy`'s
    /// [`SessionPolicy::revocation_lifetime`].
    pub(super) fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            sessions: ports.sessions.clone(),
            revocations: ports.revocations.clone(),
            cache: ports.cache.clone(),
            clock: ports.clock.clone(),
            policy,
        }
    }

    /// Rejects the sessions' access tokens for as long as any of them can still be valid, and
    /// drops the user's cached profile.
    pub(super) async fn reject_access_tokens(
        &self,
        user: UserId,
        sessions: &[SessionId],
        now: OffsetDateTime,
    ) -> PortResult<()> {
        self.revoke(sessions, now).await?;
        if let Err(error) = self.cache.invalidate(user).await {
            warn!(user_id = %user, error = &error as &dyn std::error::Error, "could not drop the cached profile");
        }
        Ok(())
    }

    /// Rejects the sessions' access tokens like [`Self::reject_access_tokens`], and caches
    /// `user`, the account as a change just stored it, in place of any older cached copy.
    pub(super) async fn reject_access_tokens_and_recache(
        &self,
        user: &User,
        sessions: &[SessionId],
        now: OffsetDateTime,
    ) -> PortResult<()> {
        self.revoke(sessions, now).await?;
        cache_profile(&*self.cache, user).await;
        Ok(())
    }

    async fn revoke(&self, sessions: &[SessionId], now: OffsetDateTime) -> PortResult<()> {
        if sessions.is_empty() {
            return Ok(());
        }
        self.revocations
            .revoke(sessions, now + self.policy.revocation_lifetime())
            .await
    }
}
