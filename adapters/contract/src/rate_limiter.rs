//! [`RateLimiter`]: what its documentation promises, checked on real time with periods short
//! enough to wait out. Per bucket and key, no window of one period admits more than the limit,
//! exactly, under any concurrency; a request is admitted whenever fewer than the limit were
//! admitted in the period before it; a refused request does not count; and every decision's
//! figures say what they mean.

use std::sync::Arc;
use std::time::{Duration, Instant};

use postern_core::ports::{PortError, PortResult};
use postern_core::ports::{Quota, RateDecision, RateLimitBucket, RateLimiter, RateLimits};

use crate::Factory;

/// Makes a fresh limiter enforcing the given quotas, or the limiter's refusal of them.
pub type LimiterFactory = dyn Factory<RateLimits, PortResult<Arc<dyn RateLimiter>>>;

/// The [`RateLimiter`] contract, as module `rate_limiter`, on the limiters that the
/// [`LimiterFactory`] `$make` builds.
#[macro_export]
macro_rules! rate_limiter_contract {
    ($make:expr) => {
        $crate::__contract_tests!(factory rate_limiter, $make, rate_limiter: [
            admits_the_limit_then_refuses_with_the_quotas_figures,
            an_admission_resets_after_a_whole_period,
            a_refusal_waits_until_the_oldest_admission_leaves_the_window,
            no_window_of_the_period_admits_more_than_the_limit,
            a_refused_request_is_not_counted,
            concurrent_checks_admit_exactly_the_limit,
            keys_and_buckets_are_counted_apart,
            every_bucket_is_limited_by_its_own_quota,
            a_bucket_without_a_quota_decides_nothing,
            a_quota_that_admits_nothing_is_refused,
        ]);
    };
}

/// The key the rules count under, shaped as a login's.
const KEY: &str = "10.0.0.1|ada@example.com";

/// Quotas for `quotas`' buckets; every other bucket is off.
fn limits(quotas: &[(RateLimitBucket, Quota)]) -> RateLimits {
    quotas
        .iter()
        .fold(RateLimits::off(), |limits, (bucket, quota)| {
            limits.with(*bucket, Some(*quota))
        })
}

/// A limiter with `limit` logins per `period` and every other bucket off.
async fn logins(make: &LimiterFactory, limit: u32, period: Duration) -> Arc<dyn RateLimiter> {
    let quota = Quota { limit, period };
    make.make(limits(&[(RateLimitBucket::Login, quota)]))
        .await
        .unwrap()
}

async fn check_in(limiter: &dyn RateLimiter, bucket: RateLimitBucket, key: &str) -> RateDecision {
    limiter.check(bucket, key).await.unwrap().unwrap()
}

async fn check(limiter: &dyn RateLimiter) -> RateDecision {
    check_in(limiter, RateLimitBucket::Login, KEY).await
}

/// The limit passes, counting `remaining` down to 0; the next is refused with nothing
/// remaining and a wait within the period. Every decision names the limit.
pub async fn admits_the_limit_then_refuses_with_the_quotas_figures(make: &LimiterFactory) {
    let period = Duration::from_secs(60);
    let limiter = logins(make, 5, period).await;
    let mut admitted = Vec::new();
    for _ in 0..5 {
        admitted.push(check(&*limiter).await);
    }

    let refused = check(&*limiter).await;

    assert!(
        admitted.iter().all(|d| d.allowed && d.limit == 5),
        "{admitted:?}"
    );
    let remaining: Vec<u32> = admitted.iter().map(|d| d.remaining).collect();
    assert_eq!(remaining, [4, 3, 2, 1, 0]);
    assert!(!refused.allowed);
    assert_eq!(refused.limit, 5);
    assert_eq!(refused.remaining, 0);
    assert!(refused.reset_after > Duration::ZERO && refused.reset_after <= period);
}

/// After an admission the quota is full again once that admission, the newest, leaves the
/// window: a whole period later.
pub async fn an_admission_resets_after_a_whole_period(make: &LimiterFactory) {
    let period = Duration::from_secs(60);
    let limiter = logins(make, 3, period).await;

    let first = check(&*limiter).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = check(&*limiter).await;

    assert_eq!(first.reset_after, period);
    assert_eq!(second.reset_after, period);
    assert_eq!(second.remaining, 1);
}

/// A refusal's wait is the time until the oldest admission in the window leaves it, measured
/// from the admission's own time.
pub async fn a_refusal_waits_until_the_oldest_admission_leaves_the_window(make: &LimiterFactory) {
    let period = Duration::from_secs(10);
    let limiter = logins(make, 2, period).await;
    let started = Instant::now();
    assert!(check(&*limiter).await.allowed);
    let oldest_admitted = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(check(&*limiter).await.allowed);

    let before = Instant::now();
    let refused = check(&*limiter).await;
    let after = Instant::now();

    // The oldest admission happened between `started` and `oldest_admitted`; the refusal
    // between `before` and `after`. A millisecond of slack for rounding.
    let slack = Duration::from_millis(1);
    let earliest = period - (after - started) - slack;
    let latest = period - (before - oldest_admitted) + slack;
    assert!(!refused.allowed);
    assert!(
        (earliest..=latest).contains(&refused.reset_after),
        "{:?} not within {earliest:?}..={latest:?}",
        refused.reset_after
    );
}

