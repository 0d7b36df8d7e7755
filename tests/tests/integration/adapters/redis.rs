//! The Redis adapters against the shared Redis, each test under a key prefix of its own: the
//! profile cache stores what §4 names for as long as it says, the rate limiter is exact across
//! instances and its window slides, and revocations last until their deadline and are never
//! shortened.

use std::sync::Arc;
use std::time::Duration;

use fred::prelude::{Client, KeysInterface, Pool};
use postern_core::domain::{DisplayName, Email, Role, SessionId, User, UserId};
use postern_core::ports::{
    ProfileCache, Quota, RateLimitBucket, RateLimiter, RateLimits, RevocationList, SystemClock,
};
use postern_redis::{
    RedisProfileCache, RedisRateLimiter, RedisRevocationList, RedisSettings, connect,
    connect_client,
};
use postern_tests::redis::{redis_url, unique_prefix};
use time::OffsetDateTime;
use time::macros::datetime;

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

fn user() -> User {
    User {
        id: UserId::generate(),
        email: Email::parse("ada@example.com").unwrap(),
        name: Some(DisplayName::parse("Ada Lovelace").unwrap()),
        role: Role::Manager,
        email_verified: true,
        disabled: false,
        created_at: datetime!(2026-01-01 12:00:00.123456 UTC),
        updated_at: datetime!(2026-01-02 08:30:00 UTC),
    }
}

fn login_limits(limit: u32, period: Duration) -> RateLimits {
    RateLimits {
        login: Some(Quota { limit, period }),
        refresh: None,
        signup: None,
        password_forgot: None,
        email_resend: None,
    }
}

#[tokio::test]
async fn profile_cache_stores_the_profile_under_its_key_for_the_ttl() {
    let prefix = unique_prefix();
    let (cache, raw) = (cache(&prefix).await, raw().await);
    let user = user();
    let key = format!("{prefix}user:profile:v1:{}", user.id);

    cache.put(&user).await.unwrap();

    assert_eq!(cache.key(user.id), key);
    assert_eq!(cache.get(user.id).await.unwrap(), Some(user.clone()));
    let stored: Option<String> = raw.get(&key).await.unwrap();
    assert!(stored.unwrap().contains("\"email\":\"ada@example.com\""));
    let ttl: i64 = raw.ttl(&key).await.unwrap();
    assert!((590..=600).contains(&ttl), "ttl {ttl}");
}

#[tokio::test]
async fn profile_cache_invalidate_deletes_the_key() {
    let prefix = unique_prefix();
    let (cache, raw) = (cache(&prefix).await, raw().await);
    let user = user();
    cache.put(&user).await.unwrap();

    cache.invalidate(user.id).await.unwrap();

    assert_eq!(cache.get(user.id).await.unwrap(), None);
    let exists: u64 = raw.exists(cache.key(user.id)).await.unwrap();
    assert_eq!(exists, 0);
    assert_eq!(cache.get(UserId::generate()).await.unwrap(), None);
}

