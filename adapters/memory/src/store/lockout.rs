//! Login counts (docs/http-api.md §3 lockout), as [`UserRepo`] describes them: per email and
//! client and per email from every client, for unknown emails as for accounts, judged by the
//! domain's [`LoginCounts`] under the store's lock so that parallel attempts are decided one
//! after the other.
//!
//! [`UserRepo`]: postern_core::ports::UserRepo

use std::collections::HashMap;

use postern_core::domain::{ClientKey, Email, LockoutPolicy, LoginCount, LoginCounts, LoginKey};
use time::OffsetDateTime;

/// The fewest counts kept before forgettable ones are swept out.
const SWEEP_FLOOR: usize = 1024;

/// Every login count: an email's from every client under `None`, from one client under its key.
pub(super) struct LoginCountTable {
    counts: HashMap<(Email, Option<ClientKey>), LoginCount>,
    /// The size at which forgettable counts are next swept out: twice what the last sweep
    /// kept, so sweeping costs O(1) per attempt and guessers at unknown emails cannot grow the
    /// table past twice the counts still live.
    sweep_at: usize,
}

impl Default for LoginCountTable {
    fn default() -> Self {
        Self {
            counts: HashMap::new(),
            sweep_at: SWEEP_FLOOR,
        }
    }
}

impl LoginCountTable {
    /// Applies `change` to `key`'s two counts (new ones when missing) and stores them.
    pub(super) fn change<T>(
        &mut self,
        key: &LoginKey,
        change: impl FnOnce(&mut LoginCounts) -> T,
    ) -> T {
        let account_key = (key.email.clone(), None);
        let client_key = (key.email.clone(), Some(key.client.clone()));
        let mut counts = LoginCounts {
            account: self.counts.get(&account_key).copied().unwrap_or_default(),
            client: self.counts.get(&client_key).copied().unwrap_or_default(),
        };
        let answer = change(&mut counts);
        self.counts.insert(account_key, counts.account);
        self.counts.insert(client_key, counts.client);
        answer
    }

    /// Drops the counts that are as good as new at `at`, once the table has grown enough.
    pub(super) fn sweep(&mut self, at: OffsetDateTime, policy: &LockoutPolicy) {
        if self.counts.len() < self.sweep_at {
            return;
        }
        self.counts
            .retain(|_, count| !count.is_forgettable(at, policy));
        self.sweep_at = (self.counts.len() * 2).max(SWEEP_FLOOR);
    }

    /// Forgets every count of `email`, from every client.
    pub(super) fn forget(&mut self, email: &Email) {
        self.counts.retain(|(counted, _), _| counted != email);
    }

    /// How many counts are kept.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.counts.len()
    }
}

#[cfg(test)]
mod tests {
    use postern_core::domain::LoginAttempt;
    use time::macros::datetime;

    use super::*;

    const T0: OffsetDateTime = datetime!(2026-12-06 12:00 UTC);

    fn key(n: usize) -> LoginKey {
        LoginKey {
            email: Email::parse(&format!("nobody-{n}@example.com")).unwrap(),
            client: ClientKey::of(None),
        }
    }

    #[test]
    fn guesses_at_ever_new_emails_keep_the_table_within_twice_the_live_counts() {
        let policy = LockoutPolicy::default();
        let mut table = LoginCountTable::default();
        let mut largest = 0;
        // One new email a second: about a lock period's worth of counts is live at any time.
        for n in 0..20_000 {
            let at = T0 + time::Duration::seconds(i64::try_from(n).unwrap());
            table.sweep(at, &policy);
            let attempt = table.change(&key(n), |counts| counts.reserve(at, &policy));
            assert!(matches!(attempt, Some(LoginAttempt::Allowed { .. })));
            table.change(&key(n), |counts| counts.fail(at, &policy));
            largest = largest.max(table.len());
        }
        let live = 2 * usize::try_from(policy.forget_after().whole_seconds()).unwrap();
        assert!(
            largest <= 2 * live + 2,
            "{largest} counts kept, {live} live"
        );
    }
}
