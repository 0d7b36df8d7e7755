//! [`AuditTrail`] on SeaORM: reads `audit_log`, newest first, by keyset on
//! `(occurred_at, id)` so that records delivered while an admin pages through shift nothing.

use async_trait::async_trait;
use postern_core::domain::{AuditQuery, AuditRecord, EventId, UserId};
use postern_core::ports::AuditTrail;
use postern_core::ports::PortResult;
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entities::audit_log;
use super::error::db_error;
use super::page::after_key;
use super::timestamps::in_time_order;

/// Reads the `audit_log` table that [`super::AuditLogHandler`] writes.
#[derive(Clone)]
pub struct SeaAuditTrail {
    db: DatabaseConnection,
}

impl SeaAuditTrail {
    /// A reader of `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AuditTrail for SeaAuditTrail {
    async fn list(&self, query: &AuditQuery) -> PortResult<Vec<AuditRecord>> {
        let backend = self.db.get_database_backend();
        let mut select = audit_log::Entity::find();
        if let Some(user) = query.user {
            select = select.filter(audit_log::Column::UserId.eq(user.as_uuid()));
        }
        if let Some(event_type) = &query.event_type {
            select = select.filter(audit_log::Column::EventType.eq(event_type.as_str()));
        }
        if let Some(key) = query.page.after {
            select = select.filter(after_key(
                backend,
                audit_log::Column::OccurredAt,
                audit_log::Column::Id,
                key,
            ));
        }
        let rows = select
            .order_by(
                in_time_order(backend, Expr::col(audit_log::Column::OccurredAt)),
                Order::Desc,
            )
            .order_by(audit_log::Column::Id, Order::Desc)
            .limit(u64::from(query.page.limit.get()) + 1)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|row| AuditRecord {
                id: EventId::from_uuid(row.id),
                event_type: row.event_type,
                user_id: row.user_id.map(UserId::from_uuid),
                occurred_at: row.occurred_at,
                event_json: row.payload.to_string(),
            })
            .collect())
    }
}
