//! Login attempts are reserved atomically against the lockout policy (docs/http-api.md §3 lockout):
//! at most the maximum gets past, a lock lifts at its end, and a success restarts the count.

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

/// Reserves the maximum of attempts at [`T0`] and records the last one as failed: a real lock
/// until `T0 + lock_for`.
async fn lock(users: &dyn UserRepo, id: UserId) {
    use_up(users, id, LOCKOUT.max_failures, T0).await;
    users
        .record_login_failure(id, LOCKOUT.max_failures, T0, LOCKOUT, &login_failed(id, T0))
        .await
        .unwrap();
}

/// The maximum of attempts is allowed, numbered; the next is refused with the provisional
/// lock's end, counted from the attempt that reached the maximum.
pub async fn begin_login_attempt_allows_the_maximum_then_reports_the_lock(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    use_up(&*users, id, 10, T0).await;

    let eleventh = users
        .begin_login_attempt(id, T0 + Duration::seconds(1), LOCKOUT)
        .await
        .unwrap();

    assert_eq!(
        eleventh,
        LoginAttempt::Locked {
            until: T0 + Duration::minutes(15)
        }
    );
}

/// The failure of the attempt that reached the maximum locks from its own time, and its event
/// is stored.
pub async fn record_login_failure_at_the_last_attempt_locks_and_stores_its_event(
    storage: &dyn Storage,
) {
    let (users, id) = account(storage).await;
    use_up(&*users, id, 10, T0).await;
    let failed_at = T0 + Duration::minutes(1);
    let event = login_failed(id, failed_at);

    users
        .record_login_failure(id, 10, failed_at, LOCKOUT, &event)
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

/// A failure below the maximum locks nothing; its event is stored.
pub async fn record_login_failure_below_the_maximum_only_stores_its_event(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    use_up(&*users, id, 3, T0).await;
    let event = login_failed(id, T0);

    users
        .record_login_failure(id, 3, T0, LOCKOUT, &event)
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

/// The provisional lock of an attempt that never reports back lifts after the lock period,
/// so that it cannot lock the account for good.
pub async fn a_last_attempt_that_never_reports_back_locks_only_for_the_lock_period(
    storage: &dyn Storage,
) {
    let (users, id) = account(storage).await;
    use_up(&*users, id, 10, T0).await;

    let after = users
        .begin_login_attempt(id, T0 + Duration::minutes(15), LOCKOUT)
        .await
        .unwrap();

    assert_eq!(after, LoginAttempt::Allowed { attempt: 1 });
}

/// A failure reported after a success restarted the count locks nothing: the count no
/// longer stands at the maximum.
pub async fn a_late_failure_does_not_lock_a_count_that_a_success_restarted(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    use_up(&*users, id, 10, T0).await;
    users.record_login_success(id).await.unwrap();

    users
        .record_login_failure(id, 10, T0, LOCKOUT, &login_failed(id, T0))
        .await
        .unwrap();

    assert_eq!(
        users.begin_login_attempt(id, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 1 }
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

/// The attempt that reached the maximum locks provisionally; its right password clears that.
pub async fn record_login_success_clears_a_provisional_lock(storage: &dyn Storage) {
    let (users, id) = account(storage).await;
    let policy = LockoutPolicy {
        max_failures: 2,
        lock_for: Duration::minutes(15),
    };
    for _ in 0..2 {
        users.begin_login_attempt(id, T0, policy).await.unwrap();
    }

    users.record_login_success(id).await.unwrap();
    let next = users.begin_login_attempt(id, T0, policy).await.unwrap();

    assert_eq!(next, LoginAttempt::Allowed { attempt: 1 });
}

/// Twenty attempts at once: exactly the maximum get past, numbered 1 to 10.
pub async fn concurrent_attempts_never_get_past_the_maximum(storage: &dyn Storage) {
    let (users, id) = account(storage).await;

    let attempts = futures::future::join_all((0..20).map(|_| {
        let users = Arc::clone(&users);
        tokio::spawn(async move { users.begin_login_attempt(id, T0, LOCKOUT).await.unwrap() })
    }))
    .await;

    let mut allowed: Vec<u32> = attempts
        .iter()
        .filter_map(|a| match a.as_ref().unwrap() {
            LoginAttempt::Allowed { attempt } => Some(*attempt),
            LoginAttempt::Locked { .. } => None,
        })
        .collect();
    allowed.sort_unstable();
    assert_eq!(allowed, (1..=10).collect::<Vec<_>>());
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
