//! A profile cache decorator that counts hits, misses and errors, whichever cache it wraps.

use std::sync::Arc;

use async_trait::async_trait;
use metrics::counter;
use postern_core::domain::{User, UserId};
use postern_core::ports::{PortResult, ProfileCache};

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
        let result = match &found {
            Ok(Some(_)) => "hit",
            Ok(None) => "miss",
            Err(_) => "error",
        };
        counter!("postern_profile_cache_lookups_total", "result" => result).increment(1);
        found
    }

    async fn put(&self, user: &User) -> PortResult<()> {
        self.inner.put(user).await
    }

    async fn invalidate(&self, id: UserId) -> PortResult<()> {
        self.inner.invalidate(id).await
    }
}
