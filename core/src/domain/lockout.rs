//! Account lockout (docs/http-api.md §3): after too many consecutive failed logins an account
//! refuses every login, the right password included, until the lock lifts. Failures decay: a
//! lock period without any attempt makes the failures before it stop counting.
//!
//! The storage bounds how many passwords are checked: a login reserves a slot before its password
//! is checked, and failures plus attempts in flight never exceed the maximum, so parallel guesses
//! cannot get past the limit. Only failures lock, though: an attempt that finds every slot held by
//! attempts still in flight waits for one to report back (a success frees its slot and clears the
//! failures), and is told to come back later, never that the account is locked.

use time::{Duration, OffsetDateTime};

/// How many consecutive failures lock an account, for how long, and how attempts in flight are
/// waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failed logins that lock the account (10 by default).
    pub max_failures: u32,
    /// How long the lock lasts (15 minutes by default); also how long without any attempt
    /// makes the failures before stop counting.
    pub lock_for: Duration,
    /// How long an attempt waits for a slot held by attempts in flight before it is refused as
    /// busy (20 seconds by default: twice the wait for a password-hashing slot, so that the
    /// attempts in flight have normally answered, or failed, by then).
    pub wait_for_slot: Duration,
    /// How long after the newest reservation the attempts still in flight are taken for
    /// abandoned (their process died) and their slots freed (1 minute by default).
    pub abandon_after: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 10,
            lock_for: Duration::minutes(15),
            wait_for_slot: Duration::seconds(20),
            abandon_after: Duration::minutes(1),
        }
    }
}

/// The storage's answer to a login attempt, given before the password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginAttempt {
    /// The attempt may proceed; it is the `attempt`-th password checked since the last success
    /// or lock (1-based): the failures so far plus the attempts in flight, this one included.
    Allowed {
        /// This attempt's number.
        attempt: u32,
    },
    /// Every slot is held by attempts still in flight, and none reported back within the
    /// policy's wait: the account is not locked, but this attempt cannot be checked now.
    Busy,
    /// The account is locked: the maximum of consecutive failures was reached.
    Locked {
        /// When the lock lifts.
        until: OffsetDateTime,
    },
}
