//! Administration of accounts (docs/http-api.md §5): list them, change their role or disable them,
//! drop a cached profile, and read the audit log.
//!
//! Changing access follows the rules of the contract: the change and its events commit
//! together; disabling or a new role revokes every session of the account in that same
//! transaction and then rejects their access tokens at once, like logout-all, so that no token
//! keeps announcing a role the account no longer has; every change caches the account as stored,
//! which no older cached copy can replace.
//! An admin may not demote or disable themselves, and the repository refuses, inside the
//! transaction, any change that would leave no enabled admin (two admins demoting each other
//! at once would otherwise both succeed).

use std::sync::Arc;

use tracing::{info, instrument};

use super::Ports;
use super::revoker::Revoker;
use crate::domain::{
    AccessChange, AccessUpdate, Actor, AuditQuery, AuditRecord, Email, Event, EventData, Page,
    PageKey, Role, SessionPolicy, User, UserId, UserQuery,
};
use crate::error::BoxError;
use crate::ports::{AuditTrail, PortResult, ProfileCache, UpdateAccessError, UserRepo};

/// Lists accounts for managers and admins (docs/http-api.md §5).
pub struct ListUsers {
    users: Arc<dyn UserRepo>,
}

impl ListUsers {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
        }
    }

    /// One page of accounts, newest first, and where the next page starts.
    #[instrument(skip_all, name = "list_users")]
    pub async fn execute(&self, query: UserQuery) -> PortResult<Page<User>> {
        let users = self.users.list(&query).await?;
        Ok(Page::from_overfetch(users, query.page.limit, |u| PageKey {
            at: u.created_at,
            id: u.id.as_uuid(),
        }))
    }
}

/// Why an account's access was not changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeAccessError {
    /// An admin asked to lower their own role (`demote`), to disable themselves (`disable`),
    /// or both.
    #[error("an admin cannot demote or disable themselves")]
    SelfHarm {
        /// The change would lower the admin's own role.
        demote: bool,
        /// The change would disable the admin's own account.
        disable: bool,
    },
    /// No account has this id (or, by email, this email).
    #[error("no such account")]
    NotFound,
    /// The change would leave the service without an enabled admin.
    #[error("the last enabled admin cannot lose admin rights")]
    LastAdmin,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Changes an account's role or disables it (docs/http-api.md §5 PATCH, `postern user set-role`).
pub struct ChangeAccess {
    users: Arc<dyn UserRepo>,
    revoker: Revoker,
}

