//! Sign-in with external providers. `user_identities`: one row per identity at a provider that
//! signs in to an account; (provider, subject) is unique, so an identity signs in to one account
//! at most, and it is the lookup of every sign-in; the user index serves the owner's list and
//! cascading deletes. `pending_sign_ins` (keyed by the authorization's `state`) and
//! `login_codes` (keyed by the code's SHA-256 digest): the short-lived single-use grants of the
//! flow, shared by every instance; a row is deleted when it is taken.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserIdentities::Table)
                    .col(pk_uuid(UserIdentities::Id))
                    .col(uuid(UserIdentities::UserId))
                    .col(string_len(UserIdentities::Provider, 32))
                    .col(string_len(UserIdentities::Subject, 255))
                    .col(string_len_null(UserIdentities::Email, 254))
                    .col(timestamp_with_time_zone(UserIdentities::LinkedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("user_identities_user_id_fkey")
                            .from(UserIdentities::Table, UserIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_identities_provider_subject_key")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::Provider)
                    .col(UserIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_identities_user_id_idx")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PendingSignIns::Table)
                    .col(string_len(PendingSignIns::State, 128).primary_key())
                    .col(string_len(PendingSignIns::Provider, 32))
                    .col(string_len(PendingSignIns::Nonce, 128))
                    .col(string_len(PendingSignIns::PkceVerifier, 128))
                    .col(text(PendingSignIns::RedirectUri))
                    .col(text(PendingSignIns::RedirectTo))
                    .col(uuid_null(PendingSignIns::LinkTo))
                    .col(timestamp_with_time_zone(PendingSignIns::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("pending_sign_ins_link_to_fkey")
                            .from(PendingSignIns::Table, PendingSignIns::LinkTo)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginCodes::Table)
                    .col(string_len(LoginCodes::Digest, 64).primary_key())
                    .col(uuid(LoginCodes::UserId))
                    .col(string_len(LoginCodes::Provider, 32))
                    .col(timestamp_with_time_zone(LoginCodes::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("login_codes_user_id_fkey")
                            .from(LoginCodes::Table, LoginCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginCodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PendingSignIns::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(UserIdentities::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum UserIdentities {
    Table,
    Id,
    UserId,
    Provider,
    Subject,
    Email,
    LinkedAt,
}

#[derive(DeriveIden)]
enum PendingSignIns {
    Table,
    State,
    Provider,
    Nonce,
    PkceVerifier,
    RedirectUri,
    RedirectTo,
    LinkTo,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginCodes {
    Table,
    Digest,
    UserId,
    Provider,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
