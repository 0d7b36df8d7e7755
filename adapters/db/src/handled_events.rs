//! [`HandledEvents`] in the `handled_events` table: one row per handler and event, so that a
//! redelivered event is recognised by any worker process, not only the one that handled it.

use async_trait::async_trait;
use postern_core::domain::EventId;
use postern_core::ports::HandledEvents;
use postern_core::ports::PortResult;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use time::OffsetDateTime;

use super::entities::handled_events;
use super::error::db_error;
use super::timestamps::stored;

/// The handled-events record on `db`, which must be migrated.
#[derive(Clone)]
pub struct SeaHandledEvents {
    db: DatabaseConnection,
}

impl SeaHandledEvents {
    /// A record on `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl HandledEvents for SeaHandledEvents {
    async fn was_handled(&self, handler: &str, event: EventId) -> PortResult<bool> {
        let row = handled_events::Entity::find_by_id((handler.to_owned(), event.as_uuid()))
            .one(&self.db)
            .await
            .map_err(db_error)?;
        Ok(row.is_some())
    }

    async fn record_handled(&self, handler: &str, event: EventId) -> PortResult<()> {
        let row = handled_events::ActiveModel {
            handler: Set(handler.to_owned()),
            event_id: Set(event.as_uuid()),
            handled_at: Set(stored(OffsetDateTime::now_utc())),
        };
        handled_events::Entity::insert(row)
            .on_conflict_do_nothing()
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
