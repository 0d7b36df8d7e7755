//! The audit log: an [`EventHandler`] that records every delivered event in `audit_log`. The
//! event id is the primary key and a conflicting insert does nothing, so a redelivered event is
//! recorded once and its second delivery still succeeds, as at-least-once delivery requires.

use async_trait::async_trait;
use postern_core::Result;
use postern_core::domain::Event;
use postern_core::ports::EventHandler;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use time::OffsetDateTime;

use super::entities::audit_log;
use super::error::db_error;
use super::timestamps::stored;

/// Records events in the `audit_log` table, once per event id.
#[derive(Clone)]
pub struct AuditLogHandler {
    db: DatabaseConnection,
}

impl AuditLogHandler {
    /// A handler writing to `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl EventHandler for AuditLogHandler {
    fn name(&self) -> &'static str {
        "audit"
    }

    async fn handle(&self, event: &Event) -> Result<()> {
        let payload = serde_json::to_value(event).map_err(postern_core::Error::unexpected)?;
        let row = audit_log::ActiveModel {
            id: Set(event.id),
            event_type: Set(event.data.type_name().to_owned()),
            user_id: Set(event.user_id),
            occurred_at: Set(stored(event.occurred_at)),
            payload: Set(payload),
            recorded_at: Set(stored(OffsetDateTime::now_utc())),
        };
        audit_log::Entity::insert(row)
            .on_conflict_do_nothing()
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
