//! # postern-redis
//!
//! The shared state of a multi-instance deployment in Redis (fred 10): the profile cache, the
//! revocation list and the rate limiter, plus the connection they share and the degradation
//! that keeps Postern serving while Redis is down.
//!
//! - [`connect`] builds a pool that reconnects forever and fails commands fast; the adapters
//!   send every command with `fail_fast`, so no request queues behind a dead connection.
//! - [`eviction_policy`] reads `maxmemory-policy`: a server refuses to start on a Redis that may
//!   evict keys (anything but `noeviction`), since an evicted revocation fails open.
//! - Every adapter takes a key prefix (empty in production, unique per test) that starts each
//!   of its keys: `{prefix}user:profile:v1:{userId}`, `{prefix}revoked:session:{sessionId}`,
//!   `{prefix}ratelimit:{bucket}:{key}`, and the streams' `{prefix}{events}:…` (see
//!   [`streams`]).
//! - The URL may name a Redis Cluster (`redis-cluster://`). Each script touches one key and
//!   each transaction only the streams, which share the hash tag `{events}`, so every command
//!   stays within one hash slot; the profile flush scans every primary.
//! - [`RedisCallerLookup`] reads a revocation and a cached profile in one round trip, for
//!   profile reads; [`ResilientCallerLookup`] falls back as the two resilient adapters do.
//! - [`RedisProfileCache`], [`RedisRevocationList`] and [`RedisRateLimiter`] are the plain
//!   adapters: every Redis failure is [`postern_core::ports::PortError::Unavailable`].
//! - [`ResilientProfileCache`], [`ResilientRevocationList`] and [`ResilientRateLimiter`] wrap
//!   them with their fallbacks, all steered by one [`RedisHealth`] circuit breaker: the first
//!   failure switches every adapter to its fallback at once, a background prober pings Redis
//!   every second, and Redis is trusted again only once it has been re-synchronised with the
//!   database (revocations re-seeded, cached profiles flushed).
//!
//! Stale profiles after an outage are handled by flushing (`SCAN` + `UNLINK` of
//! `{prefix}user:profile:v1:*`) rather than by a generation number mixed into the keys: the key
//! stays the one docs/http-api.md §4 names, reads stay one round trip with no generation to fetch
//! or to keep in step between instances, and the flush runs once per outage, which is rare.

mod caller;
mod connect;
mod eviction;
mod health;
mod profile_cache;
mod rate_limit;
mod resilient;
mod revocation;
mod script;
pub mod streams;

pub use caller::{RedisCallerLookup, ResilientCallerLookup};
pub(crate) use connect::redis_error;
pub use connect::{RedisSettings, connect, connect_client, ping};
pub use eviction::{SAFE_EVICTION_POLICY, eviction_policy, may_evict};
pub use health::RedisHealth;
pub use profile_cache::RedisProfileCache;
pub use rate_limit::RedisRateLimiter;
pub use resilient::{
    RESEED_MARGIN, ResilientProfileCache, ResilientRateLimiter, ResilientRevocationList,
};
pub use revocation::RedisRevocationList;
