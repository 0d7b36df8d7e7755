//! The rate limits of docs/http-api.md §6 in Redis, exact across any number of instances.
//!
//! Each check is one Lua script, so it is atomic: a sliding-window log in a sorted set per
//! bucket and key (`{prefix}ratelimit:{bucket}:{key}`), scored by the time of each admitted
//! request. The script drops the entries older than the period, admits the request only if
//! fewer than `limit` remain, and records it; so no window of `period` ever holds more than
//! `limit` admissions, whatever the concurrency. The time is Redis's own `TIME`, so that every
//! instance reads one clock. The key expires one period after its newest entry, so idle keys
//! cost nothing.

use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{Pool, Value};
use postern_core::ports::{
    InvalidQuota, Quota, RateDecision, RateLimitBucket, RateLimiter, RateLimits,
};
use postern_core::ports::{PortError, PortResult};
use uuid::Uuid;

use super::connect::{fail_fast, redis_error};
use super::script::LuaScript;

/// KEYS[1]: the log. ARGV: limit, period in µs, a unique member for this request.
/// Returns {allowed (0|1), remaining, reset_after in µs}.
const SLIDING_WINDOW: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
-- The quota is full again when the newest entry leaves the window; the key can go then.
local newest = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
local reset_after = math.max(newest + period - now, 0)
redis.call('PEXPIRE', KEYS[1], math.floor(reset_after / 1000) + 1)
if allowed == 0 then
  -- Refused: the next request may pass when the oldest entry leaves the window.
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  reset_after = math.max(oldest + period - now, 0)
end
return {allowed, limit - count, reset_after}
";

/// Rate limits counted in Redis: exact across instances.
pub struct RedisRateLimiter {
    pool: Pool,
    prefix: String,
    limits: RateLimits,
    script: LuaScript,
}

impl RedisRateLimiter {
    /// A limiter on `pool` enforcing `limits`, with keys under `prefix`.
    ///
    /// # Errors
    /// [`PortError::Unexpected`] for a quota with a zero limit or a period under a millisecond.
    pub fn new(pool: Pool, prefix: impl Into<String>, limits: RateLimits) -> PortResult<Self> {
        for quota in RateLimitBucket::ALL
            .into_iter()
            .filter_map(|bucket| limits.quota(bucket))
        {
            if quota.limit == 0 || quota.period < Duration::from_millis(1) {
                return Err(PortError::unexpected(InvalidQuota { quota }));
            }
        }
        Ok(Self {
            pool,
            prefix: prefix.into(),
            limits,
            script: LuaScript::new(SLIDING_WINDOW),
        })
    }

    /// The limits it enforces.
    pub fn limits(&self) -> RateLimits {
        self.limits
    }

    fn quota(&self, bucket: RateLimitBucket) -> Option<Quota> {
        self.limits.quota(bucket)
    }

    fn key(&self, bucket: RateLimitBucket, key: &str) -> String {
        format!("{}ratelimit:{}:{key}", self.prefix, bucket.name())
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, bucket: RateLimitBucket, key: &str) -> PortResult<Option<RateDecision>> {
        let Some(quota) = self.quota(bucket) else {
            return Ok(None);
        };
        let period_us = i64::try_from(quota.period.as_micros()).unwrap_or(i64::MAX);
        let (allowed, remaining, reset_after_us): (i64, i64, i64) = self
            .script
            .run(
                &fail_fast(&self.pool),
                vec![self.key(bucket, key)],
                &[
                    Value::from(i64::from(quota.limit)),
                    Value::from(period_us),
                    Value::from(Uuid::new_v4().to_string()),
                ],
            )
            .await
            .map_err(redis_error)?;
        Ok(Some(RateDecision {
            allowed: allowed == 1,
            limit: quota.limit,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(0),
            reset_after: Duration::from_micros(u64::try_from(reset_after_us).unwrap_or(0)),
        }))
    }
}
