//! The rule that the service always keeps an enabled admin (docs/http-api.md §5), decided inside
//! the transaction of the access change that could break it.
//!
//! Counting admins and then changing one is a race under PostgreSQL's read committed: two admins
//! demoting each other at once would each count the other and both commit. So the enabled admins'
//! rows are locked first (`FOR UPDATE`, in id order, so two changes cannot deadlock): the second
//! change waits for the first to commit, and PostgreSQL then re-checks its condition against the
//! row the first left, so an admin demoted meanwhile is no longer counted. SQLite has one writer
//! (`BEGIN IMMEDIATE`) and ignores the lock clause.

use postern_core::domain::{Role, UserId};
use postern_core::ports::PortError;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::users;
use super::error::db_error;

/// Whether `target` is the only enabled admin, with every enabled admin's row locked until
/// `txn` ends.
pub(super) async fn is_last_enabled_admin(
    txn: &DatabaseTransaction,
    target: UserId,
) -> Result<bool, PortError> {
    let admins: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Role.eq(Role::Admin.as_str()))
        .filter(users::Column::DisabledAt.is_null())
        .order_by_asc(users::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .all(txn)
        .await
        .map_err(db_error)?;
    Ok(admins == [target.as_uuid()])
}
