//! The shared state of a multi-instance deployment in Redis (fred 10): the profile cache, the
//! revocation list and the rate limiter, plus the connection they share and the degradation
//! that keeps Postern serving while Redis is down.
//!
//! - [`connect`] builds a pool that reconnects forever and fails commands fast; the adapters
//!   send every command with `fail_fast`, so no request queues behind a dead connection.
//! - Every adapter takes a key prefix (empty in production, unique per test) that starts each
//!   of its keys: `{prefix}user:profile:v1:{userId}`, `{prefix}revoked:session:{sessionId}`,
//!   `{prefix}ratelimit:{bucket}:{key}`.
//! - [`RedisProfileCache`], [`RedisRevocationList`] and [`RedisRateLimiter`] are the plain
//!   adapters: every Redis failure is [`postern_core::Error::Unavailable`].

mod connect;
mod profile_cache;
mod rate_limit;
mod revocation;
mod script;

pub use connect::{RedisSettings, connect, connect_client, ping};
pub use profile_cache::RedisProfileCache;
pub use rate_limit::RedisRateLimiter;
pub use revocation::RedisRevocationList;
