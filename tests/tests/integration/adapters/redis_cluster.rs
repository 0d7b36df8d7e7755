//! What only a Redis Cluster asks of the Redis adapters, on three masters without replicas:
//! the keys that scripts and transactions group stay in one hash slot, the profile flush after
//! an outage reaches every master, and a master that crashes and restarts (no failover) comes
//! back with everything it acknowledged, because every node appends each write to its file
//! and fsyncs it before answering (`appendfsync always`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use fred::prelude::Pool;
use postern_contract::fixtures::profile;
use postern_core::domain::{Event, EventData, SessionId, UserId};
use postern_core::ports::{
    EventPublisher, EventQueues, ProfileCache, Quota, RateLimitBucket, RateLimiter, RateLimits,
    RevocationList, SystemClock,
};
use postern_redis::streams::{HASH_TAG, StreamPublisher, StreamQueues};
use postern_redis::{
    RedisProfileCache, RedisRateLimiter, RedisRevocationList, RedisSettings, connect,
};
use postern_tests::redis::unique_prefix;
use postern_tests::redis_cluster::{RedisCluster, shared_cluster};
use time::OffsetDateTime;

/// How long the adapters may take to reach a restarted master again.
const RECONNECT: Duration = Duration::from_secs(20);

async fn pool(url: String) -> Pool {
    connect(&RedisSettings::new(url)).await.unwrap()
}

fn signed_up() -> Event {
    Event::new(
        EventData::SignedUp {
            email: "ada@example.com".into(),
            name: None,
        },
        Some(UserId::generate()),
        OffsetDateTime::now_utc(),
    )
}

/// Retries `check` until it returns `Some` or [`RECONNECT`] has passed: the pool's
/// connection to a restarted master comes back in the background.
async fn eventually<T, F: Future<Output = Option<T>>>(mut check: impl FnMut() -> F) -> T {
    let deadline = Instant::now() + RECONNECT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "Redis did not answer again in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn profile_flush_deletes_the_cached_profiles_on_every_master() {
    let cluster = shared_cluster();
    let prefix = unique_prefix();
    let cache = RedisProfileCache::new(
        pool(cluster.url()).await,
        &prefix,
        RedisProfileCache::DEFAULT_TTL,
    );
    let users: Vec<_> = (0..30).map(|_| profile()).collect();
    for user in &users {
        cache.put(user).await.unwrap();
    }
    let masters: std::collections::BTreeSet<usize> = users
        .iter()
        .map(|user| cluster.master_of(&cache.key(user.id)))
        .collect();
    assert_eq!(masters.len(), 3, "30 profiles spread over every master");

    let deleted = cache.flush().await.unwrap();

    assert_eq!(deleted, 30);
    for user in &users {
        assert_eq!(cache.get(user.id).await.unwrap(), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stream_keys_share_one_master_and_the_other_keys_spread() {
    let cluster = shared_cluster();
    let prefix = unique_prefix();
    let stream_keys = [
        "email-events",
        "audit-events",
        "email-events:dead-letters",
        "audit-events:dead-letters",
    ]
    .map(|name| format!("{prefix}{HASH_TAG}:{name}"));
    let list = RedisRevocationList::new(pool(cluster.url()).await, &prefix, Arc::new(SystemClock));

    let stream_masters: std::collections::BTreeSet<usize> = stream_keys
        .iter()
        .map(|key| cluster.master_of(key))
        .collect();
    let revocation_masters: std::collections::BTreeSet<usize> = (0..30)
        .map(|_| cluster.master_of(&list.key(SessionId::generate())))
        .collect();

    assert_eq!(stream_masters.len(), 1, "{stream_keys:?}");
    assert_eq!(revocation_masters.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_master_that_crashes_and_restarts_has_lost_nothing_it_acknowledged() {
    let mut cluster = RedisCluster::start();
    let (pool, prefix) = (pool(cluster.url()).await, unique_prefix());
    let revocations = RedisRevocationList::new(pool.clone(), &prefix, Arc::new(SystemClock));
    let cache = RedisProfileCache::new(pool.clone(), &prefix, RedisProfileCache::DEFAULT_TTL);
    let login = Quota {
        limit: 5,
        period: Duration::from_secs(600),
    };
    let limiter = RedisRateLimiter::new(
        pool.clone(),
        &prefix,
        RateLimits::off().with(RateLimitBucket::Login, Some(login)),
    )
    .unwrap();
    let (publisher, queues) = (
        StreamPublisher::new(pool.clone(), &prefix),
        StreamQueues::new(pool.clone(), &prefix),
    );
    let sessions: Vec<SessionId> = (0..30).map(|_| SessionId::generate()).collect();
    let users: Vec<_> = (0..10).map(|_| profile()).collect();
    let events: Vec<Event> = (0..5).map(|_| signed_up()).collect();

    let until = OffsetDateTime::now_utc() + Duration::from_secs(600);
    revocations.revoke(&sessions, until).await.unwrap();
    for user in &users {
        cache.put(user).await.unwrap();
    }
    for _ in 0..3 {
        limiter
            .check(RateLimitBucket::Login, "client")
            .await
            .unwrap();
    }
    publisher.publish_batch(&events).await.unwrap();
    // The master of the streams, which also holds some of the revocations and profiles.
    let crashed = cluster.master_of(&format!("{prefix}{HASH_TAG}:audit-events"));
    assert!(
        sessions
            .iter()
            .any(|s| cluster.master_of(&revocations.key(*s)) == crashed),
        "some revocations live on the crashed master"
    );

    cluster.kill(crashed);
    cluster.restart(crashed);

    let still_revoked = eventually(|| async {
        let mut revoked = 0;
        for session in &sessions {
            match revocations.is_revoked(*session).await {
                Ok(true) => revoked += 1,
                Ok(false) => {}
                Err(_) => return None,
            }
        }
        Some(revoked)
    })
    .await;
    assert_eq!(still_revoked, sessions.len(), "every revocation survived");
    for user in &users {
        assert_eq!(cache.get(user.id).await.unwrap(), Some(user.clone()));
    }
    let stats = queues.stats().await.unwrap();
    let lengths: Vec<(String, u64)> = stats.into_iter().map(|q| (q.name, q.length)).collect();
    assert_eq!(
        lengths,
        [
            ("email-events".to_owned(), 5),
            ("audit-events".to_owned(), 5)
        ]
    );
    let fourth = limiter
        .check(RateLimitBucket::Login, "client")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fourth.remaining, 1, "the three earlier checks still count");
}
