//! [`UserRepo`] on SeaORM. Emails arrive normalised, so the unique index `users_email_key`
//! decides between concurrent signups with one address; its violation becomes
//! [`postern_core::ports::CreateUserError::EmailTaken`]. Each change and its event commit together.
//!
//! Lockout (docs/http-api.md §3) keeps its counts by email and client in `login_counts`, for
//! unknown emails as for accounts (see the `login_counts` module).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use postern_core::domain::{
    AccessUpdate, DisplayName, Email, Event, LockoutPolicy, LoginAttempt, LoginCounts, LoginKey,
    NewUser, PasswordHash, Role, SessionId, User, UserCredentials, UserId, UserQuery,
};
use postern_core::ports::{
    CreateUserError, DeleteAccountError, PortResult, UpdateAccessError, UpdateUserError, UserRepo,
};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, Order};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use time::OffsetDateTime;

use super::account_tokens::spend_reset_tokens;
use super::admins::is_last_enabled_admin;
use super::entities::users;
use super::erasure::erase_traces;
use super::error::{creation_error, db_error, invalid_row};
use super::login_counts;
use super::page::{after_key, prefix_range};
use super::sessions::revoke_live_sessions;
use super::timestamps::{in_time_order, stored};
use super::tx::{begin_write, commit, rollback, write_event};

/// How often an attempt waiting for a login slot looks again.
const SLOT_POLL: Duration = Duration::from_millis(10);

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

    async fn find_row(&self, filter: impl IntoCondition) -> PortResult<Option<users::Model>> {
        users::Entity::find()
            .filter(filter)
            .one(&self.db)
            .await
            .map_err(db_error)
    }
}

#[async_trait]
impl UserRepo for SeaUserRepo {
    async fn create(&self, user: &NewUser, event: &Event) -> PortResult<User, CreateUserError> {
        let txn = begin_write(&self.db).await?;
        let created = insert_user(&txn, user).await?;
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(created)
    }

    async fn find_by_id(&self, id: UserId) -> PortResult<Option<User>> {
        self.find_row(users::Column::Id.eq(id.as_uuid()))
            .await?
            .map(to_user)
            .transpose()
    }

    async fn find_credentials(&self, email: &Email) -> PortResult<Option<UserCredentials>> {
        self.find_row(users::Column::Email.eq(email.as_str()))
            .await?
            .map(to_credentials)
            .transpose()
    }

    async fn find_credentials_by_id(&self, id: UserId) -> PortResult<Option<UserCredentials>> {
        self.find_row(users::Column::Id.eq(id.as_uuid()))
            .await?
            .map(to_credentials)
            .transpose()
    }

