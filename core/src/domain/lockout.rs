//! Account lockout (docs/http-api.md §3): after too many consecutive failed logins an account
//! refuses every login, the right password included, until the lock lifts.
//!
//! Counting is done by the storage, one reserved attempt at a time, before the password is
//! checked: a guess that has not been answered yet already counts, so parallel guesses cannot
//! get past the limit.

use time::{Duration, OffsetDateTime};

/// How many consecutive failures lock an account, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failed logins that lock the account (10 by default).
    pub max_failures: u32,
    /// How long the lock lasts (15 minutes by default).
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 10,
            lock_for: Duration::minutes(15),
        }
    }
}

/// The storage's answer to a login attempt, given before the password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginAttempt {
    /// The attempt may proceed; it is the `attempt`-th since the last success or lock
    /// (1-based), counting attempts still in flight.
    Allowed {
        /// This attempt's number.
        attempt: u32,
    },
    /// The account is locked, or the attempts in flight have used up the allowance.
    Locked {
        /// When the lock lifts.
        until: OffsetDateTime,
    },
}
