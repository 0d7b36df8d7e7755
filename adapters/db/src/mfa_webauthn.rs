//! The WebAuthn half of [`super::SeaMfaFactors`]: a key is stored as an active factor with its
//! credential id in `mfa_factors.credential_id` (hex, unique), and each assertion replaces its
//! credential by a conditional update on the credential it was checked against, so of two
//! assertions checked against one signature counter at once exactly one is recorded.

use postern_core::domain::{Factor, FactorCredential, FactorId, FactorKind};
use postern_core::ports::{CredentialId, Enrolled, PortResult, WebAuthnEnrolment};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, SqlErr,
};
use time::OffsetDateTime;

use super::entities::mfa_factors;
use super::error::db_error;
use super::mfa::{count_active, lock_user, store_recovery_set, to_factor};
use super::timestamps::stored;
use super::tx::{begin_write, commit, rollback, write_event};

/// A credential id as stored: lower-case hex, so that the unique index compares text.
fn stored_credential_id(id: &CredentialId) -> String {
    id.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether inserting failed on the unique credential id (or the factor's id).
fn is_taken(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// [`postern_core::ports::MfaFactors::add_webauthn`].
pub(super) async fn add(
    db: &DatabaseConnection,
    enrolment: &WebAuthnEnrolment,
) -> PortResult<Enrolled> {
    let factor = &enrolment.factor;
    let txn = begin_write(db).await?;
    lock_user(&txn, factor.user_id).await?;
    let first = count_active(&txn, factor.user_id).await? == 0;
    let row = mfa_factors::ActiveModel {
        id: Set(factor.id.as_uuid()),
        user_id: Set(factor.user_id.as_uuid()),
        kind: Set(FactorKind::Webauthn.as_str().to_owned()),
        name: Set(factor.name.as_str().to_owned()),
        credential: Set(factor.credential.as_bytes().to_vec()),
        created_at: Set(stored(factor.created_at)),
        confirmed_at: Set(factor.confirmed_at.map(stored)),
        last_used_at: Set(factor.last_used_at.map(stored)),
        last_step: Set(None),
        credential_id: Set(Some(stored_credential_id(&enrolment.credential_id))),
    };
    if let Err(err) = mfa_factors::Entity::insert(row)
        .exec_without_returning(&txn)
        .await
    {
        rollback(txn).await?;
        return if is_taken(&err) {
            Ok(Enrolled::CredentialTaken)
        } else {
            Err(db_error(err))
        };
    }
    if first {
        store_recovery_set(
            &txn,
            factor.user_id,
            &enrolment.recovery_codes,
            factor.created_at,
        )
        .await?;
    }
    write_event(&txn, &enrolment.event).await?;
    commit(txn).await?;
    Ok(Enrolled::Active {
        recovery_set: first,
    })
}

/// [`postern_core::ports::MfaFactors::find_by_credential`].
pub(super) async fn find(
    db: &DatabaseConnection,
    credential: &CredentialId,
) -> PortResult<Option<Factor>> {
    mfa_factors::Entity::find()
        .filter(mfa_factors::Column::CredentialId.eq(stored_credential_id(credential)))
        .filter(mfa_factors::Column::Kind.eq(FactorKind::Webauthn.as_str()))
        .filter(mfa_factors::Column::ConfirmedAt.is_not_null())
        .one(db)
        .await
        .map_err(db_error)?
        .map(to_factor)
        .transpose()
}

/// [`postern_core::ports::MfaFactors::record_webauthn_use`].
pub(super) async fn record_use(
    db: &DatabaseConnection,
    factor: FactorId,
    seen: &FactorCredential,
    updated: &FactorCredential,
    at: OffsetDateTime,
) -> PortResult<bool> {
    let recorded = mfa_factors::Entity::update_many()
        .col_expr(
            mfa_factors::Column::Credential,
            Expr::value(updated.as_bytes().to_vec()),
        )
        .col_expr(mfa_factors::Column::LastUsedAt, Expr::value(stored(at)))
        .filter(mfa_factors::Column::Id.eq(factor.as_uuid()))
        .filter(mfa_factors::Column::Kind.eq(FactorKind::Webauthn.as_str()))
        .filter(mfa_factors::Column::ConfirmedAt.is_not_null())
        .filter(mfa_factors::Column::Credential.eq(seen.as_bytes().to_vec()))
        .exec(db)
        .await
        .map_err(db_error)?;
    Ok(recorded.rows_affected == 1)
}
