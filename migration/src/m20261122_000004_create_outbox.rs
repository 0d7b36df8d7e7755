//! The transactional outbox: each event is written with the change it describes and stays here
//! until a relay publishes it. The relay asks for unpublished events that are due, hence the index
//! on `(published_at, next_attempt_at)`. The payload is the whole docs/http-api.md §7 event as JSON
//! (`jsonb` on PostgreSQL, text on SQLite).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(pk_uuid(Outbox::Id))
                    .col(string(Outbox::EventType))
                    .col(json_binary(Outbox::Payload))
                    .col(timestamp_with_time_zone(Outbox::OccurredAt))
                    .col(timestamp_with_time_zone_null(Outbox::PublishedAt))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                    .col(text_null(Outbox::LastError))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_pending_idx")
                    .table(Outbox::Table)
                    .col(Outbox::PublishedAt)
                    .col(Outbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    EventType,
    Payload,
    OccurredAt,
    PublishedAt,
    Attempts,
    NextAttemptAt,
    LastError,
}
