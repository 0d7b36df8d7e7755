//! Account lockout (docs/http-api.md §3): failed logins are counted per email and client, and
//! per email from every client. Too many consecutive failures from one client lock the email
//! for that client only, so a guesser elsewhere cannot lock the owner out; many more from every
//! client together lock it for all. A lock lifts at its end, a success restarts the count, and a
//! lock period without any attempt makes the failures before it stop counting. Unknown emails are
//! counted and locked exactly like accounts, so a lock tells nothing about whether one exists.
//!
//! The storage bounds how many passwords are checked: a login reserves a slot in both counts
//! before its password is checked, and failures plus attempts in flight never exceed either
//! maximum, so parallel guesses cannot get past the limit. Only failures lock, though: an attempt
//! that finds every slot held by attempts still in flight waits for one to report back (a success
//! frees its slot and clears the failures), and is told to come back later, never that the email
//! is locked.

use std::fmt;
use std::net::IpAddr;

use time::{Duration, OffsetDateTime};

use super::Email;

/// How many consecutive failures lock an email, for how long, and how attempts in flight are
/// waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failed logins from one client that lock the email for that client (10 by
    /// default).
    pub max_failures: u32,
    /// Consecutive failed logins from every client together that lock the email for all of
    /// them (100 by default): ten times the one-client maximum, so that locking the owner out
    /// takes a guesser at least ten networks.
    pub max_account_failures: u32,
    /// How long a lock lasts (15 minutes by default); also how long without any attempt makes
    /// the failures before stop counting.
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
            max_account_failures: 100,
            lock_for: Duration::minutes(15),
            wait_for_slot: Duration::seconds(20),
            abandon_after: Duration::minutes(1),
        }
    }
}

impl LockoutPolicy {
    /// How long after its newest reservation a count without a live lock is as good as new:
    /// its failures have decayed and its attempts in flight are taken for abandoned. Storage may
    /// forget such counts.
    #[must_use]
    pub fn forget_after(&self) -> Duration {
        self.lock_for.max(self.abandon_after)
    }
}

/// The storage's answer to a login attempt, given before the password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginAttempt {
    /// The attempt may proceed; it is the `attempt`-th password checked from its client since
    /// the last success or lock (1-based): that client's failures so far plus its attempts in
    /// flight, this one included.
    Allowed {
        /// This attempt's number.
        attempt: u32,
    },
    /// Every slot is held by attempts still in flight, and none reported back within the
    /// policy's wait: the email is not locked, but this attempt cannot be checked now.
    Busy,
    /// The email is locked for this client: the maximum of consecutive failures was reached.
    Locked {
        /// When the lock lifts.
        until: OffsetDateTime,
    },
}

/// Who a login's failures are counted against: a client, keyed as the rate limits key it (an
/// IPv4 address whole, an IPv6 one by its /64, since one host is handed a whole /64 and could
/// otherwise make itself a fresh key per request).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey(String);

impl ClientKey {
    /// The key of a client at `ip`; clients of unknown address share one key.
    #[must_use]
    pub fn of(ip: Option<IpAddr>) -> Self {
        Self(match ip {
            None => "unknown".to_owned(),
            Some(IpAddr::V4(ip)) => ip.to_string(),
            Some(IpAddr::V6(ip)) => {
                let network = u128::from(ip) & !(u128::MAX >> 64);
                format!("{}/64", std::net::Ipv6Addr::from(network))
            }
        })
    }

    /// The key as text, never empty.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The two counts a login attempt is judged by: its email's from this client, and its email's
/// from every client.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LoginKey {
    /// The email tried, known to the service or not.
    pub email: Email,
    /// The client trying it.
    pub client: ClientKey,
}

/// One count of consecutive failed logins (for an email from one client, or from every
/// client), as storage keeps it. The rules live here so that every storage applies the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginCount {
    /// Failures since the last success, lock or quiet period.
    pub failed: u32,
    /// Attempts reserved and not yet reported back.
    pub in_flight: u32,
    /// When the newest attempt was reserved.
    pub reserved_at: Option<OffsetDateTime>,
    /// Until when the count refuses every attempt.
    pub locked_until: Option<OffsetDateTime>,
}

impl LoginCount {
    /// The count as it stands at `at`: a lifted lock is cleared with its failures, failures
    /// decay after a lock period without attempts, and attempts in flight are taken for
    /// abandoned `policy.abandon_after` after the newest reservation.
    fn settle(&mut self, at: OffsetDateTime, policy: &LockoutPolicy) {
        if self.locked_until.is_some_and(|until| until <= at) {
            self.locked_until = None;
            self.failed = 0;
        }
        if self
            .reserved_at
            .is_none_or(|newest| newest + policy.lock_for <= at)
        {
            self.failed = 0;
        }
        if self
            .reserved_at
            .is_some_and(|newest| newest + policy.abandon_after <= at)
        {
            self.in_flight = 0;
        }
    }

    /// The lock's end, when it holds at `at`.
    fn lock_at(&self, at: OffsetDateTime) -> Option<OffsetDateTime> {
        self.locked_until.filter(|until| *until > at)
    }

