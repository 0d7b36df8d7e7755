//! The state ports on Redis, each rule under a key prefix of its own: the plain adapters, and
//! the resilient wrappers while their breaker sees Redis up, which must then answer as Redis
//! does rather than from their fallbacks. Every rule runs twice: on the shared Redis server,
//! and on the Redis Cluster of this test binary (three masters), where keys spread over hash
//! slots and nodes.

use std::sync::Arc;
use std::time::Duration;

use fred::prelude::Pool;
use postern_contract::CallerPorts;
use postern_core::ports::PortResult;
use postern_core::ports::{ProfileCache, RateLimiter, RateLimits, RevocationList, SystemClock};
use postern_memory::{MemoryRateLimiter, MemoryStore};
use postern_redis::{
    RedisCallerLookup, RedisHealth, RedisProfileCache, RedisRateLimiter, RedisRevocationList,
    RedisSettings, ResilientCallerLookup, ResilientProfileCache, ResilientRateLimiter,
    ResilientRevocationList, connect,
};
use postern_tests::redis::{redis_url, unique_prefix};
use postern_tests::redis_cluster::shared_cluster;

async fn pool(url: String) -> Pool {
    connect(&RedisSettings::new(url)).await.unwrap()
}

/// A token lifetime for the resilient revocation list's re-seed.
const LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Every Redis port's contract, as module `$module`, on the Redis `$url` names: `plain` and
/// `resilient`.
macro_rules! redis_contracts {
    ($module:ident, $url:expr) => {
        mod $module {
            use super::*;

            fn url() -> String {
                $url
            }

            mod plain {
                use super::*;

                async fn cache(ttl: Duration) -> Arc<dyn ProfileCache> {
                    Arc::new(RedisProfileCache::new(
                        pool(url()).await,
                        unique_prefix(),
                        ttl,
                    ))
                }

                async fn limiter(limits: RateLimits) -> PortResult<Arc<dyn RateLimiter>> {
                    Ok(Arc::new(RedisRateLimiter::new(
                        pool(url()).await,
                        unique_prefix(),
                        limits,
                    )?))
                }

                async fn list() -> RedisRevocationList {
                    RedisRevocationList::new(
                        pool(url()).await,
                        unique_prefix(),
                        Arc::new(SystemClock),
                    )
                }

                async fn callers() -> CallerPorts {
                    let (pool, prefix) = (pool(url()).await, unique_prefix());
                    let list =
                        || RedisRevocationList::new(pool.clone(), &prefix, Arc::new(SystemClock));
                    let cache = RedisProfileCache::new(
                        pool.clone(),
                        &prefix,
                        RedisProfileCache::DEFAULT_TTL,
                    );
                    CallerPorts {
                        lookup: Arc::new(RedisCallerLookup::new(
                            pool.clone(),
                            list(),
                            cache.clone(),
                        )),
                        revocations: Arc::new(list()),
                        cache: Arc::new(cache),
                    }
                }

                postern_contract::profile_cache_contract!(cache);
                postern_contract::rate_limiter_contract!(limiter);
                postern_contract::revocation_list_contract!(list);
                postern_contract::caller_lookup_contract!(callers);
            }

            mod resilient {
                use super::*;

                /// A pool and its breaker, which starts up.
                async fn up() -> (Pool, Arc<RedisHealth>) {
                    let pool = pool(url()).await;
                    let health = RedisHealth::new(pool.clone());
                    (pool, health)
                }

                /// An empty session store, which holds every session revoked: a list that
                /// asked it instead of Redis would break the rules at once.
                fn no_sessions() -> Arc<MemoryStore> {
                    Arc::new(MemoryStore::new(Arc::new(SystemClock)))
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

                async fn list() -> ResilientRevocationList {
                    let (pool, health) = up().await;
                    let redis =
                        RedisRevocationList::new(pool, unique_prefix(), Arc::new(SystemClock));
                    ResilientRevocationList::new(redis, no_sessions(), LIFETIME, health)
                }

                /// The three wrappers on one breaker, as in production.
                async fn callers() -> CallerPorts {
                    let (pool, health) = up().await;
                    let prefix = unique_prefix();
                    let list =
                        || RedisRevocationList::new(pool.clone(), &prefix, Arc::new(SystemClock));
                    let cache = RedisProfileCache::new(
                        pool.clone(),
                        &prefix,
                        RedisProfileCache::DEFAULT_TTL,
                    );
                    let lookup = RedisCallerLookup::new(pool.clone(), list(), cache.clone());
                    let revocations: Arc<dyn RevocationList> =
                        Arc::new(ResilientRevocationList::new(
                            list(),
                            no_sessions(),
                            LIFETIME,
                            health.clone(),
                        ));
                    CallerPorts {
                        lookup: Arc::new(ResilientCallerLookup::new(
                            lookup,
                            no_sessions(),
                            health.clone(),
                        )),
                        revocations,
                        cache: Arc::new(ResilientProfileCache::new(cache, health)),
                    }
                }

                postern_contract::profile_cache_contract!(cache);
                postern_contract::rate_limiter_contract!(limiter);
                postern_contract::revocation_list_contract!(list);
                postern_contract::caller_lookup_contract!(callers);
            }
        }
    };
}

redis_contracts!(on_redis, redis_url());
redis_contracts!(on_redis_cluster, shared_cluster().url());
