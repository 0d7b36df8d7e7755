//! [`ImportTarget`] on SeaORM: imported accounts go into `users` with their own id, and only
//! where neither the id nor the email is taken, so that a re-run changes nothing that exists.
//!
//! One transaction per batch. Ids already present are found with one query; the rest are
//! inserted one by one with `ON CONFLICT DO NOTHING`, which lets the unique indexes settle
//! races and duplicates inside the batch (two source rows whose emails normalise alike) without
//! aborting the transaction. A row the database refused is then told apart by its id.

use std::collections::HashSet;

use async_trait::async_trait;
use postern_core::domain::{ImportOutcome, ImportedUser};
use postern_core::ports::ImportTarget;
use postern_core::ports::PortResult;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::entities::users;
use super::error::db_error;
use super::timestamps::stored;
use super::tx::{begin_write, commit};

/// Stores imported accounts in the `users` table.
#[derive(Clone)]
pub struct SeaImportTarget {
    db: DatabaseConnection,
}

impl SeaImportTarget {
    /// An import target on `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ImportTarget for SeaImportTarget {
    async fn insert_new(&self, batch: &[ImportedUser]) -> PortResult<Vec<ImportOutcome>> {
        let txn = begin_write(&self.db).await?;
        let present = existing_ids(&txn, batch.iter().map(|u| u.id.as_uuid())).await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for user in batch {
            let id = user.id.as_uuid();
            let outcome = if present.contains(&id) {
                ImportOutcome::AlreadyPresent
            } else if insert_if_free(&txn, user).await? {
                ImportOutcome::Imported
            } else if existing_ids(&txn, [id]).await?.is_empty() {
                ImportOutcome::EmailTaken
            } else {
                ImportOutcome::AlreadyPresent
            };
            outcomes.push(outcome);
        }
        commit(txn).await?;
        Ok(outcomes)
    }
}

async fn existing_ids(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> PortResult<HashSet<Uuid>> {
    let found: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await
        .map_err(db_error)?;
    Ok(found.into_iter().collect())
}

/// Inserts `user` unless its id or email is taken; whether it did.
async fn insert_if_free(conn: &impl ConnectionTrait, user: &ImportedUser) -> PortResult<bool> {
    let row = users::ActiveModel {
        id: Set(user.id.as_uuid()),
        email: Set(user.email.as_str().to_owned()),
        name: Set(None),
        role: Set(user.role.as_str().to_owned()),
        email_verified: Set(user.email_verified),
        password_hash: Set(user.password_hash.as_str().to_owned()),
        created_at: Set(stored(user.created_at)),
        updated_at: Set(stored(user.updated_at)),
        disabled_at: Set(None),
        deleted_at: Set(None),
    };
    // No conflict target: the email index must turn a conflict into a no-op as well as the
    // key (SeaORM's `on_conflict_do_nothing` targets the key alone).
    let result = users::Entity::insert(row)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(conn)
        .await;
    match result {
        Ok(rows) => Ok(rows > 0),
        Err(DbErr::RecordNotInserted) => Ok(false),
        Err(error) => Err(db_error(error)),
    }
}
