//! Keeps the revocation list in step with the session table, the record of every revoked
//! session. At start an in-process list is empty and must be loaded; a shared one in Redis can
//! lose keys while the service runs (`FLUSHDB`, a failover to an empty replica, an operator's
//! mistake), which would let logged-out tokens work again. So a server loads the sessions
//! revoked within one revocation lifetime before it serves, and loads them again every
//! [`RESEED_INTERVAL`]; revoking again is idempotent and never shortens a deadline.

use std::sync::Arc;
use std::time::Duration;

use postern_core::ports::{Clock, RevocationList, SessionRepo};
use tokio::sync::watch;
use tracing::{debug, warn};

/// How often a server re-seeds the revocation list: how long a lost revocation can stay lost.
pub const RESEED_INTERVAL: Duration = Duration::from_secs(30);

/// Loads recently revoked sessions from storage into the revocation list.
#[derive(Clone)]
pub struct RevocationSeeder {
    sessions: Arc<dyn SessionRepo>,
    revocations: Arc<dyn RevocationList>,
    clock: Arc<dyn Clock>,
    /// How long a revocation lasts, and so how far back the revoked sessions that still matter
    /// go.
    lifetime: time::Duration,
}

impl RevocationSeeder {
    /// A seeder from `sessions` into `revocations`, for revocations that last `lifetime`.
    pub fn new(
        sessions: Arc<dyn SessionRepo>,
        revocations: Arc<dyn RevocationList>,
        clock: Arc<dyn Clock>,
        lifetime: time::Duration,
    ) -> Self {
        Self {
            sessions,
            revocations,
            clock,
            lifetime,
        }
    }

    /// Revokes, until `now + lifetime`, every session revoked within the last `lifetime`, and
    /// returns how many.
    ///
    /// # Errors
    /// When the sessions cannot be read or the revocation list written.
    pub async fn seed(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let revoked = self.sessions.revoked_since(now - self.lifetime).await?;
        if !revoked.is_empty() {
            self.revocations
                .revoke(&revoked, now + self.lifetime)
                .await?;
        }
        Ok(revoked.len())
    }

    /// Seeds every `interval` until `stopped` turns true; a failed round is logged and the next
    /// one tries again.
    pub async fn reseed_until_stopped(
        self,
        interval: Duration,
        mut stopped: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(interval) => {}
            }
            match self.seed().await {
                Ok(0) => {}
                Ok(sessions) => debug!(sessions, "re-seeded the revocation list"),
                Err(error) => warn!(
                    error = %format!("{error:#}"),
                    "re-seeding the revocation list failed"
                ),
            }
        }
    }
}