    fn has_room(&self, max: u32) -> bool {
        self.failed + self.in_flight < max
    }

    fn reserve(&mut self, at: OffsetDateTime) {
        self.in_flight += 1;
        self.reserved_at = Some(at);
    }

    fn free(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    fn fail(&mut self, at: OffsetDateTime, max: u32, lock_for: Duration) {
        self.free();
        self.failed += 1;
        if self.failed >= max {
            self.locked_until = Some(at + lock_for);
        }
    }

    fn succeed(&mut self) {
        self.free();
        self.failed = 0;
        self.locked_until = None;
    }

    /// Whether the count at `at` is as good as a new one, so that storage may forget it (see
    /// [`LockoutPolicy::forget_after`]).
    #[must_use]
    pub fn is_forgettable(&self, at: OffsetDateTime, policy: &LockoutPolicy) -> bool {
        self.lock_at(at).is_none()
            && self
                .reserved_at
                .is_none_or(|newest| newest + policy.forget_after() <= at)
    }
}

/// The two counts of a [`LoginKey`], judged together so that an attempt is reserved in both or
/// in neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginCounts {
    /// The email's count from every client.
    pub account: LoginCount,
    /// The email's count from the attempt's client.
    pub client: LoginCount,
}

impl LoginCounts {
    /// Reserves an attempt at `at`: [`LoginAttempt::Locked`] when either count is locked (until
    /// the later end), `None` when either has every slot held by attempts in flight, else
    /// [`LoginAttempt::Allowed`] with one more attempt in flight in both counts.
    pub fn reserve(&mut self, at: OffsetDateTime, policy: &LockoutPolicy) -> Option<LoginAttempt> {
        self.account.settle(at, policy);
        self.client.settle(at, policy);
        let lock = self.account.lock_at(at).max(self.client.lock_at(at));
        if let Some(until) = lock {
            return Some(LoginAttempt::Locked { until });
        }
        if !(self.account.has_room(policy.max_account_failures)
            && self.client.has_room(policy.max_failures))
        {
            return None;
        }
        self.account.reserve(at);
        self.client.reserve(at);
        Some(LoginAttempt::Allowed {
            attempt: self.client.failed + self.client.in_flight,
        })
    }

    /// A reserved attempt had a wrong password at `at`: each count that reaches its maximum
    /// locks until `at + policy.lock_for`.
    pub fn fail(&mut self, at: OffsetDateTime, policy: &LockoutPolicy) {
        self.account
            .fail(at, policy.max_account_failures, policy.lock_for);
        self.client.fail(at, policy.max_failures, policy.lock_for);
    }

    /// A reserved attempt had the right password: both counts restart and their locks lift.
    pub fn succeed(&mut self) {
        self.account.succeed();
        self.client.succeed();
    }

    /// A reserved attempt's password could not be checked: its slots are freed, nothing counted.
    pub fn abandon(&mut self) {
        self.account.free();
        self.client.free();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = time::macros::datetime!(2026-12-06 12:00 UTC);

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            max_failures: 2,
            max_account_failures: 3,
            ..LockoutPolicy::default()
        }
    }

    #[test]
    fn an_ipv6_client_is_keyed_by_its_64_and_an_ipv4_one_whole() {
        let key = |ip: &str| ClientKey::of(Some(ip.parse().unwrap())).to_string();
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(ClientKey::of(None).as_str(), "unknown");
    }

    #[test]
    fn the_account_count_locks_at_its_own_maximum_whichever_client_fails() {
        let policy = policy();
        let mut account = LoginCount::default();
        for _ in 0..3 {
            let mut counts = LoginCounts {
                account,
                client: LoginCount::default(),
            };
            assert!(matches!(
                counts.reserve(T0, &policy),
                Some(LoginAttempt::Allowed { attempt: 1 })
            ));
            counts.fail(T0, &policy);
            account = counts.account;
        }
        let mut fresh_client = LoginCounts {
            account,
            client: LoginCount::default(),
        };
        assert_eq!(
            fresh_client.reserve(T0, &policy),
            Some(LoginAttempt::Locked {
                until: T0 + policy.lock_for
            })
        );
    }

    #[test]
    fn a_full_account_count_holds_an_attempt_back_without_reserving_the_client_count() {
        let policy = policy();
        let mut counts = LoginCounts {
            account: LoginCount {
                in_flight: 3,
                reserved_at: Some(T0),
                ..LoginCount::default()
            },
            client: LoginCount::default(),
        };
        assert_eq!(counts.reserve(T0, &policy), None);
        assert_eq!(counts.client, LoginCount::default());
    }

    #[test]
    fn a_count_is_forgettable_once_its_lock_lifted_and_its_newest_attempt_is_old_enough() {
        let policy = LockoutPolicy::default();
        let count = LoginCount {
            failed: 10,
            in_flight: 1,
            reserved_at: Some(T0),
            locked_until: Some(T0 + policy.lock_for),
        };
        let forget_at = T0 + policy.forget_after();
        assert!(!count.is_forgettable(forget_at - Duration::milliseconds(1), &policy));
        assert!(count.is_forgettable(forget_at, &policy));
    }
}
