//! Account lifecycle (docs/http-api.md §4, docs/adr/0016): `account_tokens.new_email` is the
//! address an email-change token moves its account to (NULL for other tokens), and
//! `users.deleted_at` is when the account was deleted, NULL while it exists. A deleted account's
//! row stays, anonymised, so that its id keeps naming it in the audit log and its revoked
//! sessions stay on record. SQLite alters one column per statement, hence two.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccountTokens::Table)
                    .add_column(string_null(AccountTokens::NewEmail))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::DeletedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::DeletedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccountTokens::Table)
                    .drop_column(AccountTokens::NewEmail)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    NewEmail,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    DeletedAt,
}
