//! Criterion micro-benchmarks of what nearly every request crosses: signing and verifying an
//! access token, one rate-limit check, and a profile-cache round trip; the last two both in
//! process and in Redis, whose figures include the loopback round trip. Then what an
//! authenticated profile read asks of Redis: the revocation check and the cached profile, one
//! after the other (two round trips, as before `CallerLookup`) and together (one); and what a
//! login's second step adds (opening a sealed TOTP secret and checking a code).
//!
//! `make microbench` runs them (`cargo bench -p postern-tests --bench hot_paths`). The Redis
//! benchmarks use the Redis at `REDIS_URL` (default `redis://127.0.0.1:6379`), under a key
//! prefix of their own whose keys are gone when the run ends. `cargo test` runs each benchmark
//! once, so that they keep working.

// A benchmark that cannot set up has nothing to measure: it stops with the reason.
#![allow(clippy::expect_used, clippy::panic)]

use std::cell::OnceCell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use postern_core::domain::{
    AccessClaims, DisplayName, Email, FactorId, MfaCode, Role, SessionId, SessionPolicy, User,
    UserId,
};
use postern_core::ports::RateLimits;
use postern_core::ports::{
    CallerLookup, CallerState, ProfileCache, Quota, RateDecision, RateLimitBucket, RateLimiter,
    SecretBox, SeparateLookups, SystemClock, TokenIssuer, TotpVerifier,
};
use postern_memory::{MemoryProfileCache, MemoryRateLimiter};
use postern_redis::{
    RedisCallerLookup, RedisProfileCache, RedisRateLimiter, RedisRevocationList, RedisSettings,
};
use postern_tokens::{AeadSecretBox, Ed25519KeyPair, EdDsaConfig, JwtConfig, JwtIssuer};
use postern_totp::RfcTotp;
use secrecy::SecretString;
use time::OffsetDateTime;
use tokio::runtime::Runtime;
use uuid::Uuid;

/// A login's rate-limit key: client IP and email.
const LOGIN_KEY: &str = "203.0.113.7|ada@example.com";

fn hot_paths(c: &mut Criterion) {
    // The server's runtime flavour, so that the Redis figures include the wake-ups across
    // worker threads that a request pays.
    let runtime = Runtime::new().expect("starting a Tokio runtime");
    let redis = Redis::new(&runtime);
    let user = user();

    token(c, &user);
    totp(c);
    rate_limit(c, &runtime, &redis);
    cache(c, &runtime, &redis, &user);
    profile_read(c, &runtime, &redis, &user);

    redis.clean_up(&user);
}

/// Issuing (the claims as login and refresh build them, then the signature) and verifying, with
/// each kind of key.
fn token(c: &mut Criterion, user: &User) {
    let hs256 = JwtIssuer::hs256(JwtConfig {
        secret: SecretString::from("a benchmark secret of 32 bytes or more"),
        issuer: "postern".into(),
        audience: "postern-api".into(),
        key_id: "bench".into(),
    })
    .expect("an HS256 issuer");
    let eddsa = JwtIssuer::eddsa(EdDsaConfig {
        signing_key: Ed25519KeyPair::generate().expect("an Ed25519 key pair"),
        previous_keys: Vec::new(),
        issuer: "postern".into(),
        audience: "postern-api".into(),
    })
    .expect("an EdDSA issuer");
    let session = SessionId::generate();

    let mut group = c.benchmark_group("token");
    for (name, issuer) in [("hs256", &hs256), ("eddsa", &eddsa)] {
        let token = issuer
            .issue(&claims(user, session))
            .expect("issuing a token");
        issuer
            .verify(token.expose())
            .expect("a token just issued must verify");
        group.bench_function(format!("{name}_issue"), |b| {
            b.iter(|| issuer.issue(&claims(user, black_box(session))));
        });
        group.bench_function(format!("{name}_verify"), |b| {
            b.iter(|| issuer.verify(black_box(token.expose())));
        });
    }
    group.finish();
}

