//! The revocation list in this process's memory: sessions whose access tokens must be refused
//! before they expire (§3 logout).
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
    use std::sync::Mutex;

    use time::macros::datetime;

    use super::*;
    use postern_core::ports::SystemClock;

    /// A clock the test moves by hand.
    struct ManualClock(Mutex<OffsetDateTime>);

    impl ManualClock {
        fn advance(&self, by: time::Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> OffsetDateTime {
            *self.0.lock().unwrap()
        }
    }

    const START: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);

    fn manual_list() -> (MemoryRevocationList, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock(Mutex::new(START)));
        (MemoryRevocationList::new(clock.clone()), clock)
    }

    #[tokio::test]
    async fn a_revoked_session_stays_revoked_until_its_deadline() {
        let (list, clock) = manual_list();
        let (revoked, other) = (SessionId::generate(), SessionId::generate());

        list.revoke(&[revoked], START + time::Duration::minutes(15))
            .await
            .unwrap();
        let before = list.is_revoked(revoked).await.unwrap();
        clock.advance(time::Duration::minutes(15));
        let at_deadline = list.is_revoked(revoked).await.unwrap();

        assert!(before);
        assert!(!at_deadline);
        assert!(!list.is_revoked(other).await.unwrap());
    }

    #[tokio::test]
    async fn a_later_revocation_never_shortens_an_earlier_one() {
        let (list, clock) = manual_list();
        let session = SessionId::generate();

        list.revoke(&[session], START + time::Duration::minutes(15))
            .await
            .unwrap();
        list.revoke(&[session], START + time::Duration::minutes(1))
            .await
            .unwrap();
        clock.advance(time::Duration::minutes(5));

        assert!(list.is_revoked(session).await.unwrap());
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
