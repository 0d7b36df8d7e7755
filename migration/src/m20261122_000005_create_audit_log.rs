//! The audit log: every delivered event, once. The primary key is the event id, so a second
//! delivery of the same event cannot add a row. `user_id` has no foreign key on purpose: the
//! record of what happened to an account outlives the account.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_uuid(AuditLog::Id))
                    .col(string(AuditLog::EventType))
                    .col(uuid_null(AuditLog::UserId))
                    .col(timestamp_with_time_zone(AuditLog::OccurredAt))
                    .col(json_binary(AuditLog::Payload))
                    .col(timestamp_with_time_zone(AuditLog::RecordedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("audit_log_user_id_idx", AuditLog::UserId),
            ("audit_log_occurred_at_idx", AuditLog::OccurredAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditLog::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    EventType,
    UserId,
    OccurredAt,
    Payload,
    RecordedAt,
}
