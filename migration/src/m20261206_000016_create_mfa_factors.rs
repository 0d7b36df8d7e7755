//! Second factors (docs/http-api.md, multi-factor authentication): `mfa_factors` holds each
//! factor with its kind (`totp`, later `webauthn`), its owner's name for it and an opaque
//! credential (a sealed TOTP secret; a WebAuthn key's data later), pending until `confirmed_at`,
//! with the last TOTP step it accepted so that a code works once. `mfa_recovery_codes` holds
//! the keyed digests of an account's recovery set, each used once. Deleting a user deletes both.
//! `sessions.amr` keeps how each session's login authenticated (RFC 8176 values separated by
//! spaces), so that its refreshed tokens say it too; sessions from before are password ones.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MfaFactors::Table)
                    .col(pk_uuid(MfaFactors::Id))
                    .col(uuid(MfaFactors::UserId))
                    .col(string_len(MfaFactors::Kind, 16))
                    .col(string_len(MfaFactors::Name, 64))
                    .col(blob(MfaFactors::Credential))
                    .col(timestamp_with_time_zone(MfaFactors::CreatedAt))
                    .col(timestamp_with_time_zone_null(MfaFactors::ConfirmedAt))
                    .col(timestamp_with_time_zone_null(MfaFactors::LastUsedAt))
                    .col(big_integer_null(MfaFactors::LastStep))
                    .foreign_key(
                        ForeignKey::create()
                            .name("mfa_factors_user_id_fkey")
                            .from(MfaFactors::Table, MfaFactors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Every login of an account with a password looks its factors up.
        manager
            .create_index(
                Index::create()
                    .name("mfa_factors_user_id_idx")
                    .table(MfaFactors::Table)
                    .col(MfaFactors::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MfaRecoveryCodes::Table)
                    .col(pk_uuid(MfaRecoveryCodes::Id))
                    .col(uuid(MfaRecoveryCodes::UserId))
                    .col(string_len(MfaRecoveryCodes::CodeHash, 64))
                    .col(timestamp_with_time_zone(MfaRecoveryCodes::CreatedAt))
                    .col(timestamp_with_time_zone_null(MfaRecoveryCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("mfa_recovery_codes_user_id_fkey")
                            .from(MfaRecoveryCodes::Table, MfaRecoveryCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mfa_recovery_codes_user_code_idx")
                    .table(MfaRecoveryCodes::Table)
                    .col(MfaRecoveryCodes::UserId)
                    .col(MfaRecoveryCodes::CodeHash)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(string_len(Sessions::Amr, 64).default("pwd"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::Amr)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(MfaRecoveryCodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MfaFactors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MfaFactors {
    Table,
    Id,
    UserId,
    Kind,
    Name,
    Credential,
    CreatedAt,
    ConfirmedAt,
    LastUsedAt,
    LastStep,
}

#[derive(DeriveIden)]
enum MfaRecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Amr,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
