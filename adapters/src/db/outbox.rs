//! [`Outbox`] on SeaORM: the relay's side of the `outbox` table. Repositories write events in
//! their own transactions (see `tx::write_event`); this hands them out, oldest first, and
//! records what became of them.
//!
//! A failed event waits before its next attempt, twice as long after each failure (1 s, 2 s,
//! 4 s, … at most 5 min), so that a broken receiver is not hammered and does not hold back the
//! events behind it. "Now" comes from a [`Clock`], so tests can move time instead of sleeping.

use std::sync::Arc;

use async_trait::async_trait;
use postern_core::domain::{Event, EventId};
use postern_core::ports::{Clock, Outbox};
use postern_core::{Error, Result};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
};
use time::{Duration, OffsetDateTime};

use super::entities::outbox;
use super::error::db_error;
use super::timestamps::{in_time_order, stored};
use super::tx::{begin_write, commit, rollback, write_event};

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::minutes(5);
/// How much of a failure's description is kept.
const MAX_ERROR_CHARS: usize = 2000;

/// The system clock, for an outbox built without one.
struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// The transactional outbox in the `outbox` table.
#[derive(Clone)]
pub struct SeaOutbox {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
}

impl SeaOutbox {
    /// An outbox on `db`, which must be migrated, timed by the system clock.
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_clock(db, Arc::new(SystemClock))
    }

    /// An outbox on `db` that decides what is due by `clock`.
    pub fn with_clock(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    fn now(&self) -> OffsetDateTime {
        stored(self.clock.now())
    }
}

#[async_trait]
impl Outbox for SeaOutbox {
    async fn append(&self, event: &Event) -> Result<()> {
        write_event(&self.db, event).await
    }

    async fn pending(&self, limit: u64) -> Result<Vec<Event>> {
        let backend = self.db.get_database_backend();
        let due = in_time_order(backend, Expr::col(outbox::Column::NextAttemptAt))
            .lte(in_time_order(backend, Expr::value(self.now())));
        let rows = outbox::Entity::find()
            .filter(outbox::Column::PublishedAt.is_null())
            .filter(due)
            .order_by(
                in_time_order(backend, Expr::col(outbox::Column::OccurredAt)),
                Order::Asc,
            )
            .order_by(outbox::Column::Id, Order::Asc)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        rows.into_iter()
            .map(|row| serde_json::from_value(row.payload).map_err(Error::unexpected))
            .collect()
    }

    async fn mark_published(&self, ids: &[EventId]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        outbox::Entity::update_many()
            .col_expr(outbox::Column::PublishedAt, Expr::value(self.now()))
            .filter(outbox::Column::Id.is_in(ids.iter().map(EventId::as_uuid)))
            .filter(outbox::Column::PublishedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn record_failure(&self, id: EventId, reason: &str) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        // Incrementing in the database keeps concurrent failures from losing a count.
        let counted = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .col_expr(outbox::Column::LastError, Expr::value(truncated(reason)))
            .filter(outbox::Column::Id.eq(id.as_uuid()))
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        let Some(row) = counted.into_iter().next() else {
            rollback(txn).await?;
            return Ok(());
        };
        let next_attempt_at = self.now() + backoff(row.attempts);
        outbox::Entity::update_many()
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(next_attempt_at))
            .filter(outbox::Column::Id.eq(id.as_uuid()))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        commit(txn).await
    }
}

/// The wait after the `attempts`-th failure: 1 s doubled per earlier failure, capped.
fn backoff(attempts: i32) -> Duration {
    // 2^9 s already exceeds the cap, so larger exponents need not be computed.
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 9)).unwrap_or(0);
    Duration::seconds(1_i64 << doublings).min(MAX_BACKOFF)
}

fn truncated(reason: &str) -> String {
    reason.chars().take(MAX_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_five_minutes() {
        assert_eq!(backoff(1), Duration::seconds(1));
        assert_eq!(backoff(2), Duration::seconds(2));
        assert_eq!(backoff(9), Duration::seconds(256));
        assert_eq!(backoff(10), MAX_BACKOFF);
        assert_eq!(backoff(i32::MAX), MAX_BACKOFF);
    }
}
