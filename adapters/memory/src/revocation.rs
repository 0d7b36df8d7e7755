//! The revocation list in this process's memory: sessions whose access tokens must be refused
//! before they expire (docs/http-api.md §3 logout).
//!
//! Each entry lives exactly until its own `until`, the expiry of the newest token the session
//! could hold; after that the token is refused as expired anyway. The list has no size bound on
//! purpose: evicting a live entry would let a logged-out token back in, and time already bounds
//! it to the sessions ended within one access-token lifetime. Time comes from the [`Clock`]
//! port, the same one the use cases compute `until` with.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::future::Cache;
use postern_core::domain::SessionId;
use postern_core::ports::PortResult;
use postern_core::ports::{Clock, RevocationList};
use time::OffsetDateTime;

/// Revoked sessions, each remembered until its own deadline.
#[derive(Clone)]
pub struct MemoryRevocationList {
    revoked: Cache<SessionId, OffsetDateTime>,
    clock: Arc<dyn Clock>,
}

impl MemoryRevocationList {
    /// An empty list that reads the time from `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let expiry = UntilDeadline {
            clock: Arc::clone(&clock),
        };
        Self {
            revoked: Cache::builder().expire_after(expiry).build(),
            clock,
        }
    }
}

#[async_trait]
impl RevocationList for MemoryRevocationList {
    async fn revoke(&self, sessions: &[SessionId], until: OffsetDateTime) -> PortResult<()> {
        if until <= self.clock.now() {
            return Ok(());
        }
        for session in sessions {
            // A second revocation must never shorten the first one.
            self.revoked
                .entry(*session)
                .and_upsert_with(|existing| async move {
                    existing.map_or(until, |entry| entry.into_value().max(until))
                })
                .await;
        }
        Ok(())
    }

    async fn is_revoked(&self, session: SessionId) -> PortResult<bool> {
        let until = self.revoked.get(&session).await;
        Ok(until.is_some_and(|until| until > self.clock.now()))
    }
}

/// Tells moka to drop each entry at its own deadline, so that memory follows the deadlines.
struct UntilDeadline {
    clock: Arc<dyn Clock>,
}

impl UntilDeadline {
    fn time_left(&self, until: OffsetDateTime) -> Duration {
        Duration::try_from(until - self.clock.now()).unwrap_or(Duration::ZERO)
    }
}

impl Expiry<SessionId, OffsetDateTime> for UntilDeadline {
    fn expire_after_create(
        &self,
        _session: &SessionId,
        until: &OffsetDateTime,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(self.time_left(*until))
    }

    fn expire_after_update(
        &self,
        _session: &SessionId,
        until: &OffsetDateTime,
        _updated_at: Instant,
        _time_left: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.time_left(*until))
    }
}

#[cfg(test)]
mod tests {
    use postern_contract::ManualClock;
    use postern_contract::fixtures::T0;
    use postern_core::ports::SystemClock;

    use super::*;

    async fn on_system_time() -> MemoryRevocationList {
        MemoryRevocationList::new(Arc::new(SystemClock))
    }

    postern_contract::revocation_list_contract!(on_system_time);

    #[tokio::test]
    async fn deadlines_are_read_on_the_clock_the_list_was_given() {
        let clock = ManualClock::at(T0);
        let list = MemoryRevocationList::new(clock.clone());
        let session = SessionId::generate();

        list.revoke(&[session], T0 + time::Duration::minutes(15))
            .await
            .unwrap();
        let before = list.is_revoked(session).await.unwrap();
        clock.advance(time::Duration::minutes(15));
        let at_deadline = list.is_revoked(session).await.unwrap();

        assert!(before);
        assert!(!at_deadline);
    }

    #[tokio::test]
    async fn an_entry_leaves_memory_at_its_deadline() {
        let list = MemoryRevocationList::new(Arc::new(SystemClock));
        let session = SessionId::generate();
        let until = OffsetDateTime::now_utc() + time::Duration::milliseconds(100);

        list.revoke(&[session], until).await.unwrap();
        let stored = list.revoked.get(&session).await;
        tokio::time::sleep(Duration::from_millis(300)).await;

        assert_eq!(stored, Some(until));
        assert_eq!(list.revoked.get(&session).await, None);
    }
}
