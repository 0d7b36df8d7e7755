//! The rate limits of docs/http-api.md §6 in this process's memory: an exact sliding-window log per
//! bucket and key, the same algorithm as the Redis limiter's script, so that the two keep the one
//! promise of [`RateLimiter`].
//!
//! Each key keeps the times of its admitted requests within the last period, at most `limit`
//! of them. A check forgets the times a period old or older, admits the request only if fewer
//! than `limit` remain, and records it; so no window of one period ever holds more than `limit`
//! admissions. A check is one step under its bucket's lock, which makes it exact under any
//! concurrency within the process; the lock is held for a few comparisons only.
//!
//! Memory stays bounded without a background job: a key holds at most `limit` times, and every
//! [`HOUSEKEEPING_EVERY`] checks, on the caller's task, every bucket forgets its idle keys
//! (those whose newest admission is a period old).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use postern_core::ports::{
    InvalidQuota, PortError, PortResult, Quota, RateDecision, RateLimitBucket, RateLimiter,
    RateLimits,
};

/// How many checks pass between two prunings of idle keys.
const HOUSEKEEPING_EVERY: u64 = 4096;

/// The times of one key's admissions within the last period, oldest first.
type Log = VecDeque<Instant>;

/// One enabled bucket: its quota and the log of each of its keys.
struct Bucket {
    quota: Quota,
    logs: Mutex<HashMap<String, Log>>,
}

impl Bucket {
    fn new(quota: Quota) -> PortResult<Self> {
        if quota.limit == 0 || quota.period.is_zero() {
            return Err(PortError::unexpected(InvalidQuota { quota }));
        }
        Ok(Self {
            quota,
            logs: Mutex::default(),
        })
    }

    fn logs(&self) -> MutexGuard<'_, HashMap<String, Log>> {
        self.logs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check(&self, key: &str) -> RateDecision {
        let mut logs = self.logs();
        // Read under the lock, so that each log is appended to in time order.
        let now = Instant::now();
        match logs.get_mut(key) {
            Some(log) => self.admit(log, now),
            None => {
                let mut log = Log::with_capacity(1);
                let decision = self.admit(&mut log, now);
                logs.insert(key.to_owned(), log);
                decision
            }
        }
    }

    /// Decides on one request at `now` and records it if admitted.
    fn admit(&self, log: &mut Log, now: Instant) -> RateDecision {
        let Quota { limit, period } = self.quota;
        while log.front().is_some_and(|at| *at + period <= now) {
            log.pop_front();
        }
        let allowed = log.len() < limit as usize;
        if allowed {
            log.push_back(now);
        }
        // Admitted: the quota is full again when the newest admission leaves the window.
        // Refused: the next request may pass when the oldest one does.
        let leaving = if allowed { log.back() } else { log.front() };
        let reset_after = leaving.map_or(Duration::ZERO, |at| {
            (*at + period).saturating_duration_since(now)
        });
        let admitted = u32::try_from(log.len()).unwrap_or(limit);
        RateDecision {
            allowed,
            limit,
            remaining: limit.saturating_sub(admitted),
            reset_after,
        }
    }

    /// Forgets the keys whose every admission has left the window.
    fn prune(&self) {
        let now = Instant::now();
        let period = self.quota.period;
        let mut logs = self.logs();
        logs.retain(|_, log| log.back().is_some_and(|at| *at + period > now));
        logs.shrink_to_fit();
    }
}

/// Rate limits counted in this process: exact for one instance, not shared between several.
pub struct MemoryRateLimiter {
    /// The enabled buckets; a bucket switched off has no entry.
    buckets: Vec<(RateLimitBucket, Bucket)>,
    checks: AtomicU64,
}

impl MemoryRateLimiter {
    /// A limiter enforcing `limits`.
    ///
    /// # Errors
    /// [`PortError::Unexpected`] for a quota with a zero limit or a zero period.
    pub fn new(limits: RateLimits) -> PortResult<Self> {
        let mut buckets = Vec::new();
        for bucket in RateLimitBucket::ALL {
            if let Some(quota) = limits.quota(bucket) {
                buckets.push((bucket, Bucket::new(quota)?));
            }
        }
        Ok(Self {
            buckets,
            checks: AtomicU64::new(0),
        })
    }

    /// How many keys the limiter holds in all buckets: what its memory grows with, for
    /// checking that it stays bounded.
    pub fn tracked_keys(&self) -> usize {
        self.buckets
            .iter()
            .map(|(_, bucket)| bucket.logs().len())
            .sum()
    }

    fn bucket(&self, bucket: RateLimitBucket) -> Option<&Bucket> {
        self.buckets
            .iter()
            .find_map(|(name, limits)| (*name == bucket).then_some(limits))
    }

    /// Prunes idle keys in every bucket, every [`HOUSEKEEPING_EVERY`] checks.
    fn housekeeping(&self) {
        let checks = self.checks.fetch_add(1, Ordering::Relaxed) + 1;
        if checks.is_multiple_of(HOUSEKEEPING_EVERY) {
            for (_, bucket) in &self.buckets {
                bucket.prune();
            }
        }
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, bucket: RateLimitBucket, key: &str) -> PortResult<Option<RateDecision>> {
        let Some(bucket) = self.bucket(bucket) else {
            return Ok(None);
        };
        self.housekeeping();
        Ok(Some(bucket.check(key)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    async fn memory_limiter(limits: RateLimits) -> PortResult<Arc<dyn RateLimiter>> {
        Ok(Arc::new(MemoryRateLimiter::new(limits)?))
    }

    postern_contract::rate_limiter_contract!(memory_limiter);

    /// `limit` per `period` in every bucket.
    fn everywhere(limit: u32, period: Duration) -> RateLimits {
        let quota = Some(Quota { limit, period });
        RateLimitBucket::ALL
            .into_iter()
            .fold(RateLimits::off(), |limits, bucket| {
                limits.with(bucket, quota)
            })
    }

    fn keys(limiter: &MemoryRateLimiter) -> Vec<(RateLimitBucket, String)> {
        let mut keys = Vec::new();
        for (name, bucket) in &limiter.buckets {
            keys.extend(bucket.logs().keys().map(|key| (*name, key.clone())));
        }
        keys
    }

    #[tokio::test]
    async fn housekeeping_forgets_the_idle_keys_of_every_bucket() {
        let limiter = MemoryRateLimiter::new(everywhere(u32::MAX, Duration::from_millis(10)));
        let limiter = limiter.unwrap();
        for bucket in RateLimitBucket::ALL {
            limiter.check(bucket, "idle").await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;

        for _ in 0..HOUSEKEEPING_EVERY {
            limiter.check(RateLimitBucket::Login, "busy").await.unwrap();
        }

        assert_eq!(keys(&limiter), [(RateLimitBucket::Login, "busy".into())]);
    }

    #[tokio::test]
    async fn a_key_remembers_no_more_than_its_limit_of_admissions() {
        let limiter = MemoryRateLimiter::new(everywhere(3, Duration::from_secs(60))).unwrap();

        for _ in 0..100 {
            limiter.check(RateLimitBucket::Signup, "k").await.unwrap();
        }

        let signup = limiter.bucket(RateLimitBucket::Signup).unwrap();
        assert_eq!(signup.logs()["k"].len(), 3);
    }
}
