//! The outbox as a queue for operators (docs/http-api.md §5): what waits, what is in hand or
//! backing off, and its dead letters, which a replay makes due again with a fresh set of attempts.

use async_trait::async_trait;
use postern_core::ports::PortResult;
use postern_core::ports::{EventQueues, QueueStats};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::entities::outbox;
use super::error::db_error;
use super::outbox::SeaOutbox;
use super::timestamps::in_time_order;

/// The queue's name in the admin API.
const OUTBOX: &str = "outbox";

#[async_trait]
impl EventQueues for SeaOutbox {
    /// The outbox has relays rather than consumers, so `consumers` is 0; `pending` counts the
    /// events claimed by a relay or waiting out a backoff.
    async fn stats(&self) -> PortResult<Vec<QueueStats>> {
        let unpublished = || outbox::Entity::find().filter(outbox::Column::PublishedAt.is_null());
        let live = || unpublished().filter(outbox::Column::DeadLetteredAt.is_null());
        let backend = self.db().get_database_backend();
        let not_due = in_time_order(backend, Expr::col(outbox::Column::NextAttemptAt))
            .gt(in_time_order(backend, Expr::value(self.now())));
        let length = live().count(self.db()).await.map_err(db_error)?;
        let pending = live()
            .filter(not_due)
            .count(self.db())
            .await
            .map_err(db_error)?;
        let dead_letters = unpublished()
            .filter(outbox::Column::DeadLetteredAt.is_not_null())
            .count(self.db())
            .await
            .map_err(db_error)?;
        Ok(vec![QueueStats {
            name: OUTBOX.to_owned(),
            length,
            pending,
            consumers: 0,
            dead_letters,
        }])
    }

    async fn replay_dead_letters(&self, queue: &str) -> PortResult<Option<u64>> {
        if queue != OUTBOX {
            return Ok(None);
        }
        let replayed = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::DeadLetteredAt,
                Expr::value(Option::<time::OffsetDateTime>::None),
            )
            .col_expr(outbox::Column::Attempts, Expr::value(0))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(self.now()))
            .filter(outbox::Column::PublishedAt.is_null())
            .filter(outbox::Column::DeadLetteredAt.is_not_null())
            .exec(self.db())
            .await
            .map_err(db_error)?;
        Ok(Some(replayed.rows_affected))
    }
}
