//! Login counts (docs/http-api.md §3 lockout) move from `users` to their own table, keyed by
//! email and client: failed logins are counted per email from one client (`client_key` its
//! address, an IPv6 one by its /64) and per email from every client (`client_key` empty), for
//! unknown emails as for accounts, so that a guesser can lock an email only for itself and a lock
//! says nothing about whether an account exists. The `users` columns that held the one count per
//! account are dropped; a lock in force at the upgrade is forgotten (the next failures count
//! afresh). `reserved_at` is indexed so that forgettable counts can be found and pruned.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The `users` columns of the former single count, dropped one per statement because SQLite
/// alters one column at a time.
const USER_COLUMNS: [Users; 4] = [
    Users::FailedLogins,
    Users::LockedUntil,
    Users::LoginsInFlight,
    Users::LoginReservedAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginCounts::Table)
                    .col(text(LoginCounts::Email))
                    .col(text(LoginCounts::ClientKey))
                    .col(integer(LoginCounts::Failed).default(0))
                    .col(integer(LoginCounts::InFlight).default(0))
                    .col(timestamp_with_time_zone_null(LoginCounts::ReservedAt))
                    .col(timestamp_with_time_zone_null(LoginCounts::LockedUntil))
                    .primary_key(
                        Index::create()
                            .col(LoginCounts::Email)
                            .col(LoginCounts::ClientKey),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("login_counts_reserved_at")
                    .table(LoginCounts::Table)
                    .col(LoginCounts::ReservedAt)
                    .to_owned(),
            )
            .await?;
        for column in USER_COLUMNS {
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

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let nullable = [Users::LockedUntil, Users::LoginReservedAt];
        for column in USER_COLUMNS {
            let definition = if nullable.contains(&column) {
                timestamp_with_time_zone_null(column)
            } else {
                integer(column).default(0).to_owned()
            };
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(definition)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(LoginCounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy, PartialEq, Eq)]
enum Users {
    Table,
    FailedLogins,
    LockedUntil,
    LoginsInFlight,
    LoginReservedAt,
}

#[derive(DeriveIden)]
enum LoginCounts {
    Table,
    Email,
    ClientKey,
    Failed,
    InFlight,
    ReservedAt,
    LockedUntil,
}
