//! Dead letters (docs/http-api.md §7): an event whose delivery failed the maximum number of times
//! gets `dead_lettered_at`, leaves the relay's queue and stays in the table until it is replayed.
//! Nullable, so existing rows stay live; no index, because the relay's queries already narrow to
//! unpublished rows with `outbox_pending_idx`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(timestamp_with_time_zone_null(Outbox::DeadLetteredAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::DeadLetteredAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    DeadLetteredAt,
}
