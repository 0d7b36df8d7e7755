//! The profile cache of docs/http-api.md §4 (cache-aside, 600 s by default) in this process's
//! memory.
//!
//! moka bounds it both ways: entries expire after the time to live, and the least useful ones
//! are evicted beyond `max_entries`, so a scan over many users cannot grow it without limit.
//!
//! A put compares versions (`updated_at`) with the cached copy inside moka's per-key compute,
//! which runs the calls on one key one after the other, so a stale fill never replaces a newer
//! profile however the puts interleave.

use std::time::Duration;

use async_trait::async_trait;
use moka::future::Cache;
use moka::ops::compute::Op;
use postern_core::domain::{User, UserId};
use postern_core::ports::PortResult;
use postern_core::ports::ProfileCache;

/// Profiles cached in memory for a fixed time to live.
#[derive(Clone)]
pub struct MemoryProfileCache {
    profiles: Cache<UserId, User>,
}

impl MemoryProfileCache {
    /// The time to live docs/http-api.md §4 prescribes.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(600);

    /// A cache keeping each profile for `ttl` and at most `max_entries` profiles.
    pub fn new(ttl: Duration, max_entries: u64) -> Self {
        Self {
            profiles: Cache::builder()
                .time_to_live(ttl)
                .max_capacity(max_entries)
                .build(),
        }
    }
}

#[async_trait]
impl ProfileCache for MemoryProfileCache {
    async fn get(&self, id: UserId) -> PortResult<Option<User>> {
        Ok(self.profiles.get(&id).await)
    }

    async fn put(&self, user: &User) -> PortResult<()> {
        self.profiles
            .entry(user.id)
            .and_compute_with(|cached| {
                let newer_cached = cached.is_some_and(|c| c.value().updated_at > user.updated_at);
                std::future::ready(if newer_cached {
                    Op::Nop
                } else {
                    Op::Put(user.clone())
                })
            })
            .await;
        Ok(())
    }

    async fn invalidate(&self, id: UserId) -> PortResult<()> {
        self.profiles.invalidate(&id).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    async fn memory_cache(ttl: Duration) -> Arc<dyn ProfileCache> {
        Arc::new(MemoryProfileCache::new(ttl, 100))
    }

    postern_contract::profile_cache_contract!(memory_cache);
}
