//! The rate limits of §6 in this process's memory, with governor's keyed GCRA limiters.
//!
//! A quota of `limit` per `period` is a bucket of `limit` cells that regains one cell every
//! `period / limit`: a burst of `limit` passes at once, then requests pass at the average
//! rate. governor updates each key's state with one compare-and-swap, so the limit is exact
//! under any concurrency within the process. Idle keys are pruned every
//! [`HOUSEKEEPING_EVERY`] checks, on the caller's task, so memory stays bounded without a
//! background job.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use postern_core::ports::{
    InvalidQuota, Quota, RateDecision, RateLimitBucket, RateLimiter, RateLimits,
};
use postern_core::ports::{PortError, PortResult};

/// How many checks pass between two prunings of idle keys.
const HOUSEKEEPING_EVERY: u64 = 4096;

type KeyedLimiter = governor::RateLimiter<
    String,
    DefaultKeyedStateStore<String>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// One enabled bucket: its limiter and the numbers its decisions report.
struct Bucket {
    limiter: KeyedLimiter,
    limit: u32,
    replenish_interval: Duration,
}

impl Bucket {
    fn new(quota: Quota) -> PortResult<Self> {
        let invalid = || PortError::unexpected(InvalidQuota { quota });
        let burst = NonZeroU32::new(quota.limit).ok_or_else(invalid)?;
        let replenish_interval = quota.period / quota.limit;
        let gcra = governor::Quota::with_period(replenish_interval)
            .ok_or_else(invalid)?
            .allow_burst(burst);
        Ok(Self {
            limiter: governor::RateLimiter::keyed(gcra).with_middleware(),
            limit: quota.limit,
            replenish_interval,
        })
    }

    fn check(&self, key: &str) -> RateDecision {
        match self.limiter.check_key(&key.to_owned()) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                RateDecision {
                    allowed: true,
                    limit: self.limit,
                    remaining,
                    reset_after: self.refill_time(remaining),
                }
            }
            Err(not_until) => RateDecision {
                allowed: false,
                limit: self.limit,
                remaining: 0,
                reset_after: not_until.wait_time_from(self.limiter.clock().now()),
            },
        }
    }

    /// Time until the bucket is full again. governor exposes only whole remaining cells, so
    /// this rounds up to the next whole cell: never earlier than the truth, at most one
    /// replenish interval later.
    fn refill_time(&self, remaining: u32) -> Duration {
        self.replenish_interval
            .saturating_mul(self.limit.saturating_sub(remaining))
    }

    fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// Rate limits counted in this process: exact for one instance, not shared between several.
pub struct MemoryRateLimiter {
    login: Option<Bucket>,
    refresh: Option<Bucket>,
    signup: Option<Bucket>,
    password_forgot: Option<Bucket>,
    email_resend: Option<Bucket>,
    checks: AtomicU64,
}

impl MemoryRateLimiter {
    /// A limiter enforcing `limits`.
    ///
    /// # Errors
    /// [`PortError::Unexpected`] for a quota with a zero limit or a period too short to divide by
    /// it.
    pub fn new(limits: RateLimits) -> PortResult<Self> {
        let bucket = |quota: Option<Quota>| quota.map(Bucket::new).transpose();
        Ok(Self {
            login: bucket(limits.login)?,
            refresh: bucket(limits.refresh)?,
            signup: bucket(limits.signup)?,
            password_forgot: bucket(limits.password_forgot)?,
            email_resend: bucket(limits.email_resend)?,
            checks: AtomicU64::new(0),
        })
    }

    fn bucket(&self, bucket: RateLimitBucket) -> Option<&Bucket> {
        match bucket {
            RateLimitBucket::Login => self.login.as_ref(),
            RateLimitBucket::Refresh => self.refresh.as_ref(),
            RateLimitBucket::Signup => self.signup.as_ref(),
            RateLimitBucket::PasswordForgot => self.password_forgot.as_ref(),
            RateLimitBucket::EmailResend => self.email_resend.as_ref(),
        }
    }

