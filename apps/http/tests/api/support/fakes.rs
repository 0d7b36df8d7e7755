//! Ports that fail, for the 500 and 503 a broken or unreachable dependency must become.

use async_trait::async_trait;
use postern_core::ports::{RateDecision, RateLimitBucket, RateLimiter};
use postern_core::{Error, Result};

/// The cause a [`BrokenRateLimiter`] fails with, recognisable in an exposed 500.
pub const CAUSE: &str = "the limiter's counters are corrupt";

/// A rate limiter that fails every check, as a bug (`Unexpected`) or an outage
/// (`Unavailable`).
pub struct BrokenRateLimiter {
    unavailable: bool,
}

impl BrokenRateLimiter {
    /// Fails with [`Error::Unexpected`]: a 500.
    pub fn unexpected() -> Self {
        Self { unavailable: false }
    }

    /// Fails with [`Error::Unavailable`]: a 503.
    pub fn unavailable() -> Self {
        Self { unavailable: true }
    }
}

#[async_trait]
impl RateLimiter for BrokenRateLimiter {
    async fn check(&self, _bucket: RateLimitBucket, _key: &str) -> Result<Option<RateDecision>> {
        let cause = std::io::Error::other(CAUSE);
        Err(if self.unavailable {
            Error::unavailable(cause)
        } else {
            Error::unexpected(cause)
        })
    }
}
