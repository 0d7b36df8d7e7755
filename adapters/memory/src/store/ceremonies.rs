//! [`CeremonyStates`] in memory: taking a ceremony removes it under the store's lock, so it is
//! found once.

use async_trait::async_trait;
use postern_core::ports::{CeremonyPurpose, CeremonyStates, PendingCeremony, PortResult};
use time::OffsetDateTime;
use uuid::Uuid;

use super::MemoryStore;

#[async_trait]
impl CeremonyStates for MemoryStore {
    async fn put(&self, ceremony: &PendingCeremony, now: OffsetDateTime) -> PortResult<()> {
        let mut tables = self.lock();
        tables.ceremonies.retain(|_, kept| kept.expires_at >= now);
        tables.ceremonies.insert(ceremony.id, ceremony.clone());
        Ok(())
    }

    async fn take(
        &self,
        id: Uuid,
        purpose: CeremonyPurpose,
        now: OffsetDateTime,
    ) -> PortResult<Option<PendingCeremony>> {
        let taken = self.lock().ceremonies.remove(&id);
        Ok(taken.filter(|ceremony| ceremony.purpose == purpose && ceremony.expires_at >= now))
    }
}
