//! Login attempts are reserved atomically against the lockout policy (docs/http-api.md §3 lockout),
//! per email and client and per email from every client: failures plus attempts in flight never
//! get past either maximum, only failures lock, a client's lock holds for that client only, an
//! attempt finding every slot in flight waits for one and is busy (never locked) if none frees, a
//! lock lifts at its end, failures stop counting after a lock period without attempts, a success
//! restarts the count, and an email no account has is counted alike.

use std::sync::Arc;

use postern_core::domain::{
    ClientKey, Email, Event, EventData, LockoutPolicy, LoginAttempt, LoginFailure, LoginKey,
};
use postern_core::ports::UserRepo;
use time::{Duration, OffsetDateTime};

use crate::Storage;
use crate::fixtures::T0;
use crate::storage::{add_user_id, written_events};

const LOCKOUT: LockoutPolicy = LockoutPolicy {
    max_failures: 10,
    max_account_failures: 30,
    lock_for: Duration::minutes(15),
    wait_for_slot: Duration::seconds(10),
    abandon_after: Duration::minutes(1),
};

/// [`LOCKOUT`] with a short wait, for tests that expect an attempt to give up.
const IMPATIENT: LockoutPolicy = LockoutPolicy {
    wait_for_slot: Duration::milliseconds(100),
    ..LOCKOUT
};

/// A stored account's email tried from one client, and the repository.
async fn account(storage: &dyn Storage) -> (Arc<dyn UserRepo>, LoginKey) {
    add_user_id(storage, "ada@example.com").await;
    (storage.users(), from_client("ada@example.com", 1))
}

/// `email` tried from the `n`-th test client.
fn from_client(email: &str, n: u8) -> LoginKey {
    LoginKey {
        email: Email::parse(email).unwrap(),
        client: ClientKey::of(Some([203, 0, 113, n].into())),
    }
}

/// The `user.login_failed` event of a failure of `key` at `at`.
fn login_failed(key: &LoginKey, at: OffsetDateTime) -> Event {
    Event::new(
        EventData::LoginFailed {
            email: key.email.as_str().to_owned(),
            reason: LoginFailure::WrongPassword,
            ip: None,
        },
        None,
        at,
    )
}

/// Reserves `n` attempts at `at`, asserting that each is allowed with the next number.
async fn use_up(users: &dyn UserRepo, key: &LoginKey, n: u32, at: OffsetDateTime) {
    for expected in 1..=n {
        let attempt = users.begin_login_attempt(key, at, LOCKOUT).await.unwrap();
        assert_eq!(attempt, LoginAttempt::Allowed { attempt: expected });
    }
}

/// Reserves an attempt at `at` and records it as failed.
async fn fail_once(users: &dyn UserRepo, key: &LoginKey, at: OffsetDateTime) {
    let attempt = users.begin_login_attempt(key, at, LOCKOUT).await.unwrap();
    assert!(
        matches!(attempt, LoginAttempt::Allowed { .. }),
        "{attempt:?}"
    );
    users
        .record_login_failure(key, at, LOCKOUT, &login_failed(key, at))
        .await
        .unwrap();
}

/// The maximum of failures at [`T0`]: a lock until `T0 + lock_for`.
async fn lock(users: &dyn UserRepo, key: &LoginKey) {
    for _ in 0..LOCKOUT.max_failures {
        fail_once(users, key, T0).await;
    }
}

/// A wrong password for each of `keys`, all at once: each reserves an attempt and, when allowed,
/// records a failure. The answers to the reservations.
async fn guess_at_once(users: &Arc<dyn UserRepo>, keys: Vec<LoginKey>) -> Vec<LoginAttempt> {
    let attempts = futures::future::join_all(keys.into_iter().map(|key| {
        let users = Arc::clone(users);
        tokio::spawn(async move {
            let attempt = users.begin_login_attempt(&key, T0, LOCKOUT).await.unwrap();
            if let LoginAttempt::Allowed { .. } = attempt {
                users
                    .record_login_failure(&key, T0, LOCKOUT, &login_failed(&key, T0))
                    .await
                    .unwrap();
            }
            attempt
        })
    }))
    .await;
    attempts.into_iter().map(Result::unwrap).collect()
}

/// How many of `answers` let a password be checked, and how many found the email locked.
fn checked_and_locked(answers: &[LoginAttempt]) -> (usize, usize) {
    let count = |wanted: fn(&LoginAttempt) -> bool| answers.iter().filter(|a| wanted(a)).count();
    (
        count(|a| matches!(a, LoginAttempt::Allowed { .. })),
        count(|a| matches!(a, LoginAttempt::Locked { .. })),
    )
}

