//! The resilient Redis adapters through an outage of a Redis of the test's own: while it is
//! down they answer at once from their fallbacks (cache misses, in-memory rate limits, the
//! session table); once it is back they use it again, with the revocations made meanwhile
//! re-seeded and no profile cached before the outage served.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fred::prelude::{Client, ClientLike, KeysInterface, Pool};
use postern_contract::fixtures::{logged_in, logged_out, new_session, new_user, signed_up};
use postern_core::domain::{SessionId, User, UserId};
use postern_core::ports::{
    ProfileCache, Quota, RateLimitBucket, RateLimiter, RevocationList, SessionRepo, UserRepo,
};
use postern_core::ports::{RateLimits, SystemClock};
use postern_db::{SeaSessionRepo, SeaUserRepo};
use postern_memory::MemoryRateLimiter;
use postern_redis::{
    RedisHealth, RedisProfileCache, RedisRateLimiter, RedisRevocationList, RedisSettings,
    ResilientProfileCache, ResilientRateLimiter, ResilientRevocationList, connect, connect_client,
};
use postern_tests::db::{Backend, TestDb, fresh_database};
use postern_tests::redis::RedisServer;
use time::OffsetDateTime;

on_both_backends!(resilient_adapters_fall_back_during_an_outage_and_resync_after_it);

/// The longest access-token lifetime the re-seed covers.
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

struct Adapters {
    health: Arc<RedisHealth>,
    cache: ResilientProfileCache,
    limiter: ResilientRateLimiter,
    revocations: ResilientRevocationList,
}

fn adapters(pool: &Pool, sessions: SeaSessionRepo) -> Adapters {
    let health = RedisHealth::with_probe_interval(pool.clone(), Duration::from_millis(100));
    let cache = RedisProfileCache::new(pool.clone(), "", RedisProfileCache::DEFAULT_TTL);
    let limits = RateLimits::off().with(
        RateLimitBucket::Login,
        Some(Quota {
            limit: 5,
            period: Duration::from_secs(3600),
        }),
    );
    let limiter = RedisRateLimiter::new(pool.clone(), "", limits).unwrap();
    let list = RedisRevocationList::new(pool.clone(), "", Arc::new(SystemClock));
    Adapters {
        cache: ResilientProfileCache::new(cache, Arc::clone(&health)),
        limiter: ResilientRateLimiter::new(
            limiter,
            Arc::new(MemoryRateLimiter::new(limits).unwrap()),
            Arc::clone(&health),
        ),
        revocations: ResilientRevocationList::new(
            list,
            Arc::new(sessions),
            TOKEN_LIFETIME,
            Arc::clone(&health),
        ),
        health,
    }
}

/// The account of a new user for `email`, stored in `db` and read back.
async fn stored_user(db: &TestDb, email: &str) -> User {
    let new = new_user(email);
    let users = SeaUserRepo::new(db.connection());
    users.create(&new, &signed_up(&new)).await.unwrap();
    users.find_by_id(new.id).await.unwrap().unwrap()
}

async fn login_remaining(limiter: &ResilientRateLimiter) -> u32 {
    let decision = limiter.check(RateLimitBucket::Login, "k").await.unwrap();
    decision.unwrap().remaining
}

async fn exists(raw: &Client, key: &str) -> bool {
    let found: u64 = raw.exists(key).await.unwrap();
    found == 1
}

/// A session of `user`, started now and revoked in the database if `revoked`.
async fn session(repo: &SeaSessionRepo, user: UserId, revoked: bool) -> SessionId {
    let session = new_session(user);
    repo.start(&session, &logged_in(&session)).await.unwrap();
    if revoked {
        let now = OffsetDateTime::now_utc();
        let event = logged_out(user, &[session.id], now);
        assert!(repo.revoke(user, session.id, now, &event).await.unwrap());
    }
    session.id
}

async fn resilient_adapters_fall_back_during_an_outage_and_resync_after_it(backend: Backend) {
    let db = fresh_database(backend).await;
    let user = stored_user(&db, "ada@example.com").await;
    let sessions = SeaSessionRepo::new(db.connection());
    let mut server = RedisServer::start().await;
    let settings = RedisSettings::new(server.url());
    let pool = connect(&settings).await.unwrap();
    let raw = connect_client(&settings).await.unwrap();
    let a = adapters(&pool, sessions.clone());
    let until = OffsetDateTime::now_utc() + TOKEN_LIFETIME;

    // Up: everything goes to Redis.
    a.cache.put(&user).await.unwrap();
    let remaining_before = [
        login_remaining(&a.limiter).await,
        login_remaining(&a.limiter).await,
        login_remaining(&a.limiter).await,
    ];
    assert_eq!(remaining_before, [4, 3, 2]);
    let profile_key = format!("user:profile:v1:{}", user.id);
    assert!(exists(&raw, &profile_key).await);
    // Snapshot, so that the restarted server still holds the profile and the counts.
    let _: () = raw
        .custom(fred::cmd!("SAVE"), Vec::<String>::new())
        .await
        .unwrap();

    server.kill();
    let deadline = Instant::now() + Duration::from_secs(5);
    while a.health.is_up() {
        assert!(
            Instant::now() < deadline,
            "the closed connections went unnoticed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ended_during_outage = session(&sessions, user.id, true).await;
    let live = session(&sessions, user.id, false).await;

    // Down: fallbacks, without waiting for Redis.
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(a.cache.get(user.id).await.unwrap(), None);
    }
    a.cache.invalidate(user.id).await.unwrap();
    assert_eq!(login_remaining(&a.limiter).await, 4, "counted in memory");
    a.revocations
        .revoke(&[ended_during_outage], until)
        .await
        .unwrap();
    assert!(a.revocations.is_revoked(ended_during_outage).await.unwrap());
    assert!(!a.revocations.is_revoked(live).await.unwrap());
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "fallbacks waited {:?}",
        started.elapsed()
    );

    server.restart().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !a.health.is_up() {
        assert!(Instant::now() < deadline, "never recovered");
        // Requests keep the breaker busy, as in production.
        a.cache.get(user.id).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    raw.wait_for_connect().await.unwrap();

    // Up again: Redis is used, re-seeded and flushed.
    assert_eq!(
        login_remaining(&a.limiter).await,
        1,
        "counted in Redis again"
    );
    let revoked_key = format!("revoked:session:{ended_during_outage}");
    assert!(exists(&raw, &revoked_key).await, "re-seeded");
    assert!(!exists(&raw, &profile_key).await, "stale profile flushed");
    assert_eq!(a.cache.get(user.id).await.unwrap(), None);
    a.cache.put(&user).await.unwrap();
    assert_eq!(a.cache.get(user.id).await.unwrap(), Some(user));
    // A revocation only Redis knows proves that Redis, not the table, answers.
    let only_in_redis = SessionId::generate();
    a.revocations.revoke(&[only_in_redis], until).await.unwrap();
    assert!(a.revocations.is_revoked(only_in_redis).await.unwrap());
    assert!(!a.revocations.is_revoked(live).await.unwrap());
}