/// What a login's second step adds to it before storage: opening the factor's sealed secret
/// (AES-256-GCM) and checking a code against the three steps around now (RFC 6238, HMAC-SHA-1),
/// the right one last, as a code from a slow clock would be.
fn totp(c: &mut Criterion) {
    let secret_box =
        AeadSecretBox::new(b"a benchmark MFA key of 32 bytes or more").expect("a secret box");
    let verifier = RfcTotp::new("postern");
    let factor = FactorId::generate();
    let sealed = secret_box
        .seal(&verifier.generate_secret(), factor)
        .expect("sealing a secret");
    let now = OffsetDateTime::now_utc();
    let opened = secret_box.open(&sealed, factor).expect("opening it");
    let code = totp_rs::Builder::new()
        .with_secret(opened.expose().to_vec())
        .build()
        .expect("RFC 6238 parameters")
        .generate(u64::try_from(now.unix_timestamp() + 30).expect("after 1970"))
        .to_string();
    let code = match MfaCode::parse(&code, "code") {
        Ok(MfaCode::Totp(code)) => code,
        other => panic!("not a TOTP code: {other:?}"),
    };
    assert!(
        verifier.check(&opened, &code, now).is_some(),
        "the code must match"
    );

    let mut group = c.benchmark_group("mfa");
    group.bench_function("totp_open_and_check", |b| {
        b.iter(|| {
            let secret = secret_box
                .open(black_box(&sealed), factor)
                .expect("opening");
            verifier.check(&secret, black_box(&code), now)
        });
    });
    group.finish();
}

/// One check of an admitted login, counted in process and in Redis: the same sliding-window
/// log, under a lock and in a Lua script.
fn rate_limit(c: &mut Criterion, runtime: &Runtime, redis: &Redis) {
    let memory = MemoryRateLimiter::new(never_refusing()).expect("an in-process limiter");

    let mut group = c.benchmark_group("rate_limit");
    checks(&mut group, runtime, "memory", || &memory);
    checks(&mut group, runtime, "redis", || &redis.adapters().limiter);
    group.finish();
}

/// `limiter()` is called inside the benchmark, so that a filtered-out one never connects.
fn checks<'a, L: RateLimiter + 'a>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    runtime: &Runtime,
    name: &str,
    limiter: impl Fn() -> &'a L,
) {
    group.bench_function(name, |b| {
        let limiter = limiter();
        b.to_async(runtime).iter(|| async move {
            let decision = limiter
                .check(RateLimitBucket::Login, black_box(LOGIN_KEY))
                .await;
            // A refusal, or a Redis gone, would be timed as another, cheaper path.
            assert!(
                matches!(decision, Ok(Some(RateDecision { allowed: true, .. }))),
                "{name}: the login was not admitted: {decision:?}"
            );
        });
    });
}

/// A profile cached and read back (what a profile change followed by a read costs), and a read
/// that hits (what an authenticated profile request costs).
fn cache(c: &mut Criterion, runtime: &Runtime, redis: &Redis, user: &User) {
    let memory = MemoryProfileCache::new(MemoryProfileCache::DEFAULT_TTL, 10_000);

    let mut group = c.benchmark_group("cache");
    round_trips(&mut group, runtime, user, "memory", || &memory);
    round_trips(&mut group, runtime, user, "redis", || {
        &redis.adapters().cache
    });
    group.finish();
}

/// The lookups of an authenticated profile read of a live session whose profile is cached:
/// `EXISTS` then `GET` (two round trips), and both sent at once (one).
fn profile_read(c: &mut Criterion, runtime: &Runtime, redis: &Redis, user: &User) {
    let mut group = c.benchmark_group("profile_read");
    lookups(
        &mut group,
        runtime,
        redis,
        user,
        "redis_check_then_get",
        |adapters| &adapters.separate,
    );
    lookups(
        &mut group,
        runtime,
        redis,
        user,
        "redis_one_round_trip",
        |adapters| &adapters.together,
    );
    group.finish();
}

fn lookups<'a, L: CallerLookup + 'a>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    runtime: &Runtime,
    redis: &'a Redis,
    user: &User,
    name: &str,
    lookup: impl Fn(&'a RedisAdapters) -> &'a L,
) {
    group.bench_function(name, |b| {
        let adapters = redis.adapters();
        let lookup = lookup(adapters);
        runtime
            .block_on(adapters.cache.put(user))
            .expect("caching a profile");
        let session = SessionId::generate();
        b.to_async(runtime).iter(|| async move {
            let state = lookup.lookup(black_box(session), black_box(user.id)).await;
            assert!(
                matches!(
                    state,
                    Ok(CallerState::Live {
                        cached_profile: Ok(Some(_))
                    })
                ),
                "{name}: not a live session with a cached profile"
            );
        });
    });
}

/// `cache()` is called inside the benchmarks, so that filtered-out ones never connect.
fn round_trips<'a, C: ProfileCache + 'a>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    runtime: &Runtime,
    user: &User,
    name: &str,
    cache: impl Fn() -> &'a C,
) {
    group.bench_function(format!("{name}_put_get"), |b| {
        let cache = cache();
        b.to_async(runtime).iter(|| async move {
            cache.put(black_box(user)).await.expect("caching a profile");
            cache
                .get(black_box(user.id))
                .await
                .expect("reading a profile")
        });
    });
    group.bench_function(format!("{name}_get_hit"), |b| {
        let cache = cache();
        runtime
            .block_on(cache.put(user))
            .expect("caching a profile");
        b.to_async(runtime).iter(|| async move {
            let cached = cache.get(black_box(user.id)).await;
            assert!(matches!(cached, Ok(Some(_))), "{name}: a miss, not a hit");
        });
    });
}

