//! An account's login slots (docs/http-api.md §3 lockout), as [`UserRepo`] describes them: the
//! failures since the last success (decayed after a lock period without attempts), the attempts
//! in flight and the lock, judged under the store's lock so that parallel attempts are decided
//! one after the other.
//!
//! [`UserRepo`]: postern_core::ports::UserRepo

use postern_core::domain::{LockoutPolicy, LoginAttempt};
use time::OffsetDateTime;

/// One account's lockout state.
#[derive(Default)]
pub(super) struct LoginSlots {
    failed: u32,
    in_flight: u32,
    reserved_at: Option<OffsetDateTime>,
    locked_until: Option<OffsetDateTime>,
}

impl LoginSlots {
    /// Reserves a slot at `at`: `None` when every slot is held by attempts in flight.
    pub(super) fn reserve(
        &mut self,
        at: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> Option<LoginAttempt> {
        match self.locked_until {
            Some(until) if until > at => return Some(LoginAttempt::Locked { until }),
            Some(_) => {
                self.locked_until = None;
                self.failed = 0;
            }
            None => {}
        }
        // No attempt for a whole lock period: the failures before it have decayed.
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
        if self.failed + self.in_flight >= policy.max_failures {
            return None;
        }
        self.in_flight += 1;
        self.reserved_at = Some(at);
        Some(LoginAttempt::Allowed {
            attempt: self.failed + self.in_flight,
        })
    }

    /// A reserved attempt had a wrong password at `at`.
    pub(super) fn fail(&mut self, at: OffsetDateTime, policy: LockoutPolicy) {
        self.free();
        self.failed += 1;
        if self.failed >= policy.max_failures {
            self.locked_until = Some(at + policy.lock_for);
        }
    }

    /// A reserved attempt had the right password.
    pub(super) fn succeed(&mut self) {
        self.free();
        self.clear();
    }

    /// Frees a reserved attempt's slot.
    pub(super) fn free(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Forgets the failures and lifts any lock (a success, a password reset).
    pub(super) fn clear(&mut self) {
        self.failed = 0;
        self.locked_until = None;
    }
}
