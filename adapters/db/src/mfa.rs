//! [`MfaFactors`] on SeaORM: factors in `mfa_factors`, recovery sets in `mfa_recovery_codes`.
//! Replays are refused by conditional updates (`last_step < step`, `used_at IS NULL`), so of
//! two requests with one code exactly one changes a row; confirming a factor decides inside its
//! transaction whether it is the account's first, after taking a write lock on the user's row.
//! WebAuthn keys are stored and used by `mfa_webauthn`.

use async_trait::async_trait;
use postern_core::domain::{
    Confirmed, Event, Factor, FactorConfirmation, FactorCredential, FactorId, FactorKind,
    FactorName, RecoveryCodeDigest, TotpStep, UserId,
};
use postern_core::ports::{CredentialId, Enrolled, MfaFactors, PortResult, WebAuthnEnrolment};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::entities::{mfa_factors, mfa_recovery_codes, users, webauthn_ceremonies};
use super::error::{db_error, invalid_row};
use super::timestamps::stored;
use super::tx::{begin_write, commit, rollback, write_event};

/// Factors and recovery codes in their tables.
#[derive(Clone)]
pub struct SeaMfaFactors {
    db: DatabaseConnection,
}

impl SeaMfaFactors {
    /// Factors on `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

pub(super) fn to_factor(row: mfa_factors::Model) -> PortResult<Factor> {
    let kind = FactorKind::from_storage(&row.kind)
        .ok_or_else(|| invalid_row("mfa_factors.kind", row.kind.clone()))?;
    Ok(Factor {
        id: FactorId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        kind,
        name: FactorName::from_storage(row.name),
        credential: FactorCredential::new(row.credential),
        created_at: row.created_at,
        confirmed_at: row.confirmed_at,
        last_used_at: row.last_used_at,
    })
}

/// A TOTP step as stored: steps of 30 s since 1970 fit an i64 for longer than time will matter.
fn stored_step(step: TotpStep) -> i64 {
    i64::try_from(step.0).unwrap_or(i64::MAX)
}

pub(super) async fn count_active(conn: &impl ConnectionTrait, user: UserId) -> PortResult<u64> {
    mfa_factors::Entity::find()
        .filter(mfa_factors::Column::UserId.eq(user.as_uuid()))
        .filter(mfa_factors::Column::ConfirmedAt.is_not_null())
        .count(conn)
        .await
        .map_err(db_error)
}

pub(super) async fn store_recovery_set(
    conn: &impl ConnectionTrait,
    user: UserId,
    codes: &[RecoveryCodeDigest],
    at: OffsetDateTime,
) -> PortResult<()> {
    delete_recovery_set(conn, user).await?;
    if codes.is_empty() {
        return Ok(());
    }
    let rows = codes.iter().map(|digest| mfa_recovery_codes::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.as_uuid()),
        code_hash: Set(digest.as_str().to_owned()),
        created_at: Set(stored(at)),
        used_at: Set(None),
    });
    mfa_recovery_codes::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

