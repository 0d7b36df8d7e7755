//! [`AccountTokens`] on SeaORM: email-verification and password-reset tokens by digest. A token
//! is spent by a conditional update (`used_at IS NULL`) in the same transaction as what it
//! proves, so of two requests presenting one token at once exactly one succeeds. A new password
//! (by reset or by change) spends every unused reset token of its account in its transaction.

use async_trait::async_trait;
use postern_core::domain::{
    AccountTokenRecord, Email, Event, NewAccountToken, PasswordHash, ProviderName, TokenDigest,
    TokenPurpose, User, UserId,
};
use postern_core::ports::{AccountTokens, ChangeEmailError, PortResult};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::entities::{account_tokens, users};
use super::error::{creation_error, db_error, invalid_row};
use super::login_counts;
use super::timestamps::stored;
use super::tx::{begin_write, commit, rollback, write_event};
use super::users::to_user;

/// Account tokens in the `account_tokens` table.
#[derive(Clone)]
pub struct SeaAccountTokens {
    db: DatabaseConnection,
}

impl SeaAccountTokens {
    /// Tokens on `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// A stored address, valid when it was stored.
fn parse_email(raw: &str) -> PortResult<Email> {
    Email::parse(raw).map_err(|e| invalid_row("account_tokens.new_email", e.message))
}

/// A stored provider name, valid when it was stored.
fn parse_provider(raw: &str) -> PortResult<ProviderName> {
    ProviderName::parse(raw).map_err(|e| invalid_row("account_tokens.provider", e.to_string()))
}

/// Marks `token` used at `at` if it still is unused; whether it was.
async fn spend(
    txn: &DatabaseTransaction,
    token: Uuid,
    at: OffsetDateTime,
) -> PortResult<Option<Uuid>> {
    let spent = account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::UsedAt, Expr::value(stored(at)))
        .filter(account_tokens::Column::Id.eq(token))
        .filter(account_tokens::Column::UsedAt.is_null())
        .exec_with_returning(txn)
        .await
        .map_err(db_error)?;
    Ok(spent.into_iter().next().map(|row| row.user_id))
}

/// Spends every unused reset token of `user` at `at`, inside `conn`'s transaction: the password
/// they would set has just been replaced.
pub(super) async fn spend_reset_tokens(
    conn: &impl ConnectionTrait,
    user: Uuid,
    at: OffsetDateTime,
) -> PortResult<()> {
    spend_tokens_of(conn, user, TokenPurpose::ResetPassword, at).await
}

