//! WebAuthn factors and ceremonies (docs/adr/0020). `mfa_factors.credential_id`: the hex of a
//! WebAuthn factor's credential id (at most 1023 bytes), unique across every account, so that
//! a passwordless sign-in finds the key it names and a key is registered once; `NULL` for TOTP
//! factors. `webauthn_ceremonies`: the server's half of each ceremony in progress, keyed by the
//! id its client names it with (with the name a registration's factor is to get), shared by
//! every instance for 5 minutes and deleted when taken;
//! the expiry index serves the pruning of abandoned ones.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MfaFactors::Table)
                    .add_column(string_len_null(MfaFactors::CredentialId, 2046))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mfa_factors_credential_id_key")
                    .table(MfaFactors::Table)
                    .col(MfaFactors::CredentialId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebauthnCeremonies::Table)
                    .col(pk_uuid(WebauthnCeremonies::Id))
                    .col(string_len(WebauthnCeremonies::Purpose, 16))
                    .col(uuid_null(WebauthnCeremonies::UserId))
                    .col(text(WebauthnCeremonies::State))
                    .col(string_len_null(WebauthnCeremonies::FactorName, 64))
                    .col(timestamp_with_time_zone(WebauthnCeremonies::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("webauthn_ceremonies_user_id_fkey")
                            .from(WebauthnCeremonies::Table, WebauthnCeremonies::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webauthn_ceremonies_expires_at_idx")
                    .table(WebauthnCeremonies::Table)
                    .col(WebauthnCeremonies::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebauthnCeremonies::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("mfa_factors_credential_id_key")
                    .table(MfaFactors::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MfaFactors::Table)
                    .drop_column(MfaFactors::CredentialId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum MfaFactors {
    Table,
    CredentialId,
}

#[derive(DeriveIden)]
enum WebauthnCeremonies {
    Table,
    Id,
    Purpose,
    UserId,
    State,
    FactorName,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
