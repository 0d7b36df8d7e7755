//! Handled events: which handler has already handled which event, so that a handler with side
//! effects outside the database (the mailer) does them once although events arrive at least
//! once (docs/http-api.md §7). One row per handler and event; the primary key is the lookup.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HandledEvents::Table)
                    .col(string_len(HandledEvents::Handler, 64))
                    .col(uuid(HandledEvents::EventId))
                    .col(timestamp_with_time_zone(HandledEvents::HandledAt))
                    .primary_key(
                        Index::create()
                            .col(HandledEvents::Handler)
                            .col(HandledEvents::EventId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HandledEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum HandledEvents {
    Table,
    Handler,
    EventId,
    HandledAt,
}