    async fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<(), UpdateUserError> {
        let txn = begin_write(&self.db).await?;
        let changed = users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash.as_str()))
            .col_expr(users::Column::UpdatedAt, Expr::value(stored(at)))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if changed.rows_affected == 0 {
            rollback(txn).await?;
            return Err(UpdateUserError::NotFound);
        }
        spend_reset_tokens(&txn, id.as_uuid(), at).await?;
        write_event(&txn, event).await?;
        Ok(commit(txn).await?)
    }

    async fn replace_password_hash(&self, id: UserId, hash: &PasswordHash) -> PortResult<()> {
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash.as_str()))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn begin_login_attempt(
        &self,
        key: &LoginKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> PortResult<LoginAttempt> {
        let at = stored(at);
        let give_up = Instant::now() + policy.wait_for_slot.unsigned_abs();
        loop {
            let reserved = login_counts::change_counts(&self.db, key, None, |counts| {
                counts.reserve(at, &policy)
            })
            .await?;
            if let Some(attempt) = reserved {
                login_counts::prune(&self.db, at, &policy).await?;
                return Ok(attempt);
            }
            if Instant::now() >= give_up {
                return Ok(LoginAttempt::Busy);
            }
            tokio::time::sleep(SLOT_POLL).await;
        }
    }

    async fn record_login_failure(
        &self,
        key: &LoginKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
        event: &Event,
    ) -> PortResult<()> {
        let at = stored(at);
        login_counts::change_counts(&self.db, key, Some(event), |counts| {
            counts.fail(at, &policy);
        })
        .await
    }

    async fn record_login_success(&self, key: &LoginKey) -> PortResult<()> {
        login_counts::change_counts(&self.db, key, None, LoginCounts::succeed).await
    }

    async fn abandon_login_attempt(&self, key: &LoginKey) -> PortResult<()> {
        login_counts::change_counts(&self.db, key, None, LoginCounts::abandon).await
    }

    async fn update_name(
        &self,
        id: UserId,
        name: Option<DisplayName>,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<User, UpdateUserError> {
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
            return Err(UpdateUserError::NotFound);
        };
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(to_user(row)?)
    }

    async fn list(&self, query: &UserQuery) -> PortResult<Vec<User>> {
        let backend = self.db.get_database_backend();
        let mut select = users::Entity::find();
        if let Some(prefix) = &query.email {
            select = select.filter(prefix_range(backend, "email", prefix.as_str()));
        }
        if let Some(key) = query.page.after {
            select = select.filter(after_key(
                backend,
                users::Column::CreatedAt,
                users::Column::Id,
                key,
            ));
        }
        let rows = select
            .order_by(
                in_time_order(backend, Expr::col(users::Column::CreatedAt)),
                Order::Desc,
            )
            .order_by(users::Column::Id, Order::Desc)
            .limit(u64::from(query.page.limit.get()) + 1)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(to_user).collect()
    }

    async fn update_access(
        &self,
        id: UserId,
        update: &AccessUpdate,
        events: &[Event],
    ) -> PortResult<(User, Vec<SessionId>), UpdateAccessError> {
        let at = stored(update.at);
        let mut change = users::Entity::update_many()
            .col_expr(users::Column::UpdatedAt, Expr::value(at))
            .filter(users::Column::Id.eq(id.as_uuid()))
            // A deleted account stays deleted: enabling it would bring back an empty husk.
            .filter(users::Column::DeletedAt.is_null());
        if let Some(role) = update.role {
            change = change.col_expr(users::Column::Role, Expr::value(role.as_str()));
        }
        match update.disabled {
            // The first disabling's time stays.
            Some(true) => {
                change = change.col_expr(
                    users::Column::DisabledAt,
                    Expr::col(users::Column::DisabledAt).if_null(at),
                );
            }
            Some(false) => {
                change = change.col_expr(
                    users::Column::DisabledAt,
                    Expr::value(None::<OffsetDateTime>),
                );
            }
            None => {}
        }
        let txn = begin_write(&self.db).await?;
        if update.removes_admin_rights() && is_last_enabled_admin(&txn, id).await? {
            rollback(txn).await?;
            return Err(UpdateAccessError::LastAdmin);
        }
        let updated = change.exec_with_returning(&txn).await.map_err(db_error)?;
        let Some(row) = updated.into_iter().next() else {
            rollback(txn).await?;
            return Err(UpdateAccessError::NotFound);
        };
        let revoked = if update.ends_sessions() {
            revoke_live_sessions(&txn, id, at).await?
        } else {
            Vec::new()
        };
        for event in events {
            write_event(&txn, event).await?;
        }
        commit(txn).await?;
        Ok((to_user(row)?, revoked))
    }

    async fn delete_account(
        &self,
        id: UserId,
        at: OffsetDateTime,
        events: &[Event],
    ) -> PortResult<Vec<SessionId>, DeleteAccountError> {
        let txn = begin_write(&self.db).await?;
        let row = users::Entity::find_by_id(id.as_uuid())
            .filter(users::Column::DeletedAt.is_null())
            .lock_exclusive()
            .one(&txn)
            .await
            .map_err(db_error)?;
        let Some(row) = row else {
            rollback(txn).await?;
            return Err(DeleteAccountError::NotFound);
        };
        if is_last_enabled_admin(&txn, id).await? {
            rollback(txn).await?;
            return Err(DeleteAccountError::LastAdmin);
        }
        let email = to_user(row)?.email;
        let at_stored = stored(at);
        users::Entity::update_many()
            .col_expr(
                users::Column::Email,
                Expr::value(Email::erased(id).as_str()),
            )
            .col_expr(users::Column::Name, Expr::value(Option::<String>::None))
            .col_expr(users::Column::PasswordHash, Expr::value(""))
            .col_expr(
                users::Column::DisabledAt,
                Expr::col(users::Column::DisabledAt).if_null(at_stored),
            )
            .col_expr(users::Column::DeletedAt, Expr::value(at_stored))
            .col_expr(users::Column::UpdatedAt, Expr::value(at_stored))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        let revoked = revoke_live_sessions(&txn, id, at).await?;
        erase_traces(&txn, id, &email).await?;
        for event in events {
            write_event(&txn, event).await?;
        }
        commit(txn).await?;
        Ok(revoked)
    }
}

/// The domain's account and its password hash from a row.
fn to_credentials(row: users::Model) -> PortResult<UserCredentials> {
    let password_hash = PasswordHash::new(row.password_hash.clone());
    Ok(UserCredentials {
        user: to_user(row)?,
        password_hash,
    })
}

/// Inserts the new account `user` inside `conn`'s transaction.
///
/// # Errors
/// [`CreateUserError::EmailTaken`] when the unique index on the email refuses it.
pub(super) async fn insert_user(
    conn: &impl ConnectionTrait,
    user: &NewUser,
) -> PortResult<User, CreateUserError> {
    let created_at = stored(user.created_at);
    let row = users::ActiveModel {
        id: Set(user.id.as_uuid()),
        email: Set(user.email.as_str().to_owned()),
        name: Set(user.name.as_ref().map(|n| n.as_str().to_owned())),
        role: Set(user.role.as_str().to_owned()),
        email_verified: Set(user.email_verified),
        password_hash: Set(user.password_hash.as_str().to_owned()),
        created_at: Set(created_at),
        updated_at: Set(created_at),
        disabled_at: Set(None),
        deleted_at: Set(None),
    };
    let created = row.insert(conn).await.map_err(creation_error)?;
    Ok(to_user(created)?)
}

/// The domain's account from a row, re-validating what the domain's types guarantee.
pub(super) fn to_user(row: users::Model) -> PortResult<User> {
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
        disabled: row.disabled_at.is_some(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
