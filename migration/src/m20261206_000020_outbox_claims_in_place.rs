//! The relay's claim rewrites only `next_attempt_at`, so no index should hold that column: an
//! update that changes no indexed column is a heap-only (HOT) update on PostgreSQL, which writes
//! no index entry, while an indexed one writes an entry in every index of the table. The first
//! index of the outbox, `(published_at, next_attempt_at)`, made every claim of every event
//! write three index entries; the relay's partial index in `(occurred_at, id)` order already
//! serves the claim, so it goes. The operators' count of dead letters, the one other reader of
//! unpublished rows outside that partial index, gets a partial index of its own, over the
//! dead letters only, which the claim never changes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const DEAD_LETTERS: &str = "CREATE INDEX outbox_dead_letters_idx ON outbox (id) \
     WHERE published_at IS NULL AND dead_lettered_at IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("outbox_pending_idx")
                    .table(Alias::new("outbox"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(DEAD_LETTERS)
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("outbox_dead_letters_idx")
                    .table(Alias::new("outbox"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_pending_idx")
                    .table(Alias::new("outbox"))
                    .col(Alias::new("published_at"))
                    .col(Alias::new("next_attempt_at"))
                    .to_owned(),
            )
            .await
    }
}
