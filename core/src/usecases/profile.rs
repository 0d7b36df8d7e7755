//! Profiles: cache-aside reads, and writes that cache the account as stored before returning
//! (docs/http-api.md §4). The cache keeps the newest version it is given (see
//! [`ProfileCache`]), so a read that missed, fetched the row before a write and fills after it
//! cannot bring the old profile back.

use std::sync::Arc;

use tracing::{instrument, warn};

use super::Ports;
use crate::domain::{DisplayName, Event, EventData, User, UserId};
use crate::error::BoxError;
use crate::ports::{Clock, PortResult, ProfileCache, UpdateUserError, UserRepo};

/// Why a profile could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The account no longer exists.
    #[error("no such account")]
    NotFound,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Reads a profile, from the cache when it can (docs/http-api.md §4 GET profile, docs/http-api.md
/// §3 me).
pub struct GetProfile {
    users: Arc<dyn UserRepo>,
    cache: Arc<dyn ProfileCache>,
}

impl GetProfile {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
            cache: ports.cache.clone(),
        }
    }

    /// The user's profile. A cache failure is logged and treated as a miss.
    ///
    /// # Errors
    /// [`ProfileError::NotFound`] when the account no longer exists.
    #[instrument(skip_all, name = "get_profile", fields(user_id = %id))]
    pub async fn execute(&self, id: UserId) -> Result<User, ProfileError> {
        let cached = self.cache.get(id).await;
        self.cached_or_stored(id, cached).await
    }

    /// The profile whose cache read was `prefetched` while authenticating
    /// ([`super::Authenticate::execute_for_profile`]): the cache is not asked again.
    ///
    /// # Errors
    /// As [`Self::execute`].
    #[instrument(skip_all, name = "get_profile", fields(user_id = %prefetched.user))]
    pub async fn execute_prefetched(
        &self,
        prefetched: PrefetchedProfile,
    ) -> Result<User, ProfileError> {
        self.cached_or_stored(prefetched.user, prefetched.cached)
            .await
    }

    /// `cached` if the cache had the profile; else the stored one, which is then cached.
    async fn cached_or_stored(
        &self,
        id: UserId,
        cached: PortResult<Option<User>>,
    ) -> Result<User, ProfileError> {
        match cached {
            Ok(Some(user)) => return Ok(user),
            Ok(None) => {}
            Err(error) => warn!(
                error = &error as &dyn std::error::Error,
                "profile cache read failed"
            ),
        }
        let user = self
            .users
            .find_by_id(id)
            .await?
            .ok_or(ProfileError::NotFound)?;
        cache_profile(&*self.cache, &user).await;
        Ok(user)
    }
}

/// A user's profile as the cache answered while the request was authenticated: a hit, a miss,
/// or the cache's failure, which [`GetProfile::execute_prefetched`] treats as a miss.
#[derive(Debug)]
pub struct PrefetchedProfile {
    user: UserId,
    cached: PortResult<Option<User>>,
}

impl PrefetchedProfile {
    pub(super) fn new(user: UserId, cached: PortResult<Option<User>>) -> Self {
        Self { user, cached }
    }

