//! Ports that fail, for the 500 and 503 a broken or unreachable dependency must become.

use async_trait::async_trait;
use postern_core::ports::{PortError, PortResult, RateDecision, RateLimitBucket, RateLimiter};

/// The cause a [`BrokenRateLimiter`] fails with, recognisable in an exposed 500.
pub const CAUSE: &str = "the limiter's counters are corrupt";

/// A rate limiter that fails every check, as a bug (`Unexpected`) or an outage
/// (`Unavailable`).
pub struct BrokenRateLimiter {
    unavailable: bool,
}

impl BrokenRateLimiter {
    /// Fails with [`PortError::Unexpected`]: a 500.
    pub fn unexpected() -> Self {
        Self { unavailable: false }
    }

    /// Fails with [`PortError::Unavailable`]: a 503.
    pub fn unavailable() -> Self {
        Self { unavailable: true }
    }
}

#[async_trait]
impl RateLimiter for BrokenRateLimiter {
    async fn check(
        &self,
        _bucket: RateLimitBucket,
        _key: &str,
    ) -> PortResult<Option<RateDecision>> {
        let cause = std::io::Error::other(CAUSE);
        Err(if self.unavailable {
            PortError::unavailable(cause)
        } else {
            PortError::unexpected(cause)
        })
    }
}
