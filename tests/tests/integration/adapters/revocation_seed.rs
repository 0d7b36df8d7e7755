//! The revocation list against a Redis that loses or may evict its keys: a server refuses a
//! Redis whose `maxmemory-policy` may evict them, and the periodic re-seed from the session table
//! restores revocations that Redis lost (here, every key of the test's prefix deleted, as
//! `FLUSHDB` would).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fred::prelude::{ClientLike, KeysInterface};
use fred::types::{ClusterHash, CustomCommand};
use postern::config::Config;
use postern::revocation_seed::RevocationSeeder;
use postern_contract::fixtures::{logged_in, logged_out, new_session, new_user, signed_up};
use postern_core::domain::{SessionId, SessionPolicy};
use postern_core::ports::{Clock, RevocationList, SessionRepo, SystemClock, UserRepo};
use postern_db::{SeaSessionRepo, SeaUserRepo};
use postern_redis::{RedisRevocationList, RedisSettings, connect, connect_client};
use postern_tests::db::{Backend, fresh_database};
use postern_tests::redis::{RedisServer, redis_url, unique_prefix};
use time::OffsetDateTime;

/// How often the test's seeder runs; a server's runs every 30 s.
const FAST_RESEED: Duration = Duration::from_millis(100);

/// How long the re-seed may take to restore a revocation.
const RESTORE_DEADLINE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_redis_lost_is_restored_by_the_periodic_reseed() {
    let db = fresh_database(Backend::Postgres).await;
    let sessions: Arc<dyn SessionRepo> = Arc::new(SeaSessionRepo::new(db.connection()));
    let revoked = revoked_session(db.connection(), sessions.as_ref()).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let pool = connect(&RedisSettings::new(redis_url())).await.unwrap();
    let list = Arc::new(RedisRevocationList::new(
        pool,
        unique_prefix(),
        clock.clone(),
    ));
    let seeder = RevocationSeeder::new(
        sessions,
        list.clone(),
        clock,
        SessionPolicy::default().revocation_lifetime(),
    );
    seeder.seed().await.unwrap();
    assert!(list.is_revoked(revoked).await.unwrap());

    let raw = connect_client(&RedisSettings::new(redis_url()))
        .await
        .unwrap();
    let deleted: u64 = raw.del(list.key(revoked)).await.unwrap();
    assert_eq!(deleted, 1);
    assert!(
        !list.is_revoked(revoked).await.unwrap(),
        "the loss fails open"
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let reseeding = tokio::spawn(seeder.reseed_until_stopped(FAST_RESEED, stopped));

    let lost_at = Instant::now();
    while !list.is_revoked(revoked).await.unwrap() {
        assert!(lost_at.elapsed() < RESTORE_DEADLINE, "never re-seeded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    reseeding.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_refuses_a_redis_that_may_evict_keys_and_names_the_setting() {
    let redis = RedisServer::start().await;
    let raw = connect_client(&RedisSettings::new(redis.url()))
        .await
        .unwrap();
    let set = CustomCommand::new_static("CONFIG", ClusterHash::Random, false);
    let _: String = raw
        .custom(set, vec!["SET", "maxmemory-policy", "allkeys-lru"])
        .await
        .unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let db = fresh_database(Backend::Sqlite).await;
    let vars: HashMap<String, String> = [
        ("PORT", "0".to_owned()),
        ("DATABASE_URL", db.url().to_owned()),
        (
            "JWT_SECRET",
            "a test secret of at least thirty-two bytes".to_owned(),
        ),
        ("REDIS_URL", redis.url()),
        ("POSTERN_DATA_DIR", data_dir.path().display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = Config::from_vars(vars).unwrap();

    let started = postern::server::start(&config).await;

    let error = format!("{:#}", started.err().expect("the server refused to start"));
    assert!(error.contains("maxmemory-policy"), "{error}");
    assert!(error.contains("allkeys-lru"), "{error}");
    assert!(error.contains("noeviction"), "{error}");
}

/// A session of a new account in `db`, revoked there.
async fn revoked_session(db: sea_orm::DatabaseConnection, sessions: &dyn SessionRepo) -> SessionId {
    let users = SeaUserRepo::new(db);
    let user = new_user("ada@example.com");
    users.create(&user, &signed_up(&user)).await.unwrap();
    let session = new_session(user.id);
    sessions
        .start(&session, &logged_in(&session))
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    sessions
        .revoke(
            user.id,
            session.id,
            now,
            &logged_out(user.id, &[session.id], now),
        )
        .await
        .unwrap();
    session.id
}