async fn delete_recovery_set(conn: &impl ConnectionTrait, user: UserId) -> PortResult<()> {
    mfa_recovery_codes::Entity::delete_many()
        .filter(mfa_recovery_codes::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Serialises the factor changes of one account: an update of its own row, a no-op, takes
/// PostgreSQL's row lock (and SQLite's database write lock), so two confirmations of the
/// account's factors decide one after the other which one is first.
pub(super) async fn lock_user(conn: &impl ConnectionTrait, user: UserId) -> PortResult<()> {
    users::Entity::update_many()
        .col_expr(users::Column::Id, Expr::col(users::Column::Id))
        .filter(users::Column::Id.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Erases every factor, recovery code and WebAuthn ceremony of `user`, inside `conn`'s
/// transaction.
pub(super) async fn erase_factors(conn: &impl ConnectionTrait, user: UserId) -> PortResult<()> {
    webauthn_ceremonies::Entity::delete_many()
        .filter(webauthn_ceremonies::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    mfa_factors::Entity::delete_many()
        .filter(mfa_factors::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    delete_recovery_set(conn, user).await
}

#[async_trait]
impl MfaFactors for SeaMfaFactors {
    async fn add_pending(&self, factor: &Factor) -> PortResult<()> {
        let row = mfa_factors::ActiveModel {
            id: Set(factor.id.as_uuid()),
            user_id: Set(factor.user_id.as_uuid()),
            kind: Set(factor.kind.as_str().to_owned()),
            name: Set(factor.name.as_str().to_owned()),
            credential: Set(factor.credential.as_bytes().to_vec()),
            created_at: Set(stored(factor.created_at)),
            confirmed_at: Set(factor.confirmed_at.map(stored)),
            last_used_at: Set(factor.last_used_at.map(stored)),
            last_step: Set(None),
            credential_id: Set(None),
        };
        mfa_factors::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn list(&self, user: UserId) -> PortResult<Vec<Factor>> {
        mfa_factors::Entity::find()
            .filter(mfa_factors::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(mfa_factors::Column::CreatedAt)
            .order_by_asc(mfa_factors::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(to_factor)
            .collect()
    }

    async fn find(&self, user: UserId, id: FactorId) -> PortResult<Option<Factor>> {
        mfa_factors::Entity::find_by_id(id.as_uuid())
            .filter(mfa_factors::Column::UserId.eq(user.as_uuid()))
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(to_factor)
            .transpose()
    }

    async fn confirm(&self, confirmation: &FactorConfirmation) -> PortResult<Confirmed> {
        let txn = begin_write(&self.db).await?;
        lock_user(&txn, confirmation.user_id).await?;
        let first = count_active(&txn, confirmation.user_id).await? == 0;
        let confirmed = mfa_factors::Entity::update_many()
            .col_expr(
                mfa_factors::Column::ConfirmedAt,
                Expr::value(stored(confirmation.at)),
            )
            .col_expr(
                mfa_factors::Column::LastStep,
                Expr::value(stored_step(confirmation.step)),
            )
            .filter(mfa_factors::Column::Id.eq(confirmation.factor_id.as_uuid()))
            .filter(mfa_factors::Column::UserId.eq(confirmation.user_id.as_uuid()))
            .filter(mfa_factors::Column::ConfirmedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if confirmed.rows_affected == 0 {
            rollback(txn).await?;
            return Ok(Confirmed::NotPending);
        }
        if first {
            store_recovery_set(
                &txn,
                confirmation.user_id,
                &confirmation.recovery_codes,
                confirmation.at,
            )
            .await?;
        }
        write_event(&txn, &confirmation.event).await?;
        commit(txn).await?;
        Ok(Confirmed::Active {
            recovery_set: first,
        })
    }

    async fn spend_step(
        &self,
        factor: FactorId,
        step: TotpStep,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        let step = stored_step(step);
        let spent = mfa_factors::Entity::update_many()
            .col_expr(mfa_factors::Column::LastStep, Expr::value(step))
            .col_expr(mfa_factors::Column::LastUsedAt, Expr::value(stored(at)))
            .filter(mfa_factors::Column::Id.eq(factor.as_uuid()))
            .filter(mfa_factors::Column::ConfirmedAt.is_not_null())
            .filter(
                Condition::any()
                    .add(mfa_factors::Column::LastStep.is_null())
                    .add(mfa_factors::Column::LastStep.lt(step)),
            )
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(spent.rows_affected == 1)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        digest: &RecoveryCodeDigest,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<bool> {
        let txn = begin_write(&self.db).await?;
        let used = mfa_recovery_codes::Entity::update_many()
            .col_expr(mfa_recovery_codes::Column::UsedAt, Expr::value(stored(at)))
            .filter(mfa_recovery_codes::Column::UserId.eq(user.as_uuid()))
            .filter(mfa_recovery_codes::Column::CodeHash.eq(digest.as_str()))
            .filter(mfa_recovery_codes::Column::UsedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if used.rows_affected == 0 {
            rollback(txn).await?;
            return Ok(false);
        }
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(true)
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        let txn = begin_write(&self.db).await?;
        lock_user(&txn, user).await?;
        if count_active(&txn, user).await? == 0 {
            rollback(txn).await?;
            return Ok(false);
        }
        store_recovery_set(&txn, user, codes, at).await?;
        commit(txn).await?;
        Ok(true)
    }

    async fn unused_recovery_codes(&self, user: UserId) -> PortResult<u32> {
        let unused = mfa_recovery_codes::Entity::find()
            .filter(mfa_recovery_codes::Column::UserId.eq(user.as_uuid()))
            .filter(mfa_recovery_codes::Column::UsedAt.is_null())
            .count(&self.db)
            .await
            .map_err(db_error)?;
        Ok(u32::try_from(unused).unwrap_or(u32::MAX))
    }

    async fn remove(&self, user: UserId, id: FactorId, event: &Event) -> PortResult<bool> {
        let txn = begin_write(&self.db).await?;
        lock_user(&txn, user).await?;
        let removed = mfa_factors::Entity::delete_many()
            .filter(mfa_factors::Column::Id.eq(id.as_uuid()))
            .filter(mfa_factors::Column::UserId.eq(user.as_uuid()))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if removed.rows_affected == 0 {
            rollback(txn).await?;
            return Ok(false);
        }
        if count_active(&txn, user).await? == 0 {
            delete_recovery_set(&txn, user).await?;
        }
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(true)
    }

    async fn add_webauthn(&self, enrolment: &WebAuthnEnrolment) -> PortResult<Enrolled> {
        super::mfa_webauthn::add(&self.db, enrolment).await
    }

    async fn find_by_credential(&self, credential: &CredentialId) -> PortResult<Option<Factor>> {
        super::mfa_webauthn::find(&self.db, credential).await
    }

    async fn record_webauthn_use(
        &self,
        factor: FactorId,
        seen: &FactorCredential,
        updated: &FactorCredential,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        super::mfa_webauthn::record_use(&self.db, factor, seen, updated, at).await
    }

    async fn remove_all(&self, user: UserId, event: &Event) -> PortResult<u64> {
        let txn = begin_write(&self.db).await?;
        let removed = mfa_factors::Entity::delete_many()
            .filter(mfa_factors::Column::UserId.eq(user.as_uuid()))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        delete_recovery_set(&txn, user).await?;
        if removed.rows_affected > 0 {
            write_event(&txn, event).await?;
        }
        commit(txn).await?;
        Ok(removed.rows_affected)
    }
}