    /// Whose profile it is: the authenticated caller.
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// Caches `user` unless a newer version is cached; a failure is logged, never the request's:
/// the database stays the truth.
pub(super) async fn cache_profile(cache: &dyn ProfileCache, user: &User) {
    if let Err(error) = cache.put(user).await {
        warn!(
            user_id = %user.id,
            error = &error as &dyn std::error::Error,
            "profile cache write failed"
        );
    }
}

/// Changes a profile (docs/http-api.md §4 PATCH profile).
pub struct UpdateProfile {
    users: Arc<dyn UserRepo>,
    cache: Arc<dyn ProfileCache>,
    clock: Arc<dyn Clock>,
}

impl UpdateProfile {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
            cache: ports.cache.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Sets the display name (`None` clears it), writes `user.profile_updated` and caches the
    /// account as stored, in place of the older cached copy.
    ///
    /// # Errors
    /// [`ProfileError::NotFound`] when the account no longer exists.
    #[instrument(skip_all, name = "update_profile", fields(user_id = %id))]
    pub async fn execute(
        &self,
        id: UserId,
        name: Option<DisplayName>,
    ) -> Result<User, ProfileError> {
        let now = self.clock.now();
        let event = Event::new(
            EventData::ProfileUpdated {
                name: name.as_ref().map(|n| n.as_str().to_owned()),
            },
            Some(id),
            now,
        );
        let user = self
            .users
            .update_name(id, name, now, &event)
            .await
            .map_err(|error| match error {
                UpdateUserError::NotFound => ProfileError::NotFound,
                UpdateUserError::Port(error) => error.into(),
            })?;
        cache_profile(&*self.cache, &user).await;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::PortError;
    use crate::usecases::testkit::{Mocks, user};

    #[tokio::test]
    async fn a_cache_hit_does_not_touch_the_database() {
        let cached = user();
        let id = cached.id;
        let mut mocks = Mocks::new();
        mocks
            .cache
            .expect_get()
            .returning(move |_| Ok(Some(cached.clone())));

        let found = GetProfile::new(&mocks.ports()).execute(id).await.unwrap();

        assert_eq!(found.id, id);
    }

    #[tokio::test]
    async fn a_miss_reads_the_database_and_fills_the_cache() {
        let stored = user();
        let id = stored.id;
        let mut mocks = Mocks::new();
        mocks.cache.expect_get().returning(|_| Ok(None));
        mocks
            .users
            .expect_find_by_id()
            .times(1)
            .returning(move |_| Ok(Some(stored.clone())));
        mocks
            .cache
            .expect_put()
            .withf(move |u| u.id == id)
            .times(1)
            .returning(|_| Ok(()));

        assert_eq!(
            GetProfile::new(&mocks.ports())
                .execute(id)
                .await
                .unwrap()
                .id,
            id
        );
    }

    #[tokio::test]
    async fn a_prefetched_hit_touches_neither_cache_nor_database() {
        let cached = user();
        let id = cached.id;
        let mocks = Mocks::new();

        let found = GetProfile::new(&mocks.ports())
            .execute_prefetched(PrefetchedProfile::new(id, Ok(Some(cached))))
            .await
            .unwrap();

        assert_eq!(found.id, id);
    }

    #[tokio::test]
    async fn a_prefetched_failure_is_a_miss_that_reads_the_database_and_fills_the_cache() {
        let stored = user();
        let id = stored.id;
        let mut mocks = Mocks::new();
        mocks
            .users
            .expect_find_by_id()
            .times(1)
            .returning(move |_| Ok(Some(stored.clone())));
        mocks.cache.expect_put().times(1).returning(|_| Ok(()));

        let found = GetProfile::new(&mocks.ports())
            .execute_prefetched(PrefetchedProfile::new(
                id,
                Err(PortError::unavailable("cache down")),
            ))
            .await
            .unwrap();

        assert_eq!(found.id, id);
    }

    #[tokio::test]
    async fn a_broken_cache_falls_back_to_the_database() {
        let stored = user();
        let id = stored.id;
        let mut mocks = Mocks::new();
        mocks
            .cache
            .expect_get()
            .returning(|_| Err(PortError::unavailable("cache down")));
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(stored.clone())));
        mocks
            .cache
            .expect_put()
            .returning(|_| Err(PortError::unavailable("cache down")));

        assert!(GetProfile::new(&mocks.ports()).execute(id).await.is_ok());
    }

    #[tokio::test]
    async fn update_writes_the_event_and_caches_the_stored_profile() {
        let stored = user();
        let id = stored.id;
        let mut mocks = Mocks::new();
        mocks
            .users
            .expect_update_name()
            .withf(|_, name, _, event| {
                name.as_ref().map(DisplayName::as_str) == Some("Grace")
                    && event.data
                        == EventData::ProfileUpdated {
                            name: Some("Grace".into()),
                        }
            })
            .times(1)
            .returning(move |_, _, _, _| Ok(stored.clone()));
        mocks
            .cache
            .expect_put()
            .withf(move |u| u.id == id)
            .times(1)
            .returning(|_| Ok(()));

        UpdateProfile::new(&mocks.ports())
            .execute(id, Some(DisplayName::parse("Grace").unwrap()))
            .await
            .unwrap();
    }
}