impl ChangeAccess {
    /// Builds the use case from its ports; revoked access tokens stay rejected for as long as
    /// `policy` lets them live.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            users: ports.users.clone(),
            revoker: Revoker::new(ports, policy),
        }
    }

    /// Applies `change` to the account `target` on behalf of `actor`, and returns the account
    /// as it is now. Only what differs from the stored account is changed and announced
    /// (`user.role_changed`, `user.disabled`); a new role or a disabling ends every session of
    /// the account, and asking to disable a disabled account revokes any session it still has.
    /// Every call caches the account as stored, even one that changes nothing, so that a retry
    /// after a failed cache write repairs it.
    ///
    /// # Errors
    /// [`ChangeAccessError::SelfHarm`] when an admin would demote or disable themselves;
    /// [`ChangeAccessError::NotFound`] when the account does not exist;
    /// [`ChangeAccessError::LastAdmin`] when no other enabled admin would remain.
    #[instrument(skip_all, name = "change_access", fields(user_id = %target))]
    pub async fn execute(
        &self,
        actor: Actor,
        target: UserId,
        change: AccessChange,
    ) -> Result<User, ChangeAccessError> {
        refuse_self_harm(actor, target, change)?;
        let current = self
            .users
            .find_by_id(target)
            .await?
            .ok_or(ChangeAccessError::NotFound)?;
        let now = self.revoker.clock.now();
        let update = AccessUpdate {
            role: change.role.filter(|role| *role != current.role),
            // Enabling an enabled account is nothing to store; disabling is stored again, so
            // that a session started while the first disabling committed is revoked too.
            disabled: change.disabled.filter(|d| *d || current.disabled),
            at: now,
        };
        if update.role.is_none() && update.disabled.is_none() {
            self.revoker
                .reject_access_tokens_and_recache(&current, &[], now)
                .await?;
            return Ok(current);
        }
        let events = announce(&current, &update, actor);
        let (user, revoked) = self
            .users
            .update_access(target, &update, &events)
            .await
            .map_err(|error| match error {
                UpdateAccessError::NotFound => ChangeAccessError::NotFound,
                UpdateAccessError::LastAdmin => ChangeAccessError::LastAdmin,
                UpdateAccessError::Port(error) => error.into(),
            })?;
        self.revoker
            .reject_access_tokens_and_recache(&user, &revoked, now)
            .await?;
        info!(role = %user.role, disabled = user.disabled, revoked = revoked.len(), "access changed");
        Ok(user)
    }

    /// [`Self::execute`] for the account with `email`, for the command line.
    ///
    /// # Errors
    /// As [`Self::execute`]; [`ChangeAccessError::NotFound`] when no account has this email.
    pub async fn execute_by_email(
        &self,
        actor: Actor,
        email: &Email,
        change: AccessChange,
    ) -> Result<User, ChangeAccessError> {
        let account = self
            .users
            .find_credentials(email)
            .await?
            .ok_or(ChangeAccessError::NotFound)?;
        self.execute(actor, account.user.id, change).await
    }
}

/// An admin may not lower their own role or disable themselves: the guard would lock them out
/// mid-operation, and the last admin could leave the service without one.
fn refuse_self_harm(
    actor: Actor,
    target: UserId,
    change: AccessChange,
) -> Result<(), ChangeAccessError> {
    if actor != Actor::Admin(target) {
        return Ok(());
    }
    let demote = change.role.is_some_and(|role| role < Role::Admin);
    let disable = change.disabled == Some(true);
    if demote || disable {
        Err(ChangeAccessError::SelfHarm { demote, disable })
    } else {
        Ok(())
    }
}

/// The events of `update` to an account that was `current`: one per thing that changes.
fn announce(current: &User, update: &AccessUpdate, actor: Actor) -> Vec<Event> {
    let by = actor.user_id();
    let mut events = Vec::new();
    if let Some(role) = update.role {
        events.push(EventData::RoleChanged {
            from: current.role.as_str().to_owned(),
            to: role.as_str().to_owned(),
            changed_by: by,
        });
    }
    if let Some(disabled) = update.disabled.filter(|d| *d != current.disabled) {
        events.push(EventData::Disabled {
            disabled,
            changed_by: by,
        });
    }
    events
        .into_iter()
        .map(|data| Event::new(data, Some(current.id), update.at))
        .collect()
}

/// Why a cached profile was not dropped.
#[derive(Debug, thiserror::Error)]
pub enum DropCachedProfileError {
    /// No account has this id.
    #[error("no such account")]
    NotFound,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Drops an account's cached profile on request (docs/http-api.md §5), for managers and admins.
pub struct DropCachedProfile {
    users: Arc<dyn UserRepo>,
    cache: Arc<dyn ProfileCache>,
}

impl DropCachedProfile {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
            cache: ports.cache.clone(),
        }
    }

    /// Drops `target`'s cached profile. Unlike the invalidations that follow a write, a failure
    /// here is the caller's answer: dropping it is all this request is for.
    ///
    /// # Errors
    /// [`DropCachedProfileError::NotFound`] when the account does not exist; the cache's error
    /// when it fails.
    #[instrument(skip_all, name = "drop_cached_profile", fields(user_id = %target))]
    pub async fn execute(&self, target: UserId) -> Result<(), DropCachedProfileError> {
        self.users
            .find_by_id(target)
            .await?
            .ok_or(DropCachedProfileError::NotFound)?;
        Ok(self.cache.invalidate(target).await?)
    }
}

