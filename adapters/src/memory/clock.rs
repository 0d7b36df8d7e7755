//! The real clock, for production; tests substitute their own [`Clock`].

use postern_core::ports::Clock;
use time::OffsetDateTime;

/// The operating system's clock, in UTC.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}