#[tokio::test]
async fn profile_cache_flush_deletes_only_its_own_profiles() {
    let pool = pool().await;
    let (mine, other) = (unique_prefix(), unique_prefix());
    let cache = RedisProfileCache::new(pool.clone(), &mine, RedisProfileCache::DEFAULT_TTL);
    let neighbour = RedisProfileCache::new(pool, &other, RedisProfileCache::DEFAULT_TTL);
    let (first, second, theirs) = (user(), user(), user());
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
    assert_eq!(remaining, [0, 1, 2, 3, 4]);
    for decision in &decisions {
        assert_eq!(decision.limit, 5);
        assert!(decision.reset_after > Duration::ZERO && decision.reset_after <= period);
    }
    for refused in decisions.iter().filter(|d| !d.allowed) {
        assert_eq!(refused.remaining, 0);
    }
    let other = limiters[0]
        .check(RateLimitBucket::Login, "10.0.0.2|ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(other.allowed);
    assert_eq!(other.remaining, 4);
}

#[tokio::test]
async fn rate_limiter_window_slides_and_its_key_expires() {
    let prefix = unique_prefix();
    let period = Duration::from_secs(1);
    let limiter = RedisRateLimiter::new(pool().await, &prefix, login_limits(2, period)).unwrap();
    let check = || async {
        limiter
            .check(RateLimitBucket::Login, "k")
            .await
            .unwrap()
            .unwrap()
    };

    let first = check().await;
    let second = check().await;
    let refused = check().await;

    assert!(first.allowed && second.allowed);
    assert_eq!(first.reset_after, period);
    assert!(!refused.allowed);
    assert!(refused.reset_after > Duration::ZERO && refused.reset_after <= period);
    let ttl: i64 = raw()
        .await
        .pttl(format!("{prefix}ratelimit:login:k"))
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 1_001, "pttl {ttl}");
    // The oldest admission leaves the window after `reset_after`: one more passes then.
    tokio::time::sleep(refused.reset_after + Duration::from_millis(20)).await;
    let after = check().await;
    assert!(after.allowed, "{after:?}");
}

#[tokio::test]
async fn rate_limiter_decides_nothing_for_a_disabled_bucket() {
    let limits = login_limits(5, Duration::from_secs(60));
    let limiter = RedisRateLimiter::new(pool().await, unique_prefix(), limits).unwrap();

    let decision = limiter.check(RateLimitBucket::Signup, "10.0.0.1").await;

    assert_eq!(decision.unwrap(), None);
}

#[tokio::test]
async fn rate_limiter_refuses_a_zero_limit() {
    let limits = login_limits(0, Duration::from_secs(60));

    let limiter = RedisRateLimiter::new(pool().await, unique_prefix(), limits);

    assert!(matches!(
        limiter,
        Err(postern_core::ports::PortError::Unexpected(_))
    ));
}

fn revocation_list(pool: Pool, prefix: &str) -> RedisRevocationList {
    RedisRevocationList::new(pool, prefix, Arc::new(SystemClock))
}

#[tokio::test]
async fn revocation_lasts_until_its_deadline() {
    let prefix = unique_prefix();
    let list = revocation_list(pool().await, &prefix);
    let (revoked, other) = (SessionId::generate(), SessionId::generate());
    let until = OffsetDateTime::now_utc() + Duration::from_millis(800);

    list.revoke(&[revoked], until).await.unwrap();

    assert!(list.is_revoked(revoked).await.unwrap());
    assert!(!list.is_revoked(other).await.unwrap());
    let expires_at: i64 = raw().await.pexpire_time(list.key(revoked)).await.unwrap();
    assert_eq!(
        i128::from(expires_at),
        until.unix_timestamp_nanos() / 1_000_000
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while list.is_revoked(revoked).await.unwrap() {
        assert!(tokio::time::Instant::now() < deadline, "never expired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(OffsetDateTime::now_utc() >= until);
}

#[tokio::test]
async fn a_second_revocation_never_shortens_the_first() {
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
    list.revoke(&[session], now + Duration::from_secs(60))
        .await
        .unwrap();
    let kept: i64 = raw.pexpire_time(list.key(session)).await.unwrap();
    list.revoke(&[session], now + Duration::from_secs(1200))
        .await
        .unwrap();
    let extended: i64 = raw.pexpire_time(list.key(session)).await.unwrap();

    assert_eq!(kept, expiry_ms(now + Duration::from_secs(600)));
    assert_eq!(extended, expiry_ms(now + Duration::from_secs(1200)));
}

#[tokio::test]
async fn a_revocation_with_a_past_deadline_stores_nothing() {
    let list = revocation_list(pool().await, &unique_prefix());
    let session = SessionId::generate();

    list.revoke(
        &[session],
        OffsetDateTime::now_utc() - Duration::from_secs(1),
    )
    .await
    .unwrap();

    assert!(!list.is_revoked(session).await.unwrap());
}
