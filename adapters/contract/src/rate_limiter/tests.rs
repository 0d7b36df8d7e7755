//! The contract catches a limiter that breaks it.

use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;

use super::*;

/// Counts logins in windows that start afresh every period: up to twice the limit pass
/// across a boundary, which the contract must catch.
struct FixedWindow {
    quota: Quota,
    window: Mutex<(Instant, u32)>,
}

#[async_trait]
impl RateLimiter for FixedWindow {
    async fn check(&self, _: RateLimitBucket, _: &str) -> PortResult<Option<RateDecision>> {
        let Quota { limit, period } = self.quota;
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if now >= window.0 + period {
            *window = (now, 0);
        }
        let allowed = window.1 < limit;
        window.1 += u32::from(allowed);
        Ok(Some(RateDecision {
            allowed,
            limit,
            remaining: limit - window.1,
            reset_after: window.0 + period - now,
        }))
    }
}

async fn fixed_window(limits: RateLimits) -> PortResult<Arc<dyn RateLimiter>> {
    let quota = limits.quota(RateLimitBucket::Login).unwrap();
    let window = Mutex::new((Instant::now(), 0));
    Ok(Arc::new(FixedWindow { quota, window }))
}

#[tokio::test]
#[should_panic(expected = "admitted while two admissions lay within the period")]
async fn a_window_reset_at_fixed_times_breaks_the_contract() {
    no_window_of_the_period_admits_more_than_the_limit(&fixed_window).await;
}