/// With the maximum of attempts in flight and no failure, the next attempt is busy, not locked.
pub async fn begin_login_attempt_with_every_slot_in_flight_is_busy_not_locked(
    storage: &dyn Storage,
) {
    let (users, key) = account(storage).await;
    use_up(&*users, &key, 10, T0).await;

    let eleventh = users
        .begin_login_attempt(&key, T0 + Duration::seconds(1), IMPATIENT)
        .await
        .unwrap();

    assert_eq!(eleventh, LoginAttempt::Busy);
}

/// The failure that reaches the maximum locks from its own time, and its event is stored.
pub async fn the_failure_that_reaches_the_maximum_locks_from_its_time_and_stores_its_event(
    storage: &dyn Storage,
) {
    let (users, key) = account(storage).await;
    for _ in 0..9 {
        fail_once(&*users, &key, T0).await;
    }
    let failed_at = T0 + Duration::minutes(1);
    let event = login_failed(&key, failed_at);
    use_up_one(&*users, &key, failed_at).await;

    users
        .record_login_failure(&key, failed_at, LOCKOUT, &event)
        .await
        .unwrap();

    let until = failed_at + Duration::minutes(15);
    let just_before = until - Duration::milliseconds(1);
    assert_eq!(
        users
            .begin_login_attempt(&key, just_before, LOCKOUT)
            .await
            .unwrap(),
        LoginAttempt::Locked { until }
    );
    assert!(written_events(storage).await.contains(&event));
}

/// Reserves one attempt at `at`, whatever its number.
async fn use_up_one(users: &dyn UserRepo, key: &LoginKey, at: OffsetDateTime) {
    let attempt = users.begin_login_attempt(key, at, LOCKOUT).await.unwrap();
    assert!(
        matches!(attempt, LoginAttempt::Allowed { .. }),
        "{attempt:?}"
    );
}

/// A failure below the maximum locks nothing and frees its slot; its event is stored.
pub async fn record_login_failure_below_the_maximum_only_stores_its_event(storage: &dyn Storage) {
    let (users, key) = account(storage).await;
    use_up(&*users, &key, 3, T0).await;
    let event = login_failed(&key, T0);

    users
        .record_login_failure(&key, T0, LOCKOUT, &event)
        .await
        .unwrap();

    assert_eq!(
        users.begin_login_attempt(&key, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 4 }
    );
    assert!(written_events(storage).await.contains(&event));
}

/// Once a lock has lifted, attempts are counted from 1 again.
pub async fn a_lifted_lock_restarts_the_count(storage: &dyn Storage) {
    let (users, key) = account(storage).await;
    lock(&*users, &key).await;
    let lifted = T0 + Duration::minutes(15);

    let first = users
        .begin_login_attempt(&key, lifted, LOCKOUT)
        .await
        .unwrap();
    let second = users
        .begin_login_attempt(&key, lifted, LOCKOUT)
        .await
        .unwrap();

    assert_eq!(first, LoginAttempt::Allowed { attempt: 1 });
    assert_eq!(second, LoginAttempt::Allowed { attempt: 2 });
}

/// Failures stop counting once no password has been tried for a whole lock period: nine
/// failures, then a lock period of quiet, and the next attempt is the first again.
pub async fn failures_stop_counting_after_a_lock_period_without_attempts(storage: &dyn Storage) {
    let (users, key) = account(storage).await;
    for _ in 0..9 {
        fail_once(&*users, &key, T0).await;
    }

    let after_quiet = users
        .begin_login_attempt(&key, T0 + LOCKOUT.lock_for, LOCKOUT)
        .await
        .unwrap();

    assert_eq!(after_quiet, LoginAttempt::Allowed { attempt: 1 });
}

/// Failures less than a lock period apart keep counting: nine failures, then the tenth just
/// within the period locks the account.
pub async fn failures_within_a_lock_period_of_the_last_attempt_keep_counting(
    storage: &dyn Storage,
) {
    let (users, key) = account(storage).await;
    for _ in 0..9 {
        fail_once(&*users, &key, T0).await;
    }
    let tenth_at = T0 + LOCKOUT.lock_for - Duration::milliseconds(1);

    fail_once(&*users, &key, tenth_at).await;

    assert_eq!(
        users
            .begin_login_attempt(&key, tenth_at, LOCKOUT)
            .await
            .unwrap(),
        LoginAttempt::Locked {
            until: tenth_at + LOCKOUT.lock_for
        }
    );
}

