//! Login attempts are reserved atomically against the lockout policy (docs/http-api.md §3 lockout):
//! failures plus attempts in flight never get past the maximum, only failures lock, an attempt
//! finding every slot in flight waits for one and is busy (never locked) if none frees, a lock
//! lifts at its end, failures stop counting after a lock period without attempts, and a success
//! restarts the count.

use std::sync::Arc;

use postern_core::domain::{LockoutPolicy, LoginAttempt, UserId};
use postern_core::ports::UpdateUserError;
use postern_core::ports::UserRepo;
use time::{Duration, OffsetDateTime};

use crate::Storage;
use crate::fixtures::{T0, login_failed};
use crate::storage::{add_user_id, written_events};

const LOCKOUT: LockoutPolicy = LockoutPolicy {
    max_failures: 10,
    lock_for: Duration::minutes(15),
    wait_for_slot: Duration::seconds(10),
    abandon_after: Duration::minutes(1),
};

/// [`LOCKOUT`] with a short wait, for tests that expect an attempt to give up.
const IMPATIENT: LockoutPolicy = LockoutPolicy {
    wait_for_slot: Duration::milliseconds(100),
    ..LOCKOUT
};

/// A stored account and the repository.
async fn account(storage: &dyn Storage) -> (Arc<dyn UserRepo>, UserId) {
    (
        storage.users(),
        add_user_id(storage, "ada@example.com").await,
    )
}

/// Reserves `n` attempts at `at`, asserting that each is allowed with the next number.
async fn use_up(users: &dyn UserRepo, id: UserId, n: u32, at: OffsetDateTime) {
    for expected in 1..=n {
        let attempt = users.begin_login_attempt(id, at, LOCKOUT).await.unwrap();
        assert_eq!(attempt, LoginAttempt::Allowed { attempt: expected });
    }
}

/// Reserves an attempt at `at` and records it as failed.
async fn fail_once(users: &dyn UserRepo, id: UserId, at: OffsetDateTime) {
    let attempt = users.begin_login_attempt(id, at, LOCKOUT).await.unwrap();
    assert!(
        matches!(attempt, LoginAttempt::Allowed { .. }),
        "{attempt:?}"
    );
    users
        .record_login_failure(id, at, LOCKOUT, &login_failed(id, at))
        .await
        .unwrap();
}

/// The maximum of failures at [`T0`]: a lock until `T0 + lock_for`.
async fn lock(users: &dyn UserRepo, id: UserId) {
    for _ in 0..LOCKOUT.max_failures {
        fail_once(users, id, T0).await;
    }
}

/// With the maximum of attempts in flight and no failure, the next attempt is busy, not locked.
pub async fn begin_login_attempt_with_every_slot_in_flight_is_busy_not_locked(
    storage: &dyn Storage,
) {
    let (users, id) = account(storage).await;
    use_up(&*users, id, 10, T0).await;

    let eleventh = users
        .begin_login_attempt(id, T0 + Duration::seconds(1), IMPATIENT)
        .await
        .unwrap();

    assert_eq!(eleventh, LoginAttempt::Busy);
}

/// The failure that reaches the maximum locks from its own time, and its event is stored.
pub async fn the_failure_that_reaches_the_maximum_locks_from_its_time_and_stores_its_event(
    storage: &dyn Storage,
) {
    let (users, id) = account(storage).await;
    for _ in 0..9 {
        fail_once(&*users, id, T0).await;
    }
    let failed_at = T0 + Duration::minutes(1);
    let event = login_failed(id, failed_at);
    use_up_one(&*users, id, failed_at).await;

    users
        .record_login_failure(id, failed_at, LOCKOUT, &event)
        .await
        .unwrap();

    let until = failed_at + Duration::minutes(15);
    let just_before = until - Duration::milliseconds(1);
    assert_eq!(
        users
            .begin_login_attempt(id, just_before, LOCKOUT)
            .await
            .unwrap(),
        LoginAttempt::Locked { until }
    );
    assert!(written_events(storage).await.contains(&event));
}

