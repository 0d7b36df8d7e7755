//! The Redis adapters wrapped in their fallbacks, for a deployment with `REDIS_URL`: Redis is
//! used while the shared [`RedisHealth`] says it is up, and each adapter degrades on its own
//! terms otherwise.
//!
//! - Profile cache: reads are misses and caching is skipped; the database is the truth. After
//!   an outage every cached profile is flushed before the cache is read again, because the
//!   invalidations skipped meanwhile would otherwise let stale profiles be served.
//! - Rate limiter: a fallback limiter with the same limits counts instead (in production the
//!   in-process one of `postern-memory`: exact per instance, no longer shared).
//! - Revocation list: asks the session table ([`SessionRepo::is_revoked`]); revoking succeeds
//!   because the use cases revoke in the database first. Before Redis answers again it is
//!   re-seeded with every session revoked within one access-token lifetime (plus
//!   [`RESEED_MARGIN`] for clock skew), each until `now + lifetime`: exactly the sessions
//!   whose tokens may still be unexpired, whether they were revoked during the outage or lost
//!   by a Redis that restarted empty.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use postern_core::domain::{SessionId, User, UserId};
use postern_core::ports::PortResult;
use postern_core::ports::{
    ProfileCache, RateDecision, RateLimitBucket, RateLimiter, RevocationList, SessionRepo,
};
use time::OffsetDateTime;

use super::health::{RedisHealth, Resync};
use super::{RedisProfileCache, RedisRateLimiter, RedisRevocationList};

/// How much earlier than one token lifetime ago the re-seed starts, for clock skew between
/// instances.
pub const RESEED_MARGIN: Duration = Duration::from_secs(60);

/// [`RedisProfileCache`] that misses while Redis is down.
pub struct ResilientProfileCache {
    redis: RedisProfileCache,
    health: Arc<RedisHealth>,
}

impl ResilientProfileCache {
    /// Wraps `redis`, and registers with `health` the flush that precedes its return.
    pub fn new(redis: RedisProfileCache, health: Arc<RedisHealth>) -> Self {
        health.register(Arc::new(FlushProfiles(redis.clone())));
        Self { redis, health }
    }
}

#[async_trait]
impl ProfileCache for ResilientProfileCache {
    async fn get(&self, id: UserId) -> PortResult<Option<User>> {
        if !self.health.serves_reads() {
            return Ok(None);
        }
        Ok(self.health.guard(self.redis.get(id).await)?.flatten())
    }

    async fn put(&self, user: &User) -> PortResult<()> {
        if self.health.serves_reads() {
            self.health.guard(self.redis.put(user).await)?;
        }
        Ok(())
    }

    async fn invalidate(&self, id: UserId) -> PortResult<()> {
        if self.health.takes_writes() {
            self.health.guard(self.redis.invalidate(id).await)?;
        }
        Ok(())
    }
}

struct FlushProfiles(RedisProfileCache);

#[async_trait]
impl Resync for FlushProfiles {
    fn what(&self) -> &'static str {
        "flushed cached profiles"
    }

    async fn resync(&self) -> PortResult<()> {
        self.0.flush().await.map(drop)
    }
}

/// [`RedisRateLimiter`] that counts in memory while Redis is down.
pub struct ResilientRateLimiter {
    redis: RedisRateLimiter,
    fallback: Arc<dyn RateLimiter>,
    health: Arc<RedisHealth>,
}

impl ResilientRateLimiter {
    /// Wraps `redis`, counting with `fallback` while Redis is down. The fallback is given rather
    /// than built here so that this crate depends on no other adapter; it should enforce the
    /// same limits as `redis`.
    pub fn new(
        redis: RedisRateLimiter,
        fallback: Arc<dyn RateLimiter>,
        health: Arc<RedisHealth>,
    ) -> Self {
        Self {
            redis,
            fallback,
            health,
        }
    }
}

#[async_trait]
impl RateLimiter for ResilientRateLimiter {
    async fn check(&self, bucket: RateLimitBucket, key: &str) -> PortResult<Option<RateDecision>> {
        if self.health.serves_reads()
            && let Some(decision) = self.health.guard(self.redis.check(bucket, key).await)?
        {
            return Ok(decision);
        }
        self.fallback.check(bucket, key).await
    }
}

/// [`RedisRevocationList`] that asks the session table while Redis is down.
pub struct ResilientRevocationList {
    redis: Arc<RedisRevocationList>,
    sessions: Arc<dyn SessionRepo>,
    health: Arc<RedisHealth>,
}

impl ResilientRevocationList {
    /// Wraps `redis`, with `sessions` as the fallback and the source of the re-seed, which
    /// revokes for `max_token_lifetime` (the longest access-token lifetime in use); registers
    /// that re-seed with `health`.
    pub fn new(
        redis: RedisRevocationList,
        sessions: Arc<dyn SessionRepo>,
        max_token_lifetime: Duration,
        health: Arc<RedisHealth>,
    ) -> Self {
        let redis = Arc::new(redis);
        health.register(Arc::new(ReseedRevocations {
            redis: Arc::clone(&redis),
            sessions: Arc::clone(&sessions),
            lifetime: max_token_lifetime,
        }));
        Self {
            redis,
            sessions,
            health,
        }
    }
}

#[async_trait]
impl RevocationList for ResilientRevocationList {
    async fn revoke(&self, sessions: &[SessionId], until: OffsetDateTime) -> PortResult<()> {
        if self.health.takes_writes() {
            self.health
                .guard(self.redis.revoke(sessions, until).await)?;
        }
        Ok(())
    }

    async fn is_revoked(&self, session: SessionId) -> PortResult<bool> {
        if self.health.serves_reads()
            && let Some(revoked) = self.health.guard(self.redis.is_revoked(session).await)?
        {
            return Ok(revoked);
        }
        self.sessions.is_revoked(session).await
    }
}

struct ReseedRevocations {
    redis: Arc<RedisRevocationList>,
    sessions: Arc<dyn SessionRepo>,
    lifetime: Duration,
}

#[async_trait]
impl Resync for ReseedRevocations {
    fn what(&self) -> &'static str {
        "re-seeded revocations from the session table"
    }

    async fn resync(&self) -> PortResult<()> {
        let now = self.redis.now();
        let revoked = self
            .sessions
            .revoked_since(now - self.lifetime - RESEED_MARGIN)
            .await?;
        self.redis.revoke(&revoked, now + self.lifetime).await
    }
}
