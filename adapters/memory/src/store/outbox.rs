//! [`Outbox`] in memory: claims are leases, failures back off as in `postern-db`'s `SeaOutbox`
//! and dead-letter after the last allowed attempt. Events are kept as values, so none is ever
//! unreadable.

use async_trait::async_trait;
use postern_core::domain::{Event, EventId};
use postern_core::ports::Outbox;
use postern_core::ports::PortResult;
use postern_core::ports::retry::{backoff, truncated};

use super::MemoryStore;

#[async_trait]
impl Outbox for MemoryStore {
    async fn append(&self, event: &Event) -> PortResult<()> {
        self.lock().write_event(event);
        Ok(())
    }

    async fn claim(&self, limit: u64) -> PortResult<Vec<Event>> {
        let now = self.now();
        let mut tables = self.lock();
        let mut due: Vec<_> = tables
            .outbox
            .iter_mut()
            .filter(|row| {
                row.published_at.is_none()
                    && row.dead_lettered_at.is_none()
                    && row.next_attempt_at <= now
            })
            .collect();
        due.sort_by_key(|row| (row.event.occurred_at, row.event.id));
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(due
            .into_iter()
            .take(limit)
            .map(|row| {
                row.next_attempt_at = now + self.lease;
                row.event.clone()
            })
            .collect())
    }

    async fn release(&self, ids: &[EventId]) -> PortResult<()> {
        let now = self.now();
        for row in &mut self.lock().outbox {
            if ids.contains(&row.event.event_id())
                && row.published_at.is_none()
                && row.dead_lettered_at.is_none()
            {
                row.next_attempt_at = now;
            }
        }
        Ok(())
    }

    async fn mark_published(&self, ids: &[EventId]) -> PortResult<()> {
        let now = self.now();
        for row in &mut self.lock().outbox {
            if ids.contains(&row.event.event_id()) && row.published_at.is_none() {
                row.published_at = Some(now);
                if row.event.data.keeps_address_until_delivered() {
                    row.event.data.erase_personal_data();
                }
            }
        }
        Ok(())
    }

    async fn record_failure(&self, id: EventId, reason: &str) -> PortResult<()> {
        let now = self.now();
        let mut tables = self.lock();
        let Some(row) = tables
            .outbox
            .iter_mut()
            .find(|row| row.event.event_id() == id && row.dead_lettered_at.is_none())
        else {
            return Ok(());
        };
        row.attempts += 1;
        row.last_error = Some(truncated(reason));
        let attempts = i32::try_from(row.attempts).unwrap_or(i32::MAX);
        row.next_attempt_at = now + backoff(attempts);
        if row.attempts >= self.max_attempts {
            row.dead_lettered_at = Some(now);
        }
        Ok(())
    }
}