/// Reserves one attempt at `at`, whatever its number.
async fn use_up_one(users: &dyn UserRepo, id: UserId, at: OffsetDateTime) {
    let attempt = users.begin_login_attempt(id, at, LOCKOUT).await.unwrap();
    assert!(
        matches!(attempt, LoginAttempt::Allowed { .. }),
        "{attempt:?}"
    );
}

/// A failure below the maximum locks nothing and frees its slot; its event is stored.
pub async fn record_login_failure_below_the_maximum_only_stores_its_event(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    use_up(&*users, id, 3, T0).await;
    let event = login_failed(id, T0);

    users
        .record_login_failure(id, T0, LOCKOUT, &event)
        .await
        .unwrap();

    assert_eq!(
        users.begin_login_attempt(id, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 4 }
    );
    assert!(written_events(storage).await.contains(&event));
}

/// Once a lock has lifted, attempts are counted from 1 again.
pub async fn a_lifted_lock_restarts_the_count(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    lock(&*users, id).await;
    let lifted = T0 + Duration::minutes(15);

    let first = users
        .begin_login_attempt(id, lifted, LOCKOUT)
        .await
        .unwrap();
    let second = users
        .begin_login_attempt(id, lifted, LOCKOUT)
        .await
        .unwrap();

    assert_eq!(first, LoginAttempt::Allowed { attempt: 1 });
    assert_eq!(second, LoginAttempt::Allowed { attempt: 2 });
}

/// Failures stop counting once no password has been tried for a whole lock period: nine
/// failures, then a lock period of quiet, and the next attempt is the first again.
pub async fn failures_stop_counting_after_a_lock_period_without_attempts(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    for _ in 0..9 {
        fail_once(&*users, id, T0).await;
    }

    let after_quiet = users
        .begin_login_attempt(id, T0 + LOCKOUT.lock_for, LOCKOUT)
        .await
        .unwrap();

    assert_eq!(after_quiet, LoginAttempt::Allowed { attempt: 1 });
}

