//! The audit log in memory: the store records delivered events as an [`EventHandler`] named
//! `audit`, once per event id like `postern-db`'s `AuditLogHandler`, and reads them back as the
//! [`AuditTrail`]; and it remembers which handler handled which event ([`HandledEvents`]).

use async_trait::async_trait;
use postern_core::domain::{AuditQuery, AuditRecord, Event, EventId, UserId};
use postern_core::ports::{AuditTrail, EventHandler, HandledEvents};
use postern_core::ports::{PortError, PortResult};

use super::{MemoryStore, after_key, newest_first};

#[async_trait]
impl EventHandler for MemoryStore {
    fn name(&self) -> &'static str {
        "audit"
    }

    /// A deletion notice is recorded without its address: the account it went to is erased.
    async fn handle(&self, event: &Event) -> PortResult<()> {
        let mut event = event.clone();
        if event.data.keeps_address_until_delivered() {
            event.data.erase_personal_data();
        }
        let event_json = serde_json::to_string(&event).map_err(PortError::unexpected)?;
        let record = AuditRecord {
            id: event.event_id(),
            event_type: event.data.type_name().to_owned(),
            user_id: event.user_id.map(UserId::from_uuid),
            occurred_at: event.occurred_at,
            event_json,
        };
        self.lock().audit.entry(record.id).or_insert(record);
        Ok(())
    }
}

#[async_trait]
impl AuditTrail for MemoryStore {
    async fn list(&self, query: &AuditQuery) -> PortResult<Vec<AuditRecord>> {
        let tables = self.lock();
        let matching = tables
            .audit
            .values()
            .filter(|record| query.user.is_none_or(|user| record.user_id == Some(user)))
            .filter(|record| {
                query
                    .event_type
                    .as_ref()
                    .is_none_or(|event_type| &record.event_type == event_type)
            })
            .filter(|record| after_key(record.occurred_at, record.id.as_uuid(), query.page.after))
            .cloned()
            .collect();
        Ok(newest_first(matching, query.page.limit, |record| {
            (record.occurred_at, record.id.as_uuid())
        }))
    }
}

#[async_trait]
impl HandledEvents for MemoryStore {
    async fn was_handled(&self, handler: &str, event: EventId) -> PortResult<bool> {
        Ok(self
            .lock()
            .handled
            .contains_key(&(handler.to_owned(), event)))
    }

    async fn record_handled(&self, handler: &str, event: EventId) -> PortResult<()> {
        let now = self.now();
        self.lock()
            .handled
            .entry((handler.to_owned(), event))
            .or_insert(now);
        Ok(())
    }
}
