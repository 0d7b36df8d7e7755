//! The Redis adapters beyond their ports' contracts (see `contract`), against the shared Redis,
//! each test under a key prefix of its own: the keys they write, for how long, and what only a
//! shared store gives, a rate limit exact across instances.

use std::sync::Arc;
use std::time::Duration;

use fred::prelude::{Client, KeysInterface, Pool};
use postern_contract::fixtures::profile;
use postern_core::domain::SessionId;
use postern_core::ports::{ProfileCache, Quota, RateLimitBucket, RateLimiter, RevocationList};
use postern_core::ports::{RateLimits, SystemClock};
use postern_redis::{
    RedisProfileCache, RedisRateLimiter, RedisRevocationList, RedisSettings, connect,
    connect_client,
};
use postern_tests::redis::{redis_url, unique_prefix};
use time::OffsetDateTime;

async fn pool() -> Pool {
    connect(&RedisSettings::new(redis_url())).await.unwrap()
}

/// A plain client, to look at Redis behind the adapters' backs.
async fn raw() -> Client {
    connect_client(&RedisSettings::new(redis_url()))
        .await
        .unwrap()
}

async fn cache(prefix: &str) -> RedisProfileCache {
    RedisProfileCache::new(pool().await, prefix, RedisProfileCache::DEFAULT_TTL)
}

fn login_limits(limit: u32, period: Duration) -> RateLimits {
    RateLimits::off().with(RateLimitBucket::Login, Some(Quota { limit, period }))
}

#[tokio::test]
async fn profile_cache_keeps_the_profile_under_its_key_for_the_ttl_and_unlinks_it() {
    let prefix = unique_prefix();
    let (cache, raw) = (cache(&prefix).await, raw().await);
    let user = profile();
    let key = format!("{prefix}user:profile:v1:{}", user.id);

    cache.put(&user).await.unwrap();

    assert_eq!(cache.key(user.id), key);
    assert_eq!(cache.get(user.id).await.unwrap(), Some(user.clone()));
    let stored: Option<String> = raw.get(&key).await.unwrap();
    assert!(stored.unwrap().contains("\"email\":\"ada@example.com\""));
    let ttl: i64 = raw.ttl(&key).await.unwrap();
    assert!((590..=600).contains(&ttl), "ttl {ttl}");
    cache.invalidate(user.id).await.unwrap();
    let exists: u64 = raw.exists(&key).await.unwrap();
    assert_eq!(exists, 0);
}

#[tokio::test]
async fn profile_cache_flush_deletes_only_its_own_profiles() {
    let pool = pool().await;
    let (mine, other) = (unique_prefix(), unique_prefix());
    let cache = RedisProfileCache::new(pool.clone(), &mine, RedisProfileCache::DEFAULT_TTL);
    let neighbour = RedisProfileCache::new(pool, &other, RedisProfileCache::DEFAULT_TTL);
    let (first, second, theirs) = (profile(), profile(), profile());
    cache.put(&first).await.unwrap();
    cache.put(&second).await.unwrap();
    neighbour.put(&theirs).await.unwrap();

    let deleted = cache.flush().await.unwrap();

    assert_eq!(deleted, 2);
    assert_eq!(cache.get(first.id).await.unwrap(), None);
    assert_eq!(neighbour.get(theirs.id).await.unwrap(), Some(theirs));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limiter_admits_exactly_the_limit_across_instances() {
    let prefix = unique_prefix();
    let period = Duration::from_secs(60);
    // Two instances, each with connections of its own.
    let limiters = [
        Arc::new(RedisRateLimiter::new(pool().await, &prefix, login_limits(5, period)).unwrap()),
        Arc::new(RedisRateLimiter::new(pool().await, &prefix, login_limits(5, period)).unwrap()),
    ];

    let tasks = (0..50).map(|i| {
        let limiter = Arc::clone(&limiters[i % 2]);
        tokio::spawn(async move {
            limiter
                .check(RateLimitBucket::Login, "10.0.0.1|ada@example.com")
                .await
                .unwrap()
                .unwrap()
        })
    });
    let decisions = futures::future::try_join_all(tasks).await.unwrap();

    let allowed: Vec<_> = decisions.iter().filter(|d| d.allowed).collect();
    assert_eq!(allowed.len(), 5);
    let mut remaining: Vec<u32> = allowed.iter().map(|d| d.remaining).collect();
    remaining.sort_unstable();
    assert_eq!(
        remaining,
        [0, 1, 2, 3, 4],
        "one count, not one per instance"
    );
}

#[tokio::test]
async fn rate_limiter_key_expires_with_its_newest_admission() {
    let prefix = unique_prefix();
    let period = Duration::from_secs(1);
    let limiter = RedisRateLimiter::new(pool().await, &prefix, login_limits(2, period)).unwrap();

    limiter.check(RateLimitBucket::Login, "k").await.unwrap();

    let ttl: i64 = raw()
        .await
        .pttl(format!("{prefix}ratelimit:login:k"))
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 1_001, "pttl {ttl}");
}

fn revocation_list(pool: Pool, prefix: &str) -> RedisRevocationList {
    RedisRevocationList::new(pool, prefix, Arc::new(SystemClock))
}

#[tokio::test]
async fn a_revocation_key_expires_at_the_latest_deadline() {
    let prefix = unique_prefix();
    let list = revocation_list(pool().await, &prefix);
    let raw = raw().await;
    let session = SessionId::generate();
    let now = OffsetDateTime::now_utc();
    let expiry_ms =
        |at: OffsetDateTime| i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap();

    list.revoke(&[session], now + Duration::from_secs(600))
        .await
        .unwrap();
    let first: i64 = raw.pexpire_time(list.key(session)).await.unwrap();
    list.revoke(&[session], now + Duration::from_secs(60))
        .await
        .unwrap();
    let kept: i64 = raw.pexpire_time(list.key(session)).await.unwrap();
    list.revoke(&[session], now + Duration::from_secs(1200))
        .await
        .unwrap();
    let extended: i64 = raw.pexpire_time(list.key(session)).await.unwrap();

    assert_eq!(
        list.key(session),
        format!("{prefix}revoked:session:{session}")
    );
    assert_eq!(first, expiry_ms(now + Duration::from_secs(600)));
    assert_eq!(kept, first);
    assert_eq!(extended, expiry_ms(now + Duration::from_secs(1200)));
}
