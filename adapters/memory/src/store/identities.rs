//! [`IdentityRepo`] in memory: the same rules as the SeaORM repository, each method one step
//! under the store's lock, which makes the last-sign-in-method check and the removal atomic.

use async_trait::async_trait;
use postern_core::domain::{Event, IdentityId, NewUser, User, UserId};
use postern_core::ports::{
    CreateLinkedAccountError, CreateUserError, IdentityRepo, LinkIdentityError, LinkedIdentity,
    PortResult, ProviderName, Subject, UnlinkIdentityError,
};

use super::{MemoryStore, Tables};

impl Tables {
    /// The identities of `user`, oldest link first.
    fn identities_of(&self, user: UserId) -> Vec<LinkedIdentity> {
        let mut linked: Vec<LinkedIdentity> = self
            .identities
            .values()
            .filter(|identity| identity.user_id == user)
            .cloned()
            .collect();
        linked.sort_by_key(|identity| (identity.linked_at, identity.id));
        linked
    }

    /// The account's password (when it has one) and its identities.
    fn sign_in_methods(&self, user: UserId) -> u32 {
        let Some(row) = self.users.get(&user) else {
            return 0;
        };
        let password = u32::from(!row.password_hash.as_str().is_empty());
        let identities = self
            .identities
            .values()
            .filter(|identity| identity.user_id == user)
            .count();
        password.saturating_add(u32::try_from(identities).unwrap_or(u32::MAX))
    }

    /// Whether `identity`'s (provider, subject), or its id, is linked already.
    fn is_linked(&self, identity: &LinkedIdentity) -> bool {
        self.identities.contains_key(&identity.id)
            || self.identities.values().any(|linked| {
                linked.provider == identity.provider && linked.subject == identity.subject
            })
    }

    /// Forgets every identity and sign-in grant of a deleted account.
    pub(super) fn forget_sign_ins_of(&mut self, user: UserId) {
        self.identities
            .retain(|_, identity| identity.user_id != user);
        self.login_codes.retain(|_, code| code.user_id != user);
        self.pending_sign_ins
            .retain(|_, pending| pending.link_to != Some(user));
    }
}

#[async_trait]
impl IdentityRepo for MemoryStore {
    async fn find(
        &self,
        provider: &ProviderName,
        subject: &Subject,
    ) -> PortResult<Option<LinkedIdentity>> {
        Ok(self
            .lock()
            .identities
            .values()
            .find(|identity| &identity.provider == provider && &identity.subject == subject)
            .cloned())
    }

    async fn list(&self, user: UserId) -> PortResult<Vec<LinkedIdentity>> {
        Ok(self.lock().identities_of(user))
    }

    async fn link(
        &self,
        identity: &LinkedIdentity,
        event: &Event,
    ) -> PortResult<(), LinkIdentityError> {
        let mut tables = self.lock();
        let user = identity.user_id;
        if !tables.users.contains_key(&user) || tables.deleted.contains(&user) {
            return Err(LinkIdentityError::UnknownUser);
        }
        if tables.is_linked(identity) {
            return Err(LinkIdentityError::AlreadyLinked);
        }
        tables.identities.insert(identity.id, identity.clone());
        tables.write_event(event);
        Ok(())
    }

    async fn create_account(
        &self,
        user: &NewUser,
        identity: &LinkedIdentity,
        events: &[Event],
    ) -> PortResult<User, CreateLinkedAccountError> {
        let mut tables = self.lock();
        if tables.is_linked(identity) {
            return Err(CreateLinkedAccountError::AlreadyLinked);
        }
        let created = tables.insert_user(user).map_err(|error| match error {
            CreateUserError::EmailTaken => CreateLinkedAccountError::EmailTaken,
            CreateUserError::Port(port) => CreateLinkedAccountError::Port(port),
        })?;
        tables.identities.insert(identity.id, identity.clone());
        for event in events {
            tables.write_event(event);
        }
        Ok(created)
    }

    async fn unlink(
        &self,
        user: UserId,
        id: IdentityId,
        event: &Event,
    ) -> PortResult<LinkedIdentity, UnlinkIdentityError> {
        let mut tables = self.lock();
        let owned = tables
            .identities
            .get(&id)
            .is_some_and(|identity| identity.user_id == user);
        if !owned {
            return Err(UnlinkIdentityError::NotFound);
        }
        if tables.sign_in_methods(user) <= 1 {
            return Err(UnlinkIdentityError::LastSignInMethod);
        }
        let removed = tables
            .identities
            .remove(&id)
            .ok_or(UnlinkIdentityError::NotFound)?;
        tables.write_event(event);
        Ok(removed)
    }

    async fn count_sign_in_methods(&self, user: UserId) -> PortResult<u32> {
        Ok(self.lock().sign_in_methods(user))
    }
}
