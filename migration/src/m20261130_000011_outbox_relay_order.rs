//! An index in the relay's order over the events still to publish. The relay claims the oldest
//! due events, `ORDER BY occurred_at, id`; without an index in that order the database sorts
//! every pending event for each batch, so draining a backlog cost time quadratic in its size.
//! The index is partial, over the rows neither published nor dead-lettered, so it stays as
//! small as the backlog. On SQLite, where timestamps are text, the relay orders by
//! `julianday(occurred_at)`, and the index holds that expression.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PENDING: &str = "published_at IS NULL AND dead_lettered_at IS NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let order = match manager.get_database_backend() {
            DbBackend::Sqlite => "julianday(occurred_at), id",
            _ => "occurred_at, id",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX outbox_relay_order_idx ON outbox ({order}) WHERE {PENDING}"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("outbox_relay_order_idx")
                    .table(Alias::new("outbox"))
                    .to_owned(),
            )
            .await
    }
}
