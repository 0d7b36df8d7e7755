//! [`Outbox`] on SeaORM: the relay's side of the `outbox` table. Repositories write events in
//! their own transactions (see `tx::write_event`); this hands them out, oldest first, to
//! one relay at a time, and records what became of them.
//!
//! A failed event waits before its next attempt, twice as long after each failure (1 s, 2 s, 4 s, …
//! at most 5 min), so that a broken receiver is not hammered and does not hold back the events
//! behind it. After the last allowed attempt (3 by default, docs/http-api.md §7) the event is
//! dead-lettered: `dead_lettered_at` is set, it is no longer handed out, and it stays in the table
//! until it is replayed. A stored row that no longer decodes into an [`Event`] (a renamed type, a
//! row from a newer version) is a failed attempt of its own: it backs off and dead-letters like any
//! other, and never fails the batch it was read with. "Now" comes from a [`Clock`], so tests can
//! move time instead of sleeping.

use std::sync::Arc;

use async_trait::async_trait;
use postern_core::domain::{Event, EventId};
use postern_core::ports::PortResult;
use postern_core::ports::retry::{self, backoff, truncated};
use postern_core::ports::{Clock, Outbox, SystemClock};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use time::{Duration, OffsetDateTime};
use tracing::warn;
use uuid::Uuid;

use super::entities::outbox;
use super::erasure::erase_delivered_notices;
use super::error::db_error;
use super::timestamps::{in_time_order, stored};
use super::tx::{begin_write, commit, rollback, write_event};

/// The transactional outbox in the `outbox` table.
#[derive(Clone)]
pub struct SeaOutbox {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    max_attempts: i32,
    lease: Duration,
}

impl SeaOutbox {
    /// An outbox on `db`, which must be migrated, timed by the system clock.
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_clock(db, Arc::new(SystemClock))
    }

    /// An outbox on `db` that decides what is due by `clock`.
    pub fn with_clock(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            max_attempts: attempts_limit(retry::DEFAULT_MAX_ATTEMPTS),
            lease: retry::DEFAULT_LEASE,
        }
    }

    /// Dead-letters an event at its `max_attempts`-th failed attempt instead of the
    /// [`retry::DEFAULT_MAX_ATTEMPTS`]-th; 0 counts as 1.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = attempts_limit(max_attempts);
        self
    }

    /// Withholds claimed events from other claims for `lease` instead of
    /// [`retry::DEFAULT_LEASE`].
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub(super) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub(super) fn now(&self) -> OffsetDateTime {
        stored(self.clock.now())
    }

    /// Records that the row `id` cannot be decoded, so that it backs off and dead-letters
    /// instead of being read, and failing, again in every batch.
    async fn set_aside(
        &self,
        id: Uuid,
        event_type: &str,
        error: &serde_json::Error,
    ) -> PortResult<()> {
        // Never the payload, which may hold personal data (serde's message quotes at most the
        // one value that did not fit).
        warn!(event_id = %id, event_type, error = %error, "stored event cannot be decoded; counted as a failed attempt");
        self.record_failure(
            EventId::from_uuid(id),
            &format!("stored event cannot be decoded: {error}"),
        )
        .await
    }
}

#[async_trait]
impl Outbox for SeaOutbox {
    async fn append(&self, event: &Event) -> PortResult<()> {
        write_event(&self.db, event).await
    }

    async fn claim(&self, limit: u64) -> PortResult<Vec<Event>> {
        let backend = self.db.get_database_backend();
        let now = self.now();
        let due = in_time_order(backend, Expr::col(outbox::Column::NextAttemptAt))
            .lte(in_time_order(backend, Expr::value(now)));
        let mut oldest_due = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::PublishedAt.is_null())
            .filter(Expr::col(outbox::Column::DeadLetteredAt).is_null())
            .filter(due)
            .order_by(
                in_time_order(backend, Expr::col(outbox::Column::OccurredAt)),
                Order::Asc,
            )
            .order_by(outbox::Column::Id, Order::Asc)
            .limit(limit)
            .into_query();
        // Concurrent relays skip the rows another is claiming instead of waiting for them.
        // SQLite has no row locks and needs none: it runs one write at a time.
        if backend == DbBackend::Postgres {
            oldest_due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let mut rows = outbox::Entity::update_many()
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now + self.lease))
            .filter(outbox::Column::Id.in_subquery(oldest_due))
            .exec_with_returning(&self.db)
            .await
            .map_err(db_error)?;
        // RETURNING promises no order.
        rows.sort_by_key(|row| (row.occurred_at, row.id));
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            match serde_json::from_value(row.payload) {
                Ok(event) => events.push(event),
                Err(error) => self.set_aside(row.id, &row.event_type, &error).await?,
            }
        }
        Ok(events)
    }

    async fn release(&self, ids: &[EventId]) -> PortResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        outbox::Entity::update_many()
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(self.now()))
            .filter(outbox::Column::Id.is_in(ids.iter().map(EventId::as_uuid)))
            .filter(outbox::Column::PublishedAt.is_null())
            .filter(Expr::col(outbox::Column::DeadLetteredAt).is_null())
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn mark_published(&self, ids: &[EventId]) -> PortResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<uuid::Uuid> = ids.iter().map(EventId::as_uuid).collect();
        let txn = begin_write(&self.db).await?;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::PublishedAt, Expr::value(self.now()))
            .filter(outbox::Column::Id.is_in(ids.iter().copied()))
            .filter(outbox::Column::PublishedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_error)?;
        erase_delivered_notices(&txn, &ids).await?;
        commit(txn).await
    }

    async fn record_failure(&self, id: EventId, reason: &str) -> PortResult<()> {
        let txn = begin_write(&self.db).await?;
        // Incrementing in the database keeps concurrent failures from losing a count.
        let counted = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .col_expr(outbox::Column::LastError, Expr::value(truncated(reason)))
            .filter(outbox::Column::Id.eq(id.as_uuid()))
            // A dead letter stays as it was until it is replayed.
            .filter(Expr::col(outbox::Column::DeadLetteredAt).is_null())
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        let Some(row) = counted.into_iter().next() else {
            rollback(txn).await?;
            return Ok(());
        };
        let now = self.now();
        let mut schedule = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::NextAttemptAt,
                Expr::value(now + backoff(row.attempts)),
            )
            .filter(outbox::Column::Id.eq(id.as_uuid()));
        if row.attempts >= self.max_attempts {
            warn!(event_id = %row.id, event_type = row.event_type, attempts = row.attempts, "event dead-lettered; it stays in the outbox until replayed");
            schedule = schedule.col_expr(outbox::Column::DeadLetteredAt, Expr::value(now));
        }
        schedule.exec(&txn).await.map_err(db_error)?;
        commit(txn).await
    }
}

/// `max_attempts` as the `attempts` column counts, at least 1.
fn attempts_limit(max_attempts: u32) -> i32 {
    Ord::max(i32::try_from(max_attempts).unwrap_or(i32::MAX), 1)
}
