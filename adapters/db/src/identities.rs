//! [`IdentityRepo`] in the `user_identities` table. The unique index on (provider, subject)
//! decides which of two links of one identity wins; an unlink locks its account's row, so the
//! count of sign-in methods it checks cannot change before it removes one.

use async_trait::async_trait;
use postern_core::domain::{Email, Event, IdentityId, NewUser, User, UserId};
use postern_core::ports::{
    CreateLinkedAccountError, CreateUserError, IdentityRepo, LinkIdentityError, LinkedIdentity,
    PortResult, ProviderName, Subject, UnlinkIdentityError,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use super::entities::{user_identities, users};
use super::error::{db_error, invalid_row};
use super::timestamps::stored;
use super::tx::{begin_write, commit, rollback, write_event};
use super::users::insert_user;

/// Linked identities on `db`, which must be migrated.
#[derive(Clone)]
pub struct SeaIdentityRepo {
    db: DatabaseConnection,
}

impl SeaIdentityRepo {
    /// A repository on `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl IdentityRepo for SeaIdentityRepo {
    async fn find(
        &self,
        provider: &ProviderName,
        subject: &Subject,
    ) -> PortResult<Option<LinkedIdentity>> {
        user_identities::Entity::find()
            .filter(user_identities::Column::Provider.eq(provider.as_str()))
            .filter(user_identities::Column::Subject.eq(subject.as_str()))
            .one(&self.db)
            .await
            .map_err(db_error)?
            .map(to_identity)
            .transpose()
    }

    async fn list(&self, user: UserId) -> PortResult<Vec<LinkedIdentity>> {
        user_identities::Entity::find()
            .filter(user_identities::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(user_identities::Column::LinkedAt)
            .order_by_asc(user_identities::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(to_identity)
            .collect()
    }

    async fn link(
        &self,
        identity: &LinkedIdentity,
        event: &Event,
    ) -> PortResult<(), LinkIdentityError> {
        let txn = begin_write(&self.db).await?;
        if live_account(&txn, identity.user_id, false).await?.is_none() {
            rollback(txn).await?;
            return Err(LinkIdentityError::UnknownUser);
        }
        if let Err(err) = insert_identity(&txn, identity).await {
            rollback(txn).await?;
            return Err(link_error(err));
        }
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(())
    }

    async fn create_account(
        &self,
        user: &NewUser,
        identity: &LinkedIdentity,
        events: &[Event],
    ) -> PortResult<User, CreateLinkedAccountError> {
        let txn = begin_write(&self.db).await?;
        let created = match insert_user(&txn, user).await {
            Ok(created) => created,
            Err(error) => {
                rollback(txn).await?;
                return Err(match error {
                    CreateUserError::EmailTaken => CreateLinkedAccountError::EmailTaken,
                    CreateUserError::Port(port) => CreateLinkedAccountError::Port(port),
                });
            }
        };
        if let Err(err) = insert_identity(&txn, identity).await {
            rollback(txn).await?;
            return Err(match link_error(err) {
                LinkIdentityError::Port(port) => CreateLinkedAccountError::Port(port),
                _ => CreateLinkedAccountError::AlreadyLinked,
            });
        }
        for event in events {
            write_event(&txn, event).await?;
        }
        commit(txn).await?;
        Ok(created)
    }

    async fn unlink(
        &self,
        user: UserId,
        id: IdentityId,
        event: &Event,
    ) -> PortResult<LinkedIdentity, UnlinkIdentityError> {
        let txn = begin_write(&self.db).await?;
        let Some(account) = live_account(&txn, user, true).await? else {
            rollback(txn).await?;
            return Err(UnlinkIdentityError::NotFound);
        };
        let row = user_identities::Entity::find_by_id(id.as_uuid())
            .filter(user_identities::Column::UserId.eq(user.as_uuid()))
            .one(&txn)
            .await
            .map_err(db_error)?;
        let Some(row) = row else {
            rollback(txn).await?;
            return Err(UnlinkIdentityError::NotFound);
        };
        if sign_in_methods(&txn, &account).await? <= 1 {
            rollback(txn).await?;
            return Err(UnlinkIdentityError::LastSignInMethod);
        }
        user_identities::Entity::delete_by_id(id.as_uuid())
            .exec(&txn)
            .await
            .map_err(db_error)?;
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(to_identity(row)?)
    }

    async fn count_sign_in_methods(&self, user: UserId) -> PortResult<u32> {
        match live_account(&self.db, user, false).await? {
            Some(account) => sign_in_methods(&self.db, &account).await,
            None => Ok(0),
        }
    }
}

/// The account `user` unless it is unknown or deleted; with `lock`, its row stays locked
/// until the transaction ends (PostgreSQL; SQLite's write transaction already excludes
/// every other writer).
async fn live_account(
    conn: &impl ConnectionTrait,
    user: UserId,
    lock: bool,
) -> PortResult<Option<users::Model>> {
    let mut query =
        users::Entity::find_by_id(user.as_uuid()).filter(users::Column::DeletedAt.is_null());
    if lock {
        query = query.lock_exclusive();
    }
    query.one(conn).await.map_err(db_error)
}

/// The account's password, when it has one (an account without stores an empty hash), and
/// its linked identities.
async fn sign_in_methods(conn: &impl ConnectionTrait, account: &users::Model) -> PortResult<u32> {
    let identities = user_identities::Entity::find()
        .filter(user_identities::Column::UserId.eq(account.id))
        .count(conn)
        .await
        .map_err(db_error)?;
    let password = u64::from(!account.password_hash.is_empty());
    Ok(u32::try_from(identities.saturating_add(password)).unwrap_or(u32::MAX))
}

/// Inserts `identity`'s row inside `conn`'s transaction.
async fn insert_identity(
    conn: &impl ConnectionTrait,
    identity: &LinkedIdentity,
) -> Result<(), DbErr> {
    let row = user_identities::ActiveModel {
        id: Set(identity.id.as_uuid()),
        user_id: Set(identity.user_id.as_uuid()),
        provider: Set(identity.provider.as_str().to_owned()),
        subject: Set(identity.subject.as_str().to_owned()),
        email: Set(identity.email.as_ref().map(|e| e.as_str().to_owned())),
        linked_at: Set(stored(identity.linked_at)),
    };
    user_identities::Entity::insert(row)
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

/// A unique violation (of (provider, subject), or of the id) is a link that exists already.
fn link_error(err: DbErr) -> LinkIdentityError {
    if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        LinkIdentityError::AlreadyLinked
    } else {
        db_error(err).into()
    }
}

/// The domain's identity from a row, re-validating what the domain's types guarantee.
fn to_identity(row: user_identities::Model) -> PortResult<LinkedIdentity> {
    let provider = ProviderName::parse(&row.provider)
        .map_err(|e| invalid_row("user_identities.provider", e.to_string()))?;
    let email = row
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| invalid_row("user_identities.email", e.message))?;
    Ok(LinkedIdentity {
        id: IdentityId::from_uuid(row.id),
        provider,
        subject: Subject::new(row.subject),
        user_id: UserId::from_uuid(row.user_id),
        email,
        linked_at: row.linked_at,
    })
}
