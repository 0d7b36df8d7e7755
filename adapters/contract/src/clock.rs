//! A clock that stands still until a test moves it: what the rules about expiry, backoff and
//! leases need to be exact without waiting.

use std::sync::{Arc, Mutex, PoisonError};

use postern_core::ports::Clock;
use time::{Duration, OffsetDateTime};

/// A [`Clock`] that shows the same time until [`Self::advance`] moves it.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock showing `now`.
    pub fn at(now: OffsetDateTime) -> Arc<Self> {
        Arc::new(Self(Mutex::new(now)))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