/// A lock's end is compared as a time: SQLite keeps it as `…12:15:00Z`, which sorts after
/// `…12:15:00.5Z` as text.
pub async fn a_lock_lifts_in_time_order_not_text_order(storage: &dyn Storage) {
    let (users, key) = account(storage).await;
    lock(&*users, &key).await;
    let until = T0 + Duration::minutes(15);

    let before = users
        .begin_login_attempt(&key, until - Duration::milliseconds(500), LOCKOUT)
        .await
        .unwrap();
    let after = users
        .begin_login_attempt(&key, until + Duration::milliseconds(500), LOCKOUT)
        .await
        .unwrap();

    assert_eq!(before, LoginAttempt::Locked { until });
    assert_eq!(after, LoginAttempt::Allowed { attempt: 1 });
}

/// Attempts that never report back hold their slots only until they are taken for abandoned.
pub async fn attempts_that_never_report_back_are_abandoned_after_the_policy_period(
    storage: &dyn Storage,
) {
    let (users, key) = account(storage).await;
    use_up(&*users, &key, 10, T0).await;

    let after = users
        .begin_login_attempt(&key, T0 + LOCKOUT.abandon_after, LOCKOUT)
        .await
        .unwrap();

    assert_eq!(after, LoginAttempt::Allowed { attempt: 1 });
}

/// A failure reported after a success counts from that success: eight failures, then one
/// success and one failure in flight together (the tenth and last slot), lock nothing.
pub async fn a_failure_after_a_success_counts_from_the_success(storage: &dyn Storage) {
    let (users, key) = account(storage).await;
    for _ in 0..8 {
        fail_once(&*users, &key, T0).await;
    }
    use_up_one(&*users, &key, T0).await;
    use_up_one(&*users, &key, T0).await;
    users.record_login_success(&key).await.unwrap();

    users
        .record_login_failure(&key, T0, LOCKOUT, &login_failed(&key, T0))
        .await
        .unwrap();

    assert_eq!(
        users.begin_login_attempt(&key, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 2 }
    );
}

/// A success lifts a lock and restarts the count.
pub async fn record_login_success_resets_the_count_and_lifts_the_lock(storage: &dyn Storage) {
    let (users, key) = account(storage).await;
    lock(&*users, &key).await;

    users.record_login_success(&key).await.unwrap();

    assert_eq!(
        users.begin_login_attempt(&key, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 1 }
    );
}

