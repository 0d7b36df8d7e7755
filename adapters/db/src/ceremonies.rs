//! [`CeremonyStates`] in the `webauthn_ceremonies` table. A take reads the row, then deletes it
//! by its key and the state it read; only the taker whose delete removed the row gets it, so a
//! ceremony taken twice at once, by one instance or two, is found once.

use async_trait::async_trait;
use postern_core::domain::{FactorName, UserId};
use postern_core::ports::{
    CeremonyPurpose, CeremonyState, CeremonyStates, PendingCeremony, PortResult,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use uuid::Uuid;

use super::entities::webauthn_ceremonies;
use super::error::{db_error, invalid_row};
use super::timestamps::stored;

/// WebAuthn ceremonies in progress on `db`, which must be migrated.
#[derive(Clone)]
pub struct SeaCeremonyStates {
    db: DatabaseConnection,
}

impl SeaCeremonyStates {
    /// The ceremonies on `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CeremonyStates for SeaCeremonyStates {
    async fn put(&self, ceremony: &PendingCeremony, now: OffsetDateTime) -> PortResult<()> {
        webauthn_ceremonies::Entity::delete_many()
            .filter(webauthn_ceremonies::Column::ExpiresAt.lt(stored(now)))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        let row = webauthn_ceremonies::ActiveModel {
            id: Set(ceremony.id),
            purpose: Set(ceremony.purpose.as_str().to_owned()),
            user_id: Set(ceremony.user_id.map(|user| user.as_uuid())),
            state: Set(ceremony.state.as_str().to_owned()),
            factor_name: Set(ceremony.factor_name.as_ref().map(|n| n.as_str().to_owned())),
            expires_at: Set(stored(ceremony.expires_at)),
        };
        webauthn_ceremonies::Entity::insert(row)
            .on_conflict(
                OnConflict::column(webauthn_ceremonies::Column::Id)
                    .update_columns([
                        webauthn_ceremonies::Column::Purpose,
                        webauthn_ceremonies::Column::UserId,
                        webauthn_ceremonies::Column::State,
                        webauthn_ceremonies::Column::FactorName,
                        webauthn_ceremonies::Column::ExpiresAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn take(
        &self,
        id: Uuid,
        purpose: CeremonyPurpose,
        now: OffsetDateTime,
    ) -> PortResult<Option<PendingCeremony>> {
        let Some(row) = webauthn_ceremonies::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        // By the state read too: a ceremony started again meanwhile is not taken for this one.
        let deleted = webauthn_ceremonies::Entity::delete_many()
            .filter(webauthn_ceremonies::Column::Id.eq(id))
            .filter(webauthn_ceremonies::Column::State.eq(row.state.clone()))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        if deleted.rows_affected == 0 || row.expires_at < now {
            return Ok(None);
        }
        let stored_purpose = CeremonyPurpose::from_storage(&row.purpose)
            .ok_or_else(|| invalid_row("webauthn_ceremonies.purpose", row.purpose.clone()))?;
        if stored_purpose != purpose {
            return Ok(None);
        }
        Ok(Some(PendingCeremony {
            id: row.id,
            purpose: stored_purpose,
            user_id: row.user_id.map(UserId::from_uuid),
            state: CeremonyState::from_stored(row.state),
            factor_name: row.factor_name.map(FactorName::from_storage),
            expires_at: row.expires_at,
        }))
    }
}