/// The local Redis and the adapters on it, connected on first use, so that a run filtered to
/// the in-process benchmarks (`-- token`) needs no Redis.
struct Redis<'rt> {
    runtime: &'rt Runtime,
    prefix: String,
    adapters: OnceCell<RedisAdapters>,
}

struct RedisAdapters {
    limiter: RedisRateLimiter,
    cache: RedisProfileCache,
    /// The revocation list, then the cache: what a profile read did before `CallerLookup`.
    separate: SeparateLookups,
    /// Both in one round trip.
    together: RedisCallerLookup,
}

impl<'rt> Redis<'rt> {
    fn new(runtime: &'rt Runtime) -> Self {
        Self {
            runtime,
            prefix: format!(
                "bench-{}-{}:",
                std::process::id(),
                OffsetDateTime::now_utc().unix_timestamp_nanos()
            ),
            adapters: OnceCell::new(),
        }
    }

    /// # Panics
    /// When Redis does not answer: a benchmark of it cannot be skipped quietly.
    fn adapters(&self) -> &RedisAdapters {
        self.adapters.get_or_init(|| {
            let url = std::env::var("REDIS_URL")
                .unwrap_or_else(|_| String::from("redis://127.0.0.1:6379"));
            let pool = self.runtime.block_on(async {
                let pool = postern_redis::connect(&RedisSettings::new(url))
                    .await
                    .unwrap_or_else(|error| {
                        panic!("REDIS_URL is not a Redis URL: {}", cause(&error))
                    });
                if let Err(error) = postern_redis::ping(&pool).await {
                    panic!(
                        "Redis does not answer at REDIS_URL (default redis://127.0.0.1:6379); \
                         start the local one with `make services`. The error: {}",
                        cause(&error)
                    );
                }
                pool
            });
            // Short-lived, so that a run that dies before cleaning up leaves nothing for long.
            let cache = RedisProfileCache::new(pool.clone(), &self.prefix, Duration::from_secs(60));
            let revocations =
                || RedisRevocationList::new(pool.clone(), &self.prefix, Arc::new(SystemClock));
            RedisAdapters {
                limiter: RedisRateLimiter::new(pool.clone(), &self.prefix, never_refusing())
                    .expect("a Redis limiter"),
                separate: SeparateLookups::new(Arc::new(revocations()), Arc::new(cache.clone())),
                together: RedisCallerLookup::new(pool.clone(), revocations(), cache.clone()),
                cache,
            }
        })
    }

    /// Drops the one cached profile; the rate-limit log expires a millisecond after its last
    /// check on its own (the script's `PEXPIRE`).
    fn clean_up(&self, user: &User) {
        if let Some(adapters) = self.adapters.get() {
            self.runtime
                .block_on(adapters.cache.invalidate(user.id))
                .expect("deleting the benchmark's cached profile");
        }
    }
}

/// What went wrong beneath the port's error, whose own message only names its kind.
fn cause(error: &postern_core::ports::PortError) -> String {
    std::error::Error::source(error).map_or_else(|| error.to_string(), ToString::to_string)
}

/// A million logins per millisecond: more than either limiter can count, so every check takes
/// the admitting path; and the short window keeps the Redis log short (the last millisecond's
/// checks), as a real key's is, instead of growing with every check.
fn never_refusing() -> RateLimits {
    RateLimits::default().with(
        RateLimitBucket::Login,
        Some(Quota {
            limit: 1_000_000,
            period: Duration::from_millis(1),
        }),
    )
}

fn user() -> User {
    let now = OffsetDateTime::now_utc();
    User {
        id: UserId::generate(),
        email: Email::parse("ada@example.com").expect("a valid email"),
        name: Some(DisplayName::parse("Ada Lovelace").expect("a valid name")),
        role: Role::User,
        email_verified: true,
        disabled: false,
        created_at: now,
        updated_at: now,
    }
}

/// The claims of a new access token, as the core's token minter builds them.
fn claims(user: &User, session: SessionId) -> AccessClaims {
    let now = OffsetDateTime::now_utc();
    AccessClaims {
        user_id: user.id,
        session_id: session,
        role: user.role,
        email: user.email.clone(),
        issued_at: now,
        expires_at: now + SessionPolicy::default().access_ttl,
        token_id: Uuid::now_v7(),
        amr: postern_core::domain::AuthMethod::PASSWORD.to_vec(),
    }
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
