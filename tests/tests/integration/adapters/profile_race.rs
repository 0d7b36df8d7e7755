//! The profile cache racing access changes, through the use cases, on real storage: PostgreSQL
//! with the Redis cache, SQLite with the in-process (moka) one. Reads that miss the cache, fetch
//! the account before a demotion commits and fill the cache after it must never leave the old
//! role cached, round after round.

use std::sync::Arc;

use postern_contract::fixtures::{new_user, signed_up};
use postern_core::domain::{AccessChange, AccessUpdate, Actor, Role, SessionPolicy, UserId};
use postern_core::ports::{
    Clock, ProfileCache, RateLimits, RevocationList, SeparateLookups, SystemClock, UserRepo,
};
use postern_core::usecases::{ChangeAccess, GetProfile, Ports};
use postern_db::{SeaSessionRepo, SeaUserRepo};
use postern_memory::{MemoryProfileCache, MemoryRateLimiter, MemoryRevocationList, MemoryStore};
use postern_password::{Argon2Hasher, Argon2Params};
use postern_redis::{RedisProfileCache, RedisSettings, connect};
use postern_tests::db::{Backend, fresh_database};
use postern_tests::redis::{redis_url, unique_prefix};
use postern_tokens::{HmacSuccessors, JwtConfig, JwtIssuer, RandomTokens};
use secrecy::SecretString;
use time::OffsetDateTime;

/// How many demotions race their reads: without versioned puts, a few of them lose.
const ROUNDS: usize = 300;

/// How many reads race each demotion.
const READERS: usize = 4;

on_both_backends!(reads_racing_a_demotion_never_leave_the_old_role_cached);

async fn reads_racing_a_demotion_never_leave_the_old_role_cached(backend: Backend) {
    let db = fresh_database(backend).await;
    let cache = cache_for(backend).await;
    let ports = ports(db.connection(), cache.clone());
    let profiles = Arc::new(GetProfile::new(&ports));
    let access = Arc::new(ChangeAccess::new(&ports, SessionPolicy::default()));
    let mut stale = Vec::new();

    for round in 0..ROUNDS {
        let id = manager(ports.users.as_ref(), round).await;
        let reads: Vec<_> = (0..READERS)
            .map(|_| {
                let profiles = profiles.clone();
                tokio::spawn(async move { profiles.execute(id).await.unwrap() })
            })
            .collect();
        let access = access.clone();
        let demotion = tokio::spawn(async move {
            let change = AccessChange {
                role: Some(Role::User),
                disabled: None,
            };
            access.execute(Actor::Operator, id, change).await.unwrap()
        });
        for read in reads {
            read.await.unwrap();
        }
        demotion.await.unwrap();

        if let Some(cached) = cache.get(id).await.unwrap()
            && cached.role != Role::User
        {
            stale.push((round, cached.role));
        }
    }

    assert!(stale.is_empty(), "old roles left cached: {stale:?}");
}

/// The cache deployed with `backend`: Redis beside PostgreSQL (under a prefix of this test's
/// own), the in-process one beside SQLite.
async fn cache_for(backend: Backend) -> Arc<dyn ProfileCache> {
    match backend {
        Backend::Postgres => {
            let pool = connect(&RedisSettings::new(redis_url())).await.unwrap();
            Arc::new(RedisProfileCache::new(
                pool,
                unique_prefix(),
                RedisProfileCache::DEFAULT_TTL,
            ))
        }
        Backend::Sqlite => Arc::new(MemoryProfileCache::new(
            MemoryProfileCache::DEFAULT_TTL,
            10_000,
        )),
    }
}

/// A new account with the role of manager, whose profile nobody has cached yet.
async fn manager(users: &dyn UserRepo, round: usize) -> UserId {
    let new = new_user(&format!("manager-{round}@example.com"));
    users.create(&new, &signed_up(&new)).await.unwrap();
    let promotion = AccessUpdate {
        role: Some(Role::Manager),
        disabled: None,
        at: OffsetDateTime::now_utc(),
    };
    users.update_access(new.id, &promotion, &[]).await.unwrap();
    new.id
}

/// The use cases' ports: accounts and sessions in `db`, profiles in `cache`, the rest in
/// process.
fn ports(db: sea_orm::DatabaseConnection, cache: Arc<dyn ProfileCache>) -> Ports {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let hasher = Argon2Hasher::new(Argon2Params {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    })
    .unwrap();
    let secret = "a test secret of at least thirty-two bytes";
    let tokens = JwtIssuer::hs256(JwtConfig {
        secret: SecretString::from(secret),
        issuer: "postern".into(),
        audience: "postern".into(),
        key_id: "k1".into(),
    })
    .unwrap();
    let revocations: Arc<dyn RevocationList> = Arc::new(MemoryRevocationList::new(clock.clone()));
    Ports {
        users: Arc::new(SeaUserRepo::new(db.clone())),
        sessions: Arc::new(SeaSessionRepo::new(db)),
        outbox: store.clone(),
        account_tokens: store.clone(),
        hasher: Arc::new(hasher),
        tokens: Arc::new(tokens),
        secrets: Arc::new(RandomTokens),
        successors: Arc::new(HmacSuccessors::from_secret(secret.as_bytes())),
        callers: Arc::new(SeparateLookups::new(revocations.clone(), cache.clone())),
        cache,
        revocations,
        rate_limiter: Arc::new(MemoryRateLimiter::new(RateLimits::default()).unwrap()),
        strength: Arc::new(postern_password::ZxcvbnEstimator),
        factors: store,
        totp: Arc::new(postern_totp::RfcTotp::new("postern")),
        secret_box: Arc::new(postern_tokens::AeadSecretBox::new(secret.as_bytes()).unwrap()),
        clock,
    }
}
