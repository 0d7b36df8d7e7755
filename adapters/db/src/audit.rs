//! The audit log: an [`EventHandler`] that records every delivered event in `audit_log`, a batch
//! of events in one statement. The event id is the primary key and a conflicting insert does
//! nothing, so a redelivered event is recorded once and its second delivery still succeeds, as
//! at-least-once delivery requires.

use async_trait::async_trait;
use postern_core::domain::Event;
use postern_core::ports::EventHandler;
use postern_core::ports::PortResult;
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

/// Rows per insert statement: well below the bind-parameter limits of PostgreSQL (65,535) and
/// SQLite (32,766) at six columns a row.
const ROWS_PER_INSERT: usize = 1_000;

#[async_trait]
impl EventHandler for AuditLogHandler {
    fn name(&self) -> &'static str {
        "audit"
    }

    async fn handle(&self, event: &Event) -> PortResult<()> {
        self.handle_batch(std::slice::from_ref(event)).await
    }

    /// One multi-row insert per batch: a commit per event would bound the pipeline by the
    /// database's commit latency.
    async fn handle_batch(&self, events: &[Event]) -> PortResult<()> {
        let recorded_at = stored(OffsetDateTime::now_utc());
        for chunk in events.chunks(ROWS_PER_INSERT) {
            let rows = chunk
                .iter()
                .map(|event| row(event, recorded_at))
                .collect::<PortResult<Vec<_>>>()?;
            audit_log::Entity::insert_many(rows)
                .on_conflict_do_nothing_on([audit_log::Column::Id])
                .exec_without_returning(&self.db)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }
}

/// The row recording `event`. A deletion notice is recorded without its address: the account
/// it went to is erased (docs/adr/0016).
fn row(event: &Event, recorded_at: OffsetDateTime) -> PortResult<audit_log::ActiveModel> {
    let mut recorded = event.clone();
    if recorded.data.keeps_address_until_delivered() {
        recorded.data.erase_personal_data();
    }
    let payload =
        serde_json::to_value(&recorded).map_err(postern_core::ports::PortError::unexpected)?;
    Ok(audit_log::ActiveModel {
        id: Set(event.id),
        event_type: Set(event.data.type_name().to_owned()),
        user_id: Set(event.user_id),
        occurred_at: Set(stored(event.occurred_at)),
        payload: Set(payload),
        recorded_at: Set(recorded_at),
    })
}