/// An attempt that finds every slot in flight waits, and gets the slot a success frees.
pub async fn a_success_frees_a_slot_for_an_attempt_waiting_for_one(storage: &dyn Storage) {
    let (users, key) = account(storage).await;
    use_up(&*users, &key, 10, T0).await;
    let waiting = {
        let (users, key) = (Arc::clone(&users), key.clone());
        tokio::spawn(async move { users.begin_login_attempt(&key, T0, LOCKOUT).await.unwrap() })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    users.record_login_success(&key).await.unwrap();

    assert_eq!(
        waiting.await.unwrap(),
        LoginAttempt::Allowed { attempt: 10 }
    );
}

/// A password that could not be checked frees its slot and counts as nothing.
pub async fn abandon_login_attempt_frees_the_slot_and_counts_nothing(storage: &dyn Storage) {
    let (users, key) = account(storage).await;
    fail_once(&*users, &key, T0).await;
    use_up_one(&*users, &key, T0).await;

    users.abandon_login_attempt(&key).await.unwrap();

    assert_eq!(
        users.begin_login_attempt(&key, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 2 }
    );
}

/// Twenty attempts at once, none reporting back: exactly the maximum get past, numbered 1 to
/// 10; the others are busy, not locked.
pub async fn concurrent_attempts_never_get_past_the_maximum(storage: &dyn Storage) {
    let (users, key) = account(storage).await;

    let attempts = futures::future::join_all((0..20).map(|_| {
        let (users, key) = (Arc::clone(&users), key.clone());
        tokio::spawn(async move {
            users
                .begin_login_attempt(&key, T0, IMPATIENT)
                .await
                .unwrap()
        })
    }))
    .await;

    let mut allowed: Vec<u32> = attempts
        .iter()
        .filter_map(|a| match a.as_ref().unwrap() {
            LoginAttempt::Allowed { attempt } => Some(*attempt),
            LoginAttempt::Busy => None,
            locked @ LoginAttempt::Locked { .. } => panic!("nothing failed, yet {locked:?}"),
        })
        .collect();
    allowed.sort_unstable();
    assert_eq!(allowed, (1..=10).collect::<Vec<_>>());
}

/// Fifty wrong passwords at once: exactly the maximum are checked, and every other attempt,
/// having waited for a slot, finds the account locked.
pub async fn concurrent_wrong_passwords_are_checked_exactly_the_maximum_then_locked(
    storage: &dyn Storage,
) {
    let (users, key) = account(storage).await;

    let answers = guess_at_once(&users, vec![key; 50]).await;

    let (checked, locked) = checked_and_locked(&answers);
    assert_eq!((checked, locked), (10, 40), "{answers:?}");
}

/// Sixty-four right passwords at once, three times over: every one is checked in turn, none is
/// refused as busy or locked.
pub async fn concurrent_right_passwords_are_never_refused(storage: &dyn Storage) {
    let (users, key) = account(storage).await;

    for round in 0..3 {
        let attempts = futures::future::join_all((0..64).map(|_| {
            let (users, key) = (Arc::clone(&users), key.clone());
            tokio::spawn(async move {
                let attempt = users.begin_login_attempt(&key, T0, LOCKOUT).await.unwrap();
                if let LoginAttempt::Allowed { .. } = attempt {
                    users.record_login_success(&key).await.unwrap();
                }
                attempt
            })
        }))
        .await;

        let refused: Vec<LoginAttempt> = attempts
            .into_iter()
            .map(Result::unwrap)
            .filter(|a| !matches!(a, LoginAttempt::Allowed { .. }))
            .collect();
        assert!(refused.is_empty(), "round {round}: {refused:?}");
    }
}

/// A client that reached the maximum is locked out alone: the same email from another client
/// is still checked.
pub async fn a_clients_lock_holds_for_that_client_only(storage: &dyn Storage) {
    let (users, key) = account(storage).await;
    lock(&*users, &key).await;
    let elsewhere = from_client("ada@example.com", 2);

    let locked = users.begin_login_attempt(&key, T0, LOCKOUT).await.unwrap();
    let owner = users
        .begin_login_attempt(&elsewhere, T0, LOCKOUT)
        .await
        .unwrap();

    assert_eq!(
        locked,
        LoginAttempt::Locked {
            until: T0 + LOCKOUT.lock_for
        }
    );
    assert_eq!(owner, LoginAttempt::Allowed { attempt: 1 });
}

/// Failures from every client add up: once they reach the account-wide maximum the email is
/// locked for a client that never failed.
pub async fn failures_from_every_client_lock_the_email_at_the_account_maximum(
    storage: &dyn Storage,
) {
    let (users, _) = account(storage).await;
    let clients = LOCKOUT.max_account_failures / LOCKOUT.max_failures;
    for n in 1..=clients {
        lock(
            &*users,
            &from_client("ada@example.com", u8::try_from(n).unwrap()),
        )
        .await;
    }

    let fresh = users
        .begin_login_attempt(&from_client("ada@example.com", 200), T0, LOCKOUT)
        .await
        .unwrap();

    assert_eq!(
        fresh,
        LoginAttempt::Locked {
            until: T0 + LOCKOUT.lock_for
        }
    );
}

/// An email no account has is counted and locked exactly like an account's, so a lock tells
/// nothing about whether the account exists.
pub async fn an_email_no_account_has_is_counted_and_locked_alike(storage: &dyn Storage) {
    let users = storage.users();
    let nobody = from_client("nobody@example.com", 1);
    for _ in 1..LOCKOUT.max_failures {
        fail_once(&*users, &nobody, T0).await;
    }
    let last = login_failed(&nobody, T0);
    use_up_one(&*users, &nobody, T0).await;
    users
        .record_login_failure(&nobody, T0, LOCKOUT, &last)
        .await
        .unwrap();

    assert_eq!(
        users
            .begin_login_attempt(&nobody, T0, LOCKOUT)
            .await
            .unwrap(),
        LoginAttempt::Locked {
            until: T0 + LOCKOUT.lock_for
        }
    );
    assert!(written_events(storage).await.contains(&last));
}

/// Fifty wrong passwords at once from ten clients, five each: no client reaches its own
/// maximum, but exactly the account-wide maximum are checked and every other attempt finds the
/// email locked.
pub async fn concurrent_wrong_passwords_from_many_clients_are_checked_exactly_the_account_maximum(
    storage: &dyn Storage,
) {
    let (users, _) = account(storage).await;

    let keys = (0..50u8)
        .map(|n| from_client("ada@example.com", n % 10 + 1))
        .collect();
    let answers = guess_at_once(&users, keys).await;

    let (checked, locked) = checked_and_locked(&answers);
    assert_eq!((checked, locked), (30, 20), "{answers:?}");
}