/// Spends every unused token of `purpose` of `user` at `at`, inside `conn`'s transaction.
async fn spend_tokens_of(
    conn: &impl ConnectionTrait,
    user: Uuid,
    purpose: TokenPurpose,
    at: OffsetDateTime,
) -> PortResult<()> {
    account_tokens::Entity::update_many()
        .col_expr(account_tokens::Column::UsedAt, Expr::value(stored(at)))
        .filter(account_tokens::Column::UserId.eq(user))
        .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
        .filter(account_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

#[async_trait]
impl AccountTokens for SeaAccountTokens {
    async fn issue(&self, token: &NewAccountToken) -> PortResult<()> {
        let row = account_tokens::ActiveModel {
            id: Set(token.id),
            user_id: Set(token.user_id.as_uuid()),
            purpose: Set(token.purpose.as_str().to_owned()),
            token_hash: Set(token.digest.as_str().to_owned()),
            created_at: Set(stored(token.created_at)),
            expires_at: Set(stored(token.expires_at)),
            used_at: Set(None),
            new_email: Set(token.new_email.as_ref().map(|e| e.as_str().to_owned())),
            provider: Set(token.provider.as_ref().map(|p| p.as_str().to_owned())),
        };
        account_tokens::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn find(
        &self,
        purpose: TokenPurpose,
        digest: &TokenDigest,
    ) -> PortResult<Option<AccountTokenRecord>> {
        let row = account_tokens::Entity::find()
            .filter(account_tokens::Column::TokenHash.eq(digest.as_str()))
            .filter(account_tokens::Column::Purpose.eq(purpose.as_str()))
            .one(&self.db)
            .await
            .map_err(db_error)?;
        row.map(|row| {
            Ok(AccountTokenRecord {
                id: row.id,
                user_id: UserId::from_uuid(row.user_id),
                expires_at: row.expires_at,
                used_at: row.used_at,
                new_email: row.new_email.as_deref().map(parse_email).transpose()?,
                provider: row.provider.as_deref().map(parse_provider).transpose()?,
            })
        })
        .transpose()
    }

    async fn spend(&self, token: Uuid, at: OffsetDateTime) -> PortResult<bool> {
        let spent = account_tokens::Entity::update_many()
            .col_expr(account_tokens::Column::UsedAt, Expr::value(stored(at)))
            .filter(account_tokens::Column::Id.eq(token))
            .filter(account_tokens::Column::UsedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(spent.rows_affected == 1)
    }

    async fn verify_email(
        &self,
        token: Uuid,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Option<User>> {
        let txn = begin_write(&self.db).await?;
        let Some(user) = spend(&txn, token, at).await? else {
            rollback(txn).await?;
            return Ok(None);
        };
        let verified = users::Entity::update_many()
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .col_expr(users::Column::UpdatedAt, Expr::value(stored(at)))
            .filter(users::Column::Id.eq(user))
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        let Some(row) = verified.into_iter().next() else {
            rollback(txn).await?;
            return Ok(None);
        };
        write_event(&txn, event).await?;
        commit(txn).await?;
        to_user(row).map(Some)
    }

    async fn reset_password(
        &self,
        token: Uuid,
        hash: &PasswordHash,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<bool> {
        let txn = begin_write(&self.db).await?;
        let Some(user) = spend(&txn, token, at).await? else {
            rollback(txn).await?;
            return Ok(false);
        };
        let changed = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash.as_str()))
            .col_expr(users::Column::UpdatedAt, Expr::value(stored(at)))
            .filter(users::Column::Id.eq(user))
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        let Some(row) = changed.into_iter().next() else {
            rollback(txn).await?;
            return Ok(false);
        };
        // The owner proved themselves by mail: whatever lock a guesser caused is over.
        let email = to_user(row)?.email;
        login_counts::forget(&txn, &email).await?;
        spend_reset_tokens(&txn, user, at).await?;
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(true)
    }

    async fn change_email(
        &self,
        token: Uuid,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Option<User>, ChangeEmailError> {
        let txn = begin_write(&self.db).await?;
        let spent = account_tokens::Entity::update_many()
            .col_expr(account_tokens::Column::UsedAt, Expr::value(stored(at)))
            .filter(account_tokens::Column::Id.eq(token))
            .filter(account_tokens::Column::UsedAt.is_null())
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        let Some((user, Some(new_email))) =
            spent.into_iter().next().map(|r| (r.user_id, r.new_email))
        else {
            rollback(txn).await?;
            return Ok(None);
        };
        // The unique index decides against an account that took the address meanwhile.
        let changed = users::Entity::update_many()
            .col_expr(users::Column::Email, Expr::value(new_email))
            .col_expr(users::Column::EmailVerified, Expr::value(true))
            .col_expr(users::Column::UpdatedAt, Expr::value(stored(at)))
            .filter(users::Column::Id.eq(user))
            .filter(users::Column::DeletedAt.is_null())
            .exec_with_returning(&txn)
            .await;
        let row = match changed {
            Ok(rows) => rows.into_iter().next(),
            Err(error) => {
                rollback(txn).await?;
                return Err(match creation_error(error) {
                    postern_core::ports::CreateUserError::EmailTaken => {
                        ChangeEmailError::EmailTaken
                    }
                    postern_core::ports::CreateUserError::Port(error) => error.into(),
                });
            }
        };
        let Some(row) = row else {
            rollback(txn).await?;
            return Ok(None);
        };
        spend_tokens_of(&txn, user, TokenPurpose::ChangeEmail, at).await?;
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(to_user(row).map(Some)?)
    }
}