/// Failures less than a lock period apart keep counting: nine failures, then the tenth just
/// within the period locks the account.
pub async fn failures_within_a_lock_period_of_the_last_attempt_keep_counting(
    storage: &dyn Storage,
) {
    let (users, id) = account(storage).await;
    for _ in 0..9 {
        fail_once(&*users, id, T0).await;
    }
    let tenth_at = T0 + LOCKOUT.lock_for - Duration::milliseconds(1);

    fail_once(&*users, id, tenth_at).await;

    assert_eq!(
        users
            .begin_login_attempt(id, tenth_at, LOCKOUT)
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
    let (users, id) = account(storage).await;
    lock(&*users, id).await;
    let until = T0 + Duration::minutes(15);

    let before = users
        .begin_login_attempt(id, until - Duration::milliseconds(500), LOCKOUT)
        .await
        .unwrap();
    let after = users
        .begin_login_attempt(id, until + Duration::milliseconds(500), LOCKOUT)
        .await
        .unwrap();

    assert_eq!(before, LoginAttempt::Locked { until });
    assert_eq!(after, LoginAttempt::Allowed { attempt: 1 });
}

/// Attempts that never report back hold their slots only until they are taken for abandoned.
pub async fn attempts_that_never_report_back_are_abandoned_after_the_policy_period(
    storage: &dyn Storage,
) {
    let (users, id) = account(storage).await;
    use_up(&*users, id, 10, T0).await;

    let after = users
        .begin_login_attempt(id, T0 + LOCKOUT.abandon_after, LOCKOUT)
        .await
        .unwrap();

    assert_eq!(after, LoginAttempt::Allowed { attempt: 1 });
}

/// A failure reported after a success counts from that success: eight failures, then one
/// success and one failure in flight together (the tenth and last slot), lock nothing.
pub async fn a_failure_after_a_success_counts_from_the_success(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    for _ in 0..8 {
        fail_once(&*users, id, T0).await;
    }
    use_up_one(&*users, id, T0).await;
    use_up_one(&*users, id, T0).await;
    users.record_login_success(id).await.unwrap();

    users
        .record_login_failure(id, T0, LOCKOUT, &login_failed(id, T0))
        .await
        .unwrap();

    assert_eq!(
        users.begin_login_attempt(id, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 2 }
    );
}

/// A success lifts a lock and restarts the count.
pub async fn record_login_success_resets_the_count_and_lifts_the_lock(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    lock(&*users, id).await;

    users.record_login_success(id).await.unwrap();

    assert_eq!(
        users.begin_login_attempt(id, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 1 }
    );
}

/// An attempt that finds every slot in flight waits, and gets the slot a success frees.
pub async fn a_success_frees_a_slot_for_an_attempt_waiting_for_one(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    use_up(&*users, id, 10, T0).await;
    let waiting = {
        let users = Arc::clone(&users);
        tokio::spawn(async move { users.begin_login_attempt(id, T0, LOCKOUT).await.unwrap() })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    users.record_login_success(id).await.unwrap();

    assert_eq!(
        waiting.await.unwrap(),
        LoginAttempt::Allowed { attempt: 10 }
    );
}

/// A password that could not be checked frees its slot and counts as nothing.
pub async fn abandon_login_attempt_frees_the_slot_and_counts_nothing(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    fail_once(&*users, id, T0).await;
    use_up_one(&*users, id, T0).await;

    users.abandon_login_attempt(id).await.unwrap();

    assert_eq!(
        users.begin_login_attempt(id, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 2 }
    );
}

/// Twenty attempts at once, none reporting back: exactly the maximum get past, numbered 1 to
/// 10; the others are busy, not locked.
pub async fn concurrent_attempts_never_get_past_the_maximum(storage: &dyn Storage) {
    let (users, id) = account(storage).await;

    let attempts = futures::future::join_all((0..20).map(|_| {
        let users = Arc::clone(&users);
        tokio::spawn(async move { users.begin_login_attempt(id, T0, IMPATIENT).await.unwrap() })
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
    let (users, id) = account(storage).await;

    let attempts = futures::future::join_all((0..50).map(|_| {
        let users = Arc::clone(&users);
        tokio::spawn(async move {
            let attempt = users.begin_login_attempt(id, T0, LOCKOUT).await.unwrap();
            if let LoginAttempt::Allowed { .. } = attempt {
                users
                    .record_login_failure(id, T0, LOCKOUT, &login_failed(id, T0))
                    .await
                    .unwrap();
            }
            attempt
        })
    }))
    .await;

    let answers: Vec<LoginAttempt> = attempts.into_iter().map(Result::unwrap).collect();
    let checked = answers
        .iter()
        .filter(|a| matches!(a, LoginAttempt::Allowed { .. }))
        .count();
    let locked = answers
        .iter()
        .filter(|a| matches!(a, LoginAttempt::Locked { .. }))
        .count();
    assert_eq!((checked, locked), (10, 40), "{answers:?}");
}

/// Sixty-four right passwords at once, three times over: every one is checked in turn, none is
/// refused as busy or locked.
pub async fn concurrent_right_passwords_are_never_refused(storage: &dyn Storage) {
    let (users, id) = account(storage).await;

    for round in 0..3 {
        let attempts = futures::future::join_all((0..64).map(|_| {
            let users = Arc::clone(&users);
            tokio::spawn(async move {
                let attempt = users.begin_login_attempt(id, T0, LOCKOUT).await.unwrap();
                if let LoginAttempt::Allowed { .. } = attempt {
                    users.record_login_success(id).await.unwrap();
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

/// An attempt at an account that does not exist is `NotFound`.
pub async fn begin_login_attempt_of_an_unknown_user_is_not_found(storage: &dyn Storage) {
    let result = storage
        .users()
        .begin_login_attempt(UserId::generate(), T0, LOCKOUT)
        .await;

    assert!(
        matches!(result, Err(UpdateUserError::NotFound)),
        "{result:?}"
    );
}
