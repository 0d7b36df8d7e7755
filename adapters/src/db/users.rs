//! [`UserRepo`] on SeaORM. Emails arrive normalised, so the unique index `users_email_key`
//! decides between concurrent signups with one address; its violation becomes
//! [`postern_core::Error::EmailTaken`]. Each change and its event commit together.

use async_trait::async_trait;
use postern_core::domain::{
    DisplayName, Email, Event, NewUser, PasswordHash, Role, User, UserCredentials, UserId,
};
use postern_core::ports::UserRepo;
use postern_core::{Error, Result};
use sea_orm::sea_query::{Expr, IntoCondition};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use time::OffsetDateTime;

use super::entities::users;
use super::error::{db_error, invalid_row};
use super::timestamps::stored;
use super::tx::{begin_write, commit, rollback, write_event};

/// Stores user accounts in the `users` table.
#[derive(Clone)]
pub struct SeaUserRepo {
    db: DatabaseConnection,
}

impl SeaUserRepo {
    /// A repository on `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn find_row(&self, filter: impl IntoCondition) -> Result<Option<users::Model>> {
        users::Entity::find()
            .filter(filter)
            .one(&self.db)
            .await
            .map_err(db_error)
    }
}

#[async_trait]
impl UserRepo for SeaUserRepo {
    async fn create(&self, user: &NewUser, event: &Event) -> Result<User> {
        let created_at = stored(user.created_at);
        let row = users::ActiveModel {
            id: Set(user.id.as_uuid()),
            email: Set(user.email.as_str().to_owned()),
            name: Set(user.name.as_ref().map(|n| n.as_str().to_owned())),
            role: Set(user.role.as_str().to_owned()),
            email_verified: Set(false),
            password_hash: Set(user.password_hash.as_str().to_owned()),
            created_at: Set(created_at),
            updated_at: Set(created_at),
        };
        let txn = begin_write(&self.db).await?;
        let created = row.insert(&txn).await.map_err(db_error)?;
        write_event(&txn, event).await?;
        commit(txn).await?;
        to_user(created)
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>> {
        self.find_row(users::Column::Id.eq(id.as_uuid()))
            .await?
            .map(to_user)
            .transpose()
    }

    async fn find_credentials(&self, email: &Email) -> Result<Option<UserCredentials>> {
        let Some(row) = self
            .find_row(users::Column::Email.eq(email.as_str()))
            .await?
        else {
            return Ok(None);
        };
        let password_hash = PasswordHash::new(row.password_hash.clone());
        Ok(Some(UserCredentials {
            user: to_user(row)?,
            password_hash,
        }))
    }

    async fn replace_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<()> {
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash.as_str()))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn update_name(
        &self,
        id: UserId,
        name: Option<DisplayName>,
        at: OffsetDateTime,
        event: &Event,
    ) -> Result<User> {
        let txn = begin_write(&self.db).await?;
        let updated = users::Entity::update_many()
            .col_expr(
                users::Column::Name,
                Expr::value(name.map(|n| n.as_str().to_owned())),
            )
            .col_expr(users::Column::UpdatedAt, Expr::value(stored(at)))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        let Some(row) = updated.into_iter().next() else {
            rollback(txn).await?;
            return Err(Error::NotFound);
        };
        write_event(&txn, event).await?;
        commit(txn).await?;
        to_user(row)
    }
}

/// The domain's account from a row, re-validating what the domain's types guarantee.
fn to_user(row: users::Model) -> Result<User> {
    let email = Email::parse(&row.email).map_err(|e| invalid_row("users.email", e.message))?;
    let name = row
        .name
        .as_deref()
        .map(DisplayName::parse)
        .transpose()
        .map_err(|e| invalid_row("users.name", e.message))?;
    let role = Role::parse(&row.role).map_err(|e| invalid_row("users.role", e.message))?;
    Ok(User {
        id: UserId::from_uuid(row.id),
        email,
        name,
        role,
        email_verified: row.email_verified,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
