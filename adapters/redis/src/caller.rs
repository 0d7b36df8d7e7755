//! The revocation check and the profile-cache read of a profile request in one round trip:
//! `EXISTS {prefix}revoked:session:{sid}` and `GET {prefix}user:profile:v1:{userId}` are sent
//! together on one connection, which fred pipelines (it writes a command without waiting for
//! the answer to the one before), so the request waits for Redis once instead of twice.
//!
//! Not a Lua script: a script's keys must share a hash slot on a cluster, and the revocation
//! key, a versioned format other services read (docs/http-api.md §10), carries no hash tag. On
//! a cluster the two commands go to their own nodes at the same time: still one round trip's
//! wait.

use std::sync::Arc;

use async_trait::async_trait;
use fred::prelude::{KeysInterface, Pool};
use postern_core::domain::{SessionId, UserId};
use postern_core::ports::{CallerLookup, CallerState, PortResult, SessionRepo};

use super::connect::{fail_fast, redis_error};
use super::health::RedisHealth;
use super::{RedisProfileCache, RedisRevocationList};

/// [`CallerLookup`] on the keys of a [`RedisRevocationList`] and a [`RedisProfileCache`].
pub struct RedisCallerLookup {
    pool: Pool,
    revocations: RedisRevocationList,
    profiles: RedisProfileCache,
}

impl RedisCallerLookup {
    /// Reads the keys of `revocations` and `profiles` (which should share a prefix) on `pool`.
    pub fn new(pool: Pool, revocations: RedisRevocationList, profiles: RedisProfileCache) -> Self {
        Self {
            pool,
            revocations,
            profiles,
        }
    }
}

#[async_trait]
impl CallerLookup for RedisCallerLookup {
    async fn lookup(&self, session: SessionId, user: UserId) -> PortResult<CallerState> {
        // One connection for both, so that they travel in one write and one read.
        let client = fail_fast(self.pool.next());
        let (revoked, cached): (u64, Option<String>) = tokio::try_join!(
            client.exists(self.revocations.key(session)),
            client.get(self.profiles.key(user)),
        )
        .map_err(redis_error)?;
        if revoked > 0 {
            return Ok(CallerState::Revoked);
        }
        Ok(CallerState::Live {
            cached_profile: cached.as_deref().map(RedisProfileCache::decode).transpose(),
        })
    }
}

/// [`RedisCallerLookup`] that, while Redis is down or recovering, answers as the resilient
/// revocation list and profile cache do: from the session table, and with a miss.
pub struct ResilientCallerLookup {
    redis: RedisCallerLookup,
    sessions: Arc<dyn SessionRepo>,
    health: Arc<RedisHealth>,
}

impl ResilientCallerLookup {
    /// Wraps `redis`, with `sessions` as the fallback for revocations; `health` should be the
    /// breaker of the resilient revocation list and profile cache, whose re-synchronisations
    /// make Redis trustworthy again.
    pub fn new(
        redis: RedisCallerLookup,
        sessions: Arc<dyn SessionRepo>,
        health: Arc<RedisHealth>,
    ) -> Self {
        Self {
            redis,
            sessions,
            health,
        }
    }
}

#[async_trait]
impl CallerLookup for ResilientCallerLookup {
    async fn lookup(&self, session: SessionId, user: UserId) -> PortResult<CallerState> {
        if self.health.serves_reads()
            && let Some(state) = self.health.guard(self.redis.lookup(session, user).await)?
        {
            return Ok(state);
        }
        if self.sessions.is_revoked(session).await? {
            return Ok(CallerState::Revoked);
        }
        Ok(CallerState::Live {
            cached_profile: Ok(None),
        })
    }
}