/// The window slides: a request is refused while `limit` admissions lie within the period
/// before it, however the period is cut, and admitted as soon as the oldest of them leaves.
/// A bucket that refills at the average rate (GCRA) or a window that resets at fixed times
/// admits a third request here.
pub async fn no_window_of_the_period_admits_more_than_the_limit(make: &LimiterFactory) {
    let period = Duration::from_secs(2);
    let limiter = logins(make, 2, period).await;

    assert!(check(&*limiter).await.allowed);
    tokio::time::sleep(period / 2).await;
    assert!(check(&*limiter).await.allowed);
    let refused = check(&*limiter).await;
    assert!(!refused.allowed, "three admissions within one period");
    tokio::time::sleep(refused.reset_after + Duration::from_millis(100)).await;
    let after_the_oldest_left = check(&*limiter).await;
    let while_the_second_stays = check(&*limiter).await;

    assert!(after_the_oldest_left.allowed, "{after_the_oldest_left:?}");
    assert!(
        !while_the_second_stays.allowed,
        "admitted while two admissions lay within the period: {while_the_second_stays:?}"
    );
}

/// Refused requests take no place in the window: once the admitted one leaves, the next
/// passes, however many were refused meanwhile.
pub async fn a_refused_request_is_not_counted(make: &LimiterFactory) {
    let period = Duration::from_secs(2);
    let limiter = logins(make, 1, period).await;
    assert!(check(&*limiter).await.allowed);
    tokio::time::sleep(period / 2).await;
    let mut refused = Vec::new();
    for _ in 0..3 {
        refused.push(check(&*limiter).await);
    }
    assert!(refused.iter().all(|d| !d.allowed), "{refused:?}");
    let wait = refused[2].reset_after;

    tokio::time::sleep(wait + Duration::from_millis(100)).await;
    let next = check(&*limiter).await;

    assert!(next.allowed, "{next:?}");
}

/// Fifty checks of one key at once: exactly the limit pass, each with its own `remaining`, and
/// every refusal has nothing remaining.
pub async fn concurrent_checks_admit_exactly_the_limit(make: &LimiterFactory) {
    let period = Duration::from_secs(60);
    let limiter = logins(make, 5, period).await;

    let tasks = (0..50).map(|_| {
        let limiter = Arc::clone(&limiter);
        tokio::spawn(async move { check(&*limiter).await })
    });
    let decisions = futures::future::try_join_all(tasks).await.unwrap();

    let allowed: Vec<&RateDecision> = decisions.iter().filter(|d| d.allowed).collect();
    assert_eq!(allowed.len(), 5);
    let mut remaining: Vec<u32> = allowed.iter().map(|d| d.remaining).collect();
    remaining.sort_unstable();
    assert_eq!(remaining, [0, 1, 2, 3, 4]);
    for decision in &decisions {
        assert_eq!(decision.limit, 5);
        assert!(decision.reset_after > Duration::ZERO && decision.reset_after <= period);
        assert!(decision.allowed || decision.remaining == 0, "{decision:?}");
    }
}

/// A full key leaves another key, and the same key in another bucket, untouched.
pub async fn keys_and_buckets_are_counted_apart(make: &LimiterFactory) {
    let quota = Quota {
        limit: 1,
        period: Duration::from_secs(60),
    };
    let both = limits(&[
        (RateLimitBucket::Login, quota),
        (RateLimitBucket::Signup, quota),
    ]);
    let limiter = make.make(both).await.unwrap();
    assert!(check(&*limiter).await.allowed);

    let again = check(&*limiter).await;
    let other_key = check_in(
        &*limiter,
        RateLimitBucket::Login,
        "10.0.0.2|ada@example.com",
    )
    .await;
    let other_bucket = check_in(&*limiter, RateLimitBucket::Signup, KEY).await;

    assert!(!again.allowed);
    assert!(
        other_key.allowed && other_key.remaining == 0,
        "{other_key:?}"
    );
    assert!(other_bucket.allowed, "{other_bucket:?}");
}

/// Each bucket counts against its own quota, none forgotten.
pub async fn every_bucket_is_limited_by_its_own_quota(make: &LimiterFactory) {
    let quotas: Vec<(RateLimitBucket, Quota)> = (1..)
        .zip(RateLimitBucket::ALL)
        .map(|(limit, bucket)| {
            let period = Duration::from_secs(60);
            (bucket, Quota { limit, period })
        })
        .collect();
    let limiter = make.make(limits(&quotas)).await.unwrap();

    for (bucket, quota) in quotas {
        for _ in 0..quota.limit {
            let decision = check_in(&*limiter, bucket, KEY).await;
            assert!(decision.allowed, "{bucket:?}: {decision:?}");
            assert_eq!(decision.limit, quota.limit, "{bucket:?}");
        }
        let over = check_in(&*limiter, bucket, KEY).await;
        assert!(
            !over.allowed,
            "{bucket:?} admitted more than {}",
            quota.limit
        );
    }
}

/// A bucket whose quota is off is not limited: its check decides nothing.
pub async fn a_bucket_without_a_quota_decides_nothing(make: &LimiterFactory) {
    let limiter = logins(make, 5, Duration::from_secs(60)).await;

    for bucket in RateLimitBucket::ALL {
        let decision = limiter.check(bucket, KEY).await.unwrap();
        assert_eq!(
            decision.is_none(),
            bucket != RateLimitBucket::Login,
            "{bucket:?}"
        );
    }
}

/// A quota of no requests, or of a zero period, cannot be enforced: the limiter refuses it
/// when it is built, as a bug in the configuration.
pub async fn a_quota_that_admits_nothing_is_refused(make: &LimiterFactory) {
    let login = |limit, period| limits(&[(RateLimitBucket::Login, Quota { limit, period })]);

    let no_requests = make.make(login(0, Duration::from_secs(60))).await;
    let no_period = make.make(login(5, Duration::ZERO)).await;

    assert!(matches!(no_requests, Err(PortError::Unexpected(_))));
    assert!(matches!(no_period, Err(PortError::Unexpected(_))));
}

#[cfg(test)]
mod tests;
