//! [`UserRepo`] in memory: the same rules as the SeaORM repository, each method one step under
//! the store's lock.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use postern_core::domain::{
    AccessUpdate, DisplayName, Email, Event, LockoutPolicy, LoginAttempt, LoginCounts, LoginKey,
    NewUser, PasswordHash, Role, SessionId, User, UserCredentials, UserId, UserQuery,
};
use postern_core::ports::{
    CreateUserError, DeleteAccountError, PortResult, UpdateAccessError, UpdateUserError, UserRepo,
};
use time::OffsetDateTime;

use super::{MemoryStore, Tables, UserRow, after_key, conflict, newest_first};

/// How often an attempt waiting for a login slot looks again.
const SLOT_POLL: Duration = Duration::from_millis(5);

impl UserRow {
    fn credentials(&self) -> UserCredentials {
        UserCredentials {
            user: self.user.clone(),
            password_hash: self.password_hash.clone(),
        }
    }
}

impl Tables {
    /// Whether `target` is the only enabled admin; under the store's lock, the check and the
    /// change that follows are one step.
    fn is_last_enabled_admin(&self, target: UserId) -> bool {
        let mut admins = self
            .users
            .values()
            .filter(|row| row.user.role == Role::Admin && !row.user.disabled);
        admins.next().is_some_and(|only| only.user.id == target) && admins.next().is_none()
    }
}

impl Tables {
    /// Erases what the store holds about `user` beside the account itself: its account tokens,
    /// its second factors and recovery codes, the login counts of its address, where its sessions came from, and the personal data of
    /// its stored events.
    fn erase_traces_of(&mut self, user: UserId, email: &Email) {
        self.account_tokens
            .retain(|_, row| row.record.user_id != user);
        self.erase_factors_of(user);
        self.login_counts.forget(email);
        for session in self.sessions.values_mut().filter(|s| s.user_id == user) {
            session.client = postern_core::domain::ClientContext::default();
        }
        let about = Some(user.as_uuid());
        for row in self
            .outbox
            .iter_mut()
            .filter(|row| row.event.user_id == about)
        {
            row.event.data.erase_personal_data();
        }
        for record in self.audit.values_mut().filter(|r| r.user_id == Some(user)) {
            if let Ok(mut event) = serde_json::from_str::<Event>(&record.event_json) {
                event.data.erase_personal_data();
                if let Ok(json) = serde_json::to_string(&event) {
                    record.event_json = json;
                }
            }
        }
    }
}

impl Tables {
    /// Stores a new account, unless its email or its id is taken.
    pub(super) fn insert_user(&mut self, user: &NewUser) -> Result<User, CreateUserError> {
        if self.users.values().any(|row| row.user.email == user.email) {
            return Err(CreateUserError::EmailTaken);
        }
        if self.users.contains_key(&user.id) {
            return Err(conflict("duplicate user id").into());
        }
        let created = User {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            email_verified: user.email_verified,
            disabled: false,
            created_at: user.created_at,
            updated_at: user.created_at,
        };
        self.users.insert(
            user.id,
            UserRow {
                user: created.clone(),
                password_hash: user.password_hash.clone(),
            },
        );
        Ok(created)
    }
}

#[async_trait]
impl UserRepo for MemoryStore {
    async fn create(&self, user: &NewUser, event: &Event) -> PortResult<User, CreateUserError> {
        let mut tables = self.lock();
        let created = tables.insert_user(user)?;
        tables.write_event(event);
        Ok(created)
    }

    async fn find_by_id(&self, id: UserId) -> PortResult<Option<User>> {
        Ok(self.lock().users.get(&id).map(|row| row.user.clone()))
    }

    async fn find_credentials(&self, email: &Email) -> PortResult<Option<UserCredentials>> {
        let tables = self.lock();
        let row = tables.users.values().find(|row| &row.user.email == email);
        Ok(row.map(UserRow::credentials))
    }

    async fn find_credentials_by_id(&self, id: UserId) -> PortResult<Option<UserCredentials>> {
        Ok(self.lock().users.get(&id).map(UserRow::credentials))
    }

    async fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<(), UpdateUserError> {
        let mut tables = self.lock();
        let row = tables.users.get_mut(&id).ok_or(UpdateUserError::NotFound)?;
        row.password_hash = hash.clone();
        row.user.updated_at = at;
        tables.spend_reset_tokens(id, at);
        tables.write_event(event);
        Ok(())
    }

    async fn replace_password_hash(&self, id: UserId, hash: &PasswordHash) -> PortResult<()> {
        if let Some(row) = self.lock().users.get_mut(&id) {
            row.password_hash = hash.clone();
        }
        Ok(())
    }

