//! The profile cache of §4 (cache-aside, 600 s by default) in this process's memory.
//!
//! moka bounds it both ways: entries expire after the time to live, and the least useful ones
//! are evicted beyond `max_entries`, so a scan over many users cannot grow it without limit.

use std::time::Duration;

use async_trait::async_trait;
use moka::future::Cache;
use postern_core::domain::{User, UserId};
use postern_core::ports::PortResult;
use postern_core::ports::ProfileCache;

/// Profiles cached in memory for a fixed time to live.
#[derive(Clone)]
pub struct MemoryProfileCache {
    profiles: Cache<UserId, User>,
}

impl MemoryProfileCache {
    /// The time to live §4 prescribes.
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
        self.profiles.insert(user.id, user.clone()).await;
        Ok(())
    }

    async fn invalidate(&self, id: UserId) -> PortResult<()> {
        self.profiles.invalidate(&id).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use postern_core::domain::{Email, Role};
    use time::OffsetDateTime;

    use super::*;

    fn user() -> User {
        User {
            id: UserId::generate(),
            email: Email::parse("ada@example.com").unwrap(),
            name: None,
            role: Role::User,
            email_verified: false,
            disabled: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[tokio::test]
    async fn a_cached_profile_is_returned_until_invalidated() {
        let cache = MemoryProfileCache::new(MemoryProfileCache::DEFAULT_TTL, 100);
        let user = user();

        cache.put(&user).await.unwrap();
        let cached = cache.get(user.id).await.unwrap();
        cache.invalidate(user.id).await.unwrap();
        let after = cache.get(user.id).await.unwrap();

        assert_eq!(cached, Some(user));
        assert_eq!(after, None);
    }

    #[tokio::test]
    async fn an_unknown_profile_is_a_miss() {
        let cache = MemoryProfileCache::new(MemoryProfileCache::DEFAULT_TTL, 100);

        assert_eq!(cache.get(UserId::generate()).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_profile_expires_after_the_time_to_live() {
        let cache = MemoryProfileCache::new(Duration::from_millis(50), 100);
        let user = user();
        cache.put(&user).await.unwrap();

        tokio::time::sleep(Duration::from_millis(200)).await;

        assert_eq!(cache.get(user.id).await.unwrap(), None);
    }
}
