//! Login slots (docs/http-api.md §3 lockout): `failed_logins` now counts only failures, and
//! `logins_in_flight` the attempts reserved but not yet reported, so that correct logins in a
//! burst are never taken for failures. `login_reserved_at` is when the newest attempt was
//! reserved; attempts in flight long after it are taken for abandoned. Existing accounts start
//! with nothing in flight (a count left over from the former meaning is at most the maximum, and
//! the next success clears it). One column per statement, because SQLite alters one column at a
//! time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(Users::LoginsInFlight).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::LoginReservedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Users::LoginReservedAt, Users::LoginsInFlight] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    LoginsInFlight,
    LoginReservedAt,
}