    async fn begin_login_attempt(
        &self,
        key: &LoginKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> PortResult<LoginAttempt> {
        let give_up = Instant::now() + policy.wait_for_slot.unsigned_abs();
        loop {
            let reserved = {
                let mut tables = self.lock();
                tables.login_counts.sweep(at, &policy);
                tables
                    .login_counts
                    .change(key, |counts| counts.reserve(at, &policy))
            };
            match reserved {
                Some(attempt) => return Ok(attempt),
                None if Instant::now() >= give_up => return Ok(LoginAttempt::Busy),
                None => tokio::time::sleep(SLOT_POLL).await,
            }
        }
    }

    async fn record_login_failure(
        &self,
        key: &LoginKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
        event: &Event,
    ) -> PortResult<()> {
        let mut tables = self.lock();
        tables
            .login_counts
            .change(key, |counts| counts.fail(at, &policy));
        tables.write_event(event);
        Ok(())
    }

    async fn record_login_success(&self, key: &LoginKey) -> PortResult<()> {
        self.lock().login_counts.change(key, LoginCounts::succeed);
        Ok(())
    }

    async fn abandon_login_attempt(&self, key: &LoginKey) -> PortResult<()> {
        self.lock().login_counts.change(key, LoginCounts::abandon);
        Ok(())
    }

    async fn update_name(
        &self,
        id: UserId,
        name: Option<DisplayName>,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<User, UpdateUserError> {
        let mut tables = self.lock();
        let row = tables.users.get_mut(&id).ok_or(UpdateUserError::NotFound)?;
        row.user.name = name;
        row.user.updated_at = at;
        let user = row.user.clone();
        tables.write_event(event);
        Ok(user)
    }

    async fn list(&self, query: &UserQuery) -> PortResult<Vec<User>> {
        let tables = self.lock();
        let matching = tables
            .users
            .values()
            .map(|row| &row.user)
            .filter(|user| {
                query
                    .email
                    .as_ref()
                    .is_none_or(|prefix| user.email.as_str().starts_with(prefix.as_str()))
            })
            .filter(|user| after_key(user.created_at, user.id.as_uuid(), query.page.after))
            .cloned()
            .collect();
        Ok(newest_first(matching, query.page.limit, |user| {
            (user.created_at, user.id.as_uuid())
        }))
    }

    async fn update_access(
        &self,
        id: UserId,
        update: &AccessUpdate,
        events: &[Event],
    ) -> PortResult<(User, Vec<SessionId>), UpdateAccessError> {
        let mut tables = self.lock();
        if tables.deleted.contains(&id) {
            return Err(UpdateAccessError::NotFound);
        }
        if update.removes_admin_rights() && tables.is_last_enabled_admin(id) {
            return Err(UpdateAccessError::LastAdmin);
        }
        let row = tables
            .users
            .get_mut(&id)
            .ok_or(UpdateAccessError::NotFound)?;
        if let Some(role) = update.role {
            row.user.role = role;
        }
        if let Some(disabled) = update.disabled {
            row.user.disabled = disabled;
        }
        row.user.updated_at = update.at;
        let user = row.user.clone();
        let revoked = if update.ends_sessions() {
            tables.revoke_where(id, update.at, |_| true)
        } else {
            Vec::new()
        };
        for event in events {
            tables.write_event(event);
        }
        Ok((user, revoked))
    }

    async fn delete_account(
        &self,
        id: UserId,
        at: OffsetDateTime,
        events: &[Event],
    ) -> PortResult<Vec<SessionId>, DeleteAccountError> {
        let mut tables = self.lock();
        if !tables.users.contains_key(&id) || tables.deleted.contains(&id) {
            return Err(DeleteAccountError::NotFound);
        }
        if tables.is_last_enabled_admin(id) {
            return Err(DeleteAccountError::LastAdmin);
        }
        let placeholder = Email::erased(id);
        let row = tables
            .users
            .get_mut(&id)
            .ok_or(DeleteAccountError::NotFound)?;
        let email = std::mem::replace(&mut row.user.email, placeholder);
        row.user.name = None;
        row.user.disabled = true;
        row.user.updated_at = at;
        row.password_hash = PasswordHash::new(String::new());
        tables.deleted.insert(id);
        let revoked = tables.revoke_where(id, at, |_| true);
        tables.erase_traces_of(id, &email);
        tables.forget_sign_ins_of(id);
        for event in events {
            tables.write_event(event);
        }
        Ok(revoked)
    }
}
