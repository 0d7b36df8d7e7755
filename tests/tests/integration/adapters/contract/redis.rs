//! The state ports on the shared Redis, each rule under a key prefix of its own: the plain
//! adapters, and the resilient wrappers while their breaker sees Redis up, which must then
//! answer as Redis does rather than from their fallbacks.

use std::sync::Arc;
use std::time::Duration;

use fred::prelude::Pool;
use postern_core::ports::PortResult;
use postern_core::ports::{ProfileCache, RateLimiter, RateLimits, SystemClock};
use postern_memory::{MemoryRateLimiter, MemoryStore};
use postern_redis::{
    RedisHealth, RedisProfileCache, RedisRateLimiter, RedisRevocationList, RedisSettings,
    ResilientProfileCache, ResilientRateLimiter, ResilientRevocationList, connect,
};
use postern_tests::redis::{redis_url, unique_prefix};

async fn pool() -> Pool {
    connect(&RedisSettings::new(redis_url())).await.unwrap()
}

mod on_redis {
    use super::*;

    async fn cache(ttl: Duration) -> Arc<dyn ProfileCache> {
        Arc::new(RedisProfileCache::new(pool().await, unique_prefix(), ttl))
    }

    async fn limiter(limits: RateLimits) -> PortResult<Arc<dyn RateLimiter>> {
        Ok(Arc::new(RedisRateLimiter::new(
            pool().await,
            unique_prefix(),
            limits,
        )?))
    }

    async fn list() -> RedisRevocationList {
        RedisRevocationList::new(pool().await, unique_prefix(), Arc::new(SystemClock))
    }

    postern_contract::profile_cache_contract!(cache);
    postern_contract::rate_limiter_contract!(limiter);
    postern_contract::revocation_list_contract!(list);
}

mod on_resilient_redis {
    use super::*;

    /// A pool and its breaker, which starts up.
    async fn up() -> (Pool, Arc<RedisHealth>) {
        let pool = pool().await;
        let health = RedisHealth::new(pool.clone());
        (pool, health)
    }

    async fn cache(ttl: Duration) -> Arc<dyn ProfileCache> {
        let (pool, health) = up().await;
        let redis = RedisProfileCache::new(pool, unique_prefix(), ttl);
        Arc::new(ResilientProfileCache::new(redis, health))
    }

    /// Its fallback enforces the same limits, as in production.
    async fn limiter(limits: RateLimits) -> PortResult<Arc<dyn RateLimiter>> {
        let (pool, health) = up().await;
        let redis = RedisRateLimiter::new(pool, unique_prefix(), limits)?;
        let fallback = Arc::new(MemoryRateLimiter::new(limits)?);
        Ok(Arc::new(ResilientRateLimiter::new(redis, fallback, health)))
    }

    /// Its fallback is an empty session store, which holds every session revoked: a list
    /// that asked it instead of Redis would break the rules at once.
    async fn list() -> ResilientRevocationList {
        let (pool, health) = up().await;
        let redis = RedisRevocationList::new(pool, unique_prefix(), Arc::new(SystemClock));
        let sessions = Arc::new(MemoryStore::new(Arc::new(SystemClock)));
        let lifetime = Duration::from_secs(15 * 60);
        ResilientRevocationList::new(redis, sessions, lifetime, health)
    }

    postern_contract::profile_cache_contract!(cache);
    postern_contract::rate_limiter_contract!(limiter);
    postern_contract::revocation_list_contract!(list);
}
