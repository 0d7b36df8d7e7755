//! Decorators that count profile-cache hits, misses and errors, whichever cache they wrap: the
//! cache itself, and the lookup that reads it with the revocation check.

use std::sync::Arc;

use async_trait::async_trait;
use metrics::counter;
use postern_core::domain::{SessionId, User, UserId};
use postern_core::ports::{CallerLookup, CallerState, PortResult, ProfileCache};

/// Counts `postern_profile_cache_lookups_total` around another [`ProfileCache`].
pub struct CountingProfileCache {
    inner: Arc<dyn ProfileCache>,
}

impl CountingProfileCache {
    /// Counts the lookups of `inner`.
    pub fn new(inner: Arc<dyn ProfileCache>) -> Self {
        Self { inner }
    }
}

#[async_trait]
impl ProfileCache for CountingProfileCache {
    async fn get(&self, id: UserId) -> PortResult<Option<User>> {
        let found = self.inner.get(id).await;
        count(&found);
        found
    }

    async fn put(&self, user: &User) -> PortResult<()> {
        self.inner.put(user).await
    }

    async fn invalidate(&self, id: UserId) -> PortResult<()> {
        self.inner.invalidate(id).await
    }
}

/// Counts `postern_profile_cache_lookups_total` for the profiles another [`CallerLookup`]
/// reads; a revoked session reads none.
pub struct CountingCallerLookup {
    inner: Arc<dyn CallerLookup>,
}

impl CountingCallerLookup {
    /// Counts the profile reads of `inner`.
    pub fn new(inner: Arc<dyn CallerLookup>) -> Self {
        Self { inner }
    }
}

#[async_trait]
impl CallerLookup for CountingCallerLookup {
    async fn lookup(&self, session: SessionId, user: UserId) -> PortResult<CallerState> {
        let state = self.inner.lookup(session, user).await?;
        if let CallerState::Live { cached_profile } = &state {
            count(cached_profile);
        }
        Ok(state)
    }
}

fn count(found: &PortResult<Option<User>>) {
    let result = match found {
        Ok(Some(_)) => "hit",
        Ok(None) => "miss",
        Err(_) => "error",
    };
    counter!("postern_profile_cache_lookups_total", "result" => result).increment(1);
}