/// Reads the audit log for admins (docs/http-api.md §5).
pub struct ReadAudit {
    trail: Arc<dyn AuditTrail>,
}

impl ReadAudit {
    /// Reads `trail`.
    pub fn new(trail: Arc<dyn AuditTrail>) -> Self {
        Self { trail }
    }

    /// One page of records, newest first, and where the next page starts.
    #[instrument(skip_all, name = "read_audit")]
    pub async fn execute(&self, query: AuditQuery) -> PortResult<Page<AuditRecord>> {
        let records = self.trail.list(&query).await?;
        Ok(Page::from_overfetch(records, query.page.limit, |r| {
            PageKey {
                at: r.occurred_at,
                id: r.id.as_uuid(),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::domain::{PageLimit, PageRequest, SessionId};
    use crate::usecases::testkit::{Mocks, NOW, policy, user};

    fn change(mocks: Mocks) -> ChangeAccess {
        ChangeAccess::new(&mocks.ports(), policy())
    }

    /// The account `stored` is found by id.
    fn found(mocks: &mut Mocks, stored: User) {
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(stored.clone())));
    }

    /// Expects `id`'s profile, as `stored` says it now is, to be cached once.
    fn expect_recached(mocks: &mut Mocks, id: UserId, stored: fn(&User) -> bool) {
        mocks
            .cache
            .expect_put()
            .withf(move |cached| cached.id == id && stored(cached))
            .times(1)
            .returning(|_| Ok(()));
    }

    #[tokio::test]
    async fn a_change_leaving_no_enabled_admin_is_refused() {
        let target = User {
            role: Role::Admin,
            ..user()
        };
        let id = target.id;
        let mut mocks = Mocks::new();
        found(&mut mocks, target);
        mocks
            .users
            .expect_update_access()
            .returning(|_, _, _| Err(UpdateAccessError::LastAdmin));

        let result = change(mocks)
            .execute(
                Actor::Admin(UserId::generate()),
                id,
                AccessChange {
                    role: Some(Role::User),
                    disabled: None,
                },
            )
            .await;

        assert!(
            matches!(result, Err(ChangeAccessError::LastAdmin)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn an_admin_may_neither_demote_nor_disable_themselves() {
        // No expectation is set: touching any port would panic.
        let me = UserId::generate();
        let access = change(Mocks::new());

        for asked in [
            AccessChange {
                role: Some(Role::Manager),
                disabled: None,
            },
            AccessChange {
                role: None,
                disabled: Some(true),
            },
        ] {
            let result = access.execute(Actor::Admin(me), me, asked).await;
            assert!(
                matches!(result, Err(ChangeAccessError::SelfHarm { .. })),
                "{result:?}"
            );
        }
    }

    #[tokio::test]
    async fn disabling_revokes_every_session_at_once_with_its_event() {
        let target = user();
        let id = target.id;
        let sessions = vec![SessionId::generate(), SessionId::generate()];
        let revoked = sessions.clone();
        let mut mocks = Mocks::new();
        found(&mut mocks, target.clone());
        mocks
            .users
            .expect_update_access()
            .withf(move |u, update, events| {
                *u == id
                    && update.disabled == Some(true)
                    && update.role.is_none()
                    && update.at == NOW
                    && matches!(
                        events,
                        [Event {
                            data: EventData::Disabled {
                                disabled: true,
                                changed_by: Some(_)
                            },
                            ..
                        }]
                    )
            })
            .times(1)
            .returning(move |_, _, _| {
                Ok((
                    User {
                        disabled: true,
                        ..target.clone()
                    },
                    revoked.clone(),
                ))
            });
        mocks.expect_sessions_revoked(sessions);
        expect_recached(&mut mocks, id, |cached| cached.disabled);

        let after = change(mocks)
            .execute(
                Actor::Admin(UserId::generate()),
                id,
                AccessChange {
                    role: None,
                    disabled: Some(true),
                },
            )
            .await
            .unwrap();

        assert!(after.disabled);
    }

    #[tokio::test]
    async fn a_role_change_is_announced_and_caches_the_stored_profile() {
        let target = user();
        let id = target.id;
        let mut mocks = Mocks::new();
        found(&mut mocks, target.clone());
        mocks
            .users
            .expect_update_access()
            .withf(|_, update, events| {
                update.role == Some(Role::Manager)
                    && update.disabled.is_none()
                    && matches!(
                        events,
                        [Event {
                            data: EventData::RoleChanged { from, to, changed_by: None },
                            ..
                        }] if from == "user" && to == "manager"
                    )
            })
            .times(1)
            .returning(move |_, _, _| {
                Ok((
                    User {
                        role: Role::Manager,
                        ..target.clone()
                    },
                    Vec::new(),
                ))
            });
        // No session is revoked: the revocation list expects nothing.
        expect_recached(&mut mocks, id, |cached| cached.role == Role::Manager);

        let after = change(mocks)
            .execute(
                Actor::Operator,
                id,
                AccessChange {
                    role: Some(Role::Manager),
                    disabled: None,
                },
            )
            .await
            .unwrap();

        assert_eq!(after.role, Role::Manager);
    }

    #[tokio::test]
    async fn a_change_to_what_is_stored_writes_nothing_but_still_recaches_the_profile() {
        let target = User {
            role: Role::Manager,
            ..user()
        };
        let id = target.id;
        let mut mocks = Mocks::new();
        found(&mut mocks, target);
        expect_recached(&mut mocks, id, |cached| cached.role == Role::Manager);

        let access = change(mocks);
        let same = AccessChange {
            role: Some(Role::Manager),
            disabled: Some(false),
        };
        // The use case's future must be Send to run on a multi-threaded server.
        let after = tokio::spawn(async move { access.execute(Actor::Operator, id, same).await })
            .await
            .unwrap()
            .unwrap();

        assert_eq!(after.role, Role::Manager);
    }

    #[tokio::test]
    async fn an_unknown_account_is_not_found() {
        let mut mocks = Mocks::new();
        mocks.users.expect_find_by_id().returning(|_| Ok(None));

        let result = change(mocks)
            .execute(
                Actor::Admin(UserId::generate()),
                UserId::generate(),
                AccessChange {
                    role: Some(Role::Admin),
                    disabled: None,
                },
            )
            .await;

        assert!(matches!(result, Err(ChangeAccessError::NotFound)));
    }

    #[tokio::test]
    async fn a_full_page_continues_after_its_last_item() {
        let users: Vec<User> = (0..3)
            .map(|n| User {
                created_at: NOW - Duration::minutes(n),
                ..user()
            })
            .collect();
        let second = users[1].clone();
        let mut mocks = Mocks::new();
        mocks
            .users
            .expect_list()
            .withf(|q| q.page.limit.get() == 2)
            .returning(move |_| Ok(users.clone()));
        let query = UserQuery {
            email: None,
            page: PageRequest {
                after: None,
                limit: PageLimit::parse(Some(2)).unwrap(),
            },
        };

        let page = ListUsers::new(&mocks.ports()).execute(query).await.unwrap();

        assert_eq!(page.items.len(), 2);
        assert_eq!(
            page.next,
            Some(PageKey {
                at: second.created_at,
                id: second.id.as_uuid()
            })
        );
    }

    #[tokio::test]
    async fn dropping_the_cache_of_an_unknown_account_is_not_found() {
        let mut mocks = Mocks::new();
        mocks.users.expect_find_by_id().returning(|_| Ok(None));

        let result = DropCachedProfile::new(&mocks.ports())
            .execute(UserId::generate())
            .await;

        assert!(matches!(result, Err(DropCachedProfileError::NotFound)));
    }
}