    /// Drops keys whose buckets have refilled, every [`HOUSEKEEPING_EVERY`] checks.
    fn housekeeping(&self) {
        let checks = self.checks.fetch_add(1, Ordering::Relaxed) + 1;
        if checks.is_multiple_of(HOUSEKEEPING_EVERY) {
            [&self.login, &self.refresh, &self.signup]
                .into_iter()
                .flatten()
                .for_each(Bucket::prune);
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

    fn limiter() -> MemoryRateLimiter {
        MemoryRateLimiter::new(RateLimits::default()).unwrap()
    }

    async fn check(limiter: &MemoryRateLimiter, key: &str) -> RateDecision {
        limiter
            .check(RateLimitBucket::Login, key)
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn five_logins_pass_and_the_sixth_is_refused_with_a_wait() {
        let limiter = limiter();
        let mut remaining = Vec::new();
        for _ in 0..5 {
            let decision = check(&limiter, "10.0.0.1|ada@example.com").await;
            assert!(decision.allowed);
            assert_eq!(decision.limit, 5);
            remaining.push(decision.remaining);
        }

        let refused = check(&limiter, "10.0.0.1|ada@example.com").await;

        assert_eq!(remaining, [4, 3, 2, 1, 0]);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert!(refused.reset_after > Duration::ZERO);
        assert!(refused.reset_after <= Duration::from_secs(3 * 60));
    }

    #[tokio::test]
    async fn reset_after_is_the_time_until_the_bucket_is_full() {
        let limiter = limiter();

        let first = check(&limiter, "k").await;
        let second = check(&limiter, "k").await;

        assert_eq!(first.reset_after, Duration::from_secs(3 * 60));
        assert_eq!(second.reset_after, Duration::from_secs(6 * 60));
    }

    #[tokio::test]
    async fn keys_are_counted_independently() {
        let limiter = limiter();
        for _ in 0..5 {
            check(&limiter, "10.0.0.1|ada@example.com").await;
        }

        let other = check(&limiter, "10.0.0.2|ada@example.com").await;

        assert!(other.allowed);
        assert_eq!(other.remaining, 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_checks_on_one_key_let_exactly_the_limit_through() {
        let limiter = Arc::new(limiter());
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let limiter = Arc::clone(&limiter);
                tokio::spawn(async move { check(&limiter, "10.0.0.1|ada@example.com").await })
            })
            .collect();

        let mut allowed = 0;
        for task in tasks {
            allowed += usize::from(task.await.unwrap().allowed);
        }

        assert_eq!(allowed, 5);
    }

    #[tokio::test]
    async fn a_disabled_bucket_decides_nothing() {
        let limiter = MemoryRateLimiter::new(RateLimits {
            signup: None,
            ..RateLimits::default()
        })
        .unwrap();

        let decision = limiter.check(RateLimitBucket::Signup, "10.0.0.1").await;

        assert_eq!(decision.unwrap(), None);
    }

    #[test]
    fn a_zero_limit_is_refused() {
        let result = MemoryRateLimiter::new(RateLimits {
            login: Some(Quota {
                limit: 0,
                period: Duration::from_secs(60),
            }),
            ..RateLimits::default()
        });

        assert!(matches!(result, Err(PortError::Unexpected(_))));
    }

    #[tokio::test]
    async fn housekeeping_drops_keys_whose_buckets_refilled() {
        let limiter = MemoryRateLimiter::new(RateLimits {
            signup: Some(Quota {
                limit: 1,
                period: Duration::from_millis(10),
            }),
            ..RateLimits::default()
        })
        .unwrap();
        limiter.check(RateLimitBucket::Signup, "old").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;

        for _ in 1..HOUSEKEEPING_EVERY {
            limiter.check(RateLimitBucket::Login, "busy").await.unwrap();
        }

        let signup = limiter.signup.as_ref().unwrap();
        assert_eq!(signup.limiter.len(), 0);
    }
}
