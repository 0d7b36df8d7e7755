//! `SeaUserRepo`: accounts round-trip, emails are unique, every change is stored together
//! with its event, and login attempts are counted atomically against the lockout policy.

use postern_core::domain::{
    DisplayName, Event, EventData, LockoutPolicy, LoginAttempt, LoginFailure, NewUser,
    PasswordHash, UserId,
};
use postern_core::ports::{CreateUserError, UpdateUserError, UserRepo};
use postern_db::SeaUserRepo;
use postern_tests::db::{Backend, fresh_database};
use time::macros::offset;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::fixtures::{T0, new_user, signed_up, stored_events};

on_both_backends!(
    create_round_trips_through_find_by_id_and_find_credentials,
    duplicate_email_is_taken_and_its_event_is_not_stored,
    create_stores_exactly_its_event,
    update_name_stamps_updated_at_and_stores_its_event,
    update_name_of_an_unknown_user_is_not_found_and_stores_nothing,
    replace_password_hash_is_read_back_without_an_event,
    change_password_stores_the_hash_stamps_updated_at_and_stores_its_event,
    change_password_of_an_unknown_user_is_not_found_and_stores_nothing,
    begin_login_attempt_allows_the_maximum_then_reports_the_lock,
    record_login_failure_at_the_last_attempt_locks_and_stores_its_event,
    record_login_failure_below_the_maximum_only_stores_its_event,
    a_lifted_lock_restarts_the_count,
    a_lock_lifts_in_time_order_not_text_order,
    a_last_attempt_that_never_reports_back_locks_only_for_the_lock_period,
    a_late_failure_does_not_lock_a_count_that_a_success_restarted,
    record_login_success_resets_the_count_and_lifts_the_lock,
    concurrent_attempts_never_get_past_the_maximum,
    begin_login_attempt_of_an_unknown_user_is_not_found,
);

const LOCKOUT: LockoutPolicy = LockoutPolicy {
    max_failures: 10,
    lock_for: Duration::minutes(15),
};

fn profile_updated(id: UserId, name: &str) -> Event {
    Event::new(
        EventData::ProfileUpdated {
            name: Some(name.into()),
        },
        Some(id),
        T0 + Duration::minutes(5),
    )
}

async fn create_round_trips_through_find_by_id_and_find_credentials(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());
    // An offset and sub-millisecond digits, which storage normalises away.
    let created_at = (T0 + Duration::nanoseconds(123_456_789)).to_offset(offset!(+2));
    let new = NewUser {
        name: Some(DisplayName::parse("Ada").unwrap()),
        created_at,
        ..new_user("ada@example.com")
    };

    let created = repo.create(&new, &signed_up(&new)).await.unwrap();

    assert_eq!(created.id, new.id);
    assert_eq!(created.email, new.email);
    assert_eq!(created.name, new.name);
    assert!(!created.email_verified);
    assert_eq!(created.created_at, T0 + Duration::milliseconds(123));
    assert_eq!(created.created_at.offset(), UtcOffset::UTC);
    assert_eq!(created.updated_at, created.created_at);
    assert_eq!(
        repo.find_by_id(new.id).await.unwrap(),
        Some(created.clone())
    );
    let credentials = repo.find_credentials(&new.email).await.unwrap().unwrap();
    assert_eq!(credentials.user, created);
    assert_eq!(credentials.password_hash, new.password_hash);
    assert_eq!(repo.find_by_id(UserId::generate()).await.unwrap(), None);
}

async fn duplicate_email_is_taken_and_its_event_is_not_stored(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());
    let first = new_user("ada@example.com");
    let first_event = signed_up(&first);
    repo.create(&first, &first_event).await.unwrap();
    let second = new_user("  ADA@Example.com ");
    let second_event = signed_up(&second);

    let result = repo.create(&second, &second_event).await;

    assert!(
        matches!(result, Err(CreateUserError::EmailTaken)),
        "{result:?}"
    );
    assert_eq!(stored_events(&db).await, vec![first_event]);
    assert_eq!(repo.find_by_id(second.id).await.unwrap(), None);
}

async fn create_stores_exactly_its_event(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());
    let new = new_user("ada@example.com");
    let event = signed_up(&new);

    repo.create(&new, &event).await.unwrap();

    assert_eq!(stored_events(&db).await, vec![event]);
}

async fn update_name_stamps_updated_at_and_stores_its_event(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());
    let new = new_user("ada@example.com");
    let created = repo.create(&new, &signed_up(&new)).await.unwrap();
    let event = profile_updated(new.id, "Grace");
    let at = T0 + Duration::minutes(5);

    let updated = repo
        .update_name(
            new.id,
            Some(DisplayName::parse("Grace").unwrap()),
            at,
            &event,
        )
        .await
        .unwrap();

    assert_eq!(
        updated.name.as_ref().map(DisplayName::as_str),
        Some("Grace")
    );
    assert_eq!(updated.updated_at, at);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(repo.find_by_id(new.id).await.unwrap(), Some(updated));
    assert!(stored_events(&db).await.contains(&event));
    let cleared = repo.update_name(new.id, None, at, &event).await.unwrap();
    assert_eq!(cleared.name, None);
}

async fn update_name_of_an_unknown_user_is_not_found_and_stores_nothing(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());
    let unknown = UserId::generate();
    let event = profile_updated(unknown, "Grace");

    let result = repo
        .update_name(unknown, None, T0 + Duration::minutes(5), &event)
        .await;

    assert!(
        matches!(result, Err(UpdateUserError::NotFound)),
        "{result:?}"
    );
    assert_eq!(stored_events(&db).await, vec![]);
}

async fn replace_password_hash_is_read_back_without_an_event(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());
    let new = new_user("ada@example.com");
    let event = signed_up(&new);
    let created = repo.create(&new, &event).await.unwrap();
    let fresh = PasswordHash::new("$argon2id$v=19$m=65536,t=3,p=1$bmV3$aGFzaA".into());

    repo.replace_password_hash(new.id, &fresh).await.unwrap();

    let credentials = repo.find_credentials(&new.email).await.unwrap().unwrap();
    assert_eq!(credentials.password_hash, fresh);
    assert_eq!(credentials.user, created);
    assert_eq!(stored_events(&db).await, vec![event]);
}

fn password_changed(id: UserId, at: OffsetDateTime) -> Event {
    Event::new(
        EventData::PasswordChanged {
            email: "ada@example.com".into(),
        },
        Some(id),
        at,
    )
}

async fn change_password_stores_the_hash_stamps_updated_at_and_stores_its_event(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());
    let new = new_user("ada@example.com");
    let signup = signed_up(&new);
    let created = repo.create(&new, &signup).await.unwrap();
    let fresh = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".into());
    let at = T0 + Duration::minutes(5);
    let event = password_changed(new.id, at);

    repo.change_password(new.id, &fresh, at, &event)
        .await
        .unwrap();

    let credentials = repo.find_credentials_by_id(new.id).await.unwrap().unwrap();
    assert_eq!(credentials.password_hash, fresh);
    assert_eq!(credentials.user.updated_at, at);
    assert_eq!(credentials.user.created_at, created.created_at);
    assert_eq!(stored_events(&db).await, vec![signup, event]);
}

async fn change_password_of_an_unknown_user_is_not_found_and_stores_nothing(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());
    let unknown = UserId::generate();
    let at = T0 + Duration::minutes(5);
    let event = password_changed(unknown, at);
    let hash = PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".into());

    let result = repo.change_password(unknown, &hash, at, &event).await;

    assert!(
        matches!(result, Err(UpdateUserError::NotFound)),
        "{result:?}"
    );
    assert_eq!(stored_events(&db).await, vec![]);
    assert!(
        repo.find_credentials_by_id(unknown)
            .await
            .unwrap()
            .is_none()
    );
}

fn login_failed(id: UserId, at: OffsetDateTime) -> Event {
    Event::new(
        EventData::LoginFailed {
            email: "ada@example.com".into(),
            reason: LoginFailure::WrongPassword,
            ip: None,
        },
        Some(id),
        at,
    )
}

/// A stored account and its repository.
async fn account(db: &postern_tests::db::TestDb) -> (SeaUserRepo, UserId) {
    let repo = SeaUserRepo::new(db.connection());
    let new = new_user("ada@example.com");
    repo.create(&new, &signed_up(&new)).await.unwrap();
    (repo, new.id)
}

/// Reserves `n` attempts at `at`, asserting that each is allowed.
async fn use_up(repo: &SeaUserRepo, id: UserId, n: u32, at: OffsetDateTime) {
    for expected in 1..=n {
        let attempt = repo.begin_login_attempt(id, at, LOCKOUT).await.unwrap();
        assert_eq!(attempt, LoginAttempt::Allowed { attempt: expected });
    }
}

async fn begin_login_attempt_allows_the_maximum_then_reports_the_lock(backend: Backend) {
    let db = fresh_database(backend).await;
    let (repo, id) = account(&db).await;
    use_up(&repo, id, 10, T0).await;

    let eleventh = repo
        .begin_login_attempt(id, T0 + Duration::seconds(1), LOCKOUT)
        .await
        .unwrap();

    // The tenth reservation locked the account provisionally, from its own time.
    assert_eq!(
        eleventh,
        LoginAttempt::Locked {
            until: T0 + Duration::minutes(15)
        }
    );
}

async fn record_login_failure_at_the_last_attempt_locks_and_stores_its_event(backend: Backend) {
    let db = fresh_database(backend).await;
    let (repo, id) = account(&db).await;
    use_up(&repo, id, 10, T0).await;
    let failed_at = T0 + Duration::minutes(1);
    let event = login_failed(id, failed_at);

    repo.record_login_failure(id, 10, failed_at, LOCKOUT, &event)
        .await
        .unwrap();

    let until = failed_at + Duration::minutes(15);
    let just_before = until - Duration::milliseconds(1);
    assert_eq!(
        repo.begin_login_attempt(id, just_before, LOCKOUT)
            .await
            .unwrap(),
        LoginAttempt::Locked { until }
    );
    assert!(stored_events(&db).await.contains(&event));
}

async fn record_login_failure_below_the_maximum_only_stores_its_event(backend: Backend) {
    let db = fresh_database(backend).await;
    let (repo, id) = account(&db).await;
    use_up(&repo, id, 3, T0).await;
    let event = login_failed(id, T0);

    repo.record_login_failure(id, 3, T0, LOCKOUT, &event)
        .await
        .unwrap();

    assert_eq!(
        repo.begin_login_attempt(id, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 4 }
    );
    assert!(stored_events(&db).await.contains(&event));
}

async fn a_lifted_lock_restarts_the_count(backend: Backend) {
    let db = fresh_database(backend).await;
    let (repo, id) = account(&db).await;
    use_up(&repo, id, 10, T0).await;
    repo.record_login_failure(id, 10, T0, LOCKOUT, &login_failed(id, T0))
        .await
        .unwrap();
    let lifted = T0 + Duration::minutes(15);

    let first = repo.begin_login_attempt(id, lifted, LOCKOUT).await.unwrap();
    let second = repo.begin_login_attempt(id, lifted, LOCKOUT).await.unwrap();

    assert_eq!(first, LoginAttempt::Allowed { attempt: 1 });
    assert_eq!(second, LoginAttempt::Allowed { attempt: 2 });
}

async fn a_lock_lifts_in_time_order_not_text_order(backend: Backend) {
    let db = fresh_database(backend).await;
    let (repo, id) = account(&db).await;
    use_up(&repo, id, 10, T0).await;
    repo.record_login_failure(id, 10, T0, LOCKOUT, &login_failed(id, T0))
        .await
        .unwrap();
    // SQLite keeps the lock's end as `…12:15:00Z`, which sorts after `…12:15:00.5Z` as text.
    let until = T0 + Duration::minutes(15);

    let before = repo
        .begin_login_attempt(id, until - Duration::milliseconds(500), LOCKOUT)
        .await
        .unwrap();
    let after = repo
        .begin_login_attempt(id, until + Duration::milliseconds(500), LOCKOUT)
        .await
        .unwrap();

    assert_eq!(before, LoginAttempt::Locked { until });
    assert_eq!(after, LoginAttempt::Allowed { attempt: 1 });
}

async fn a_last_attempt_that_never_reports_back_locks_only_for_the_lock_period(backend: Backend) {
    let db = fresh_database(backend).await;
    let (repo, id) = account(&db).await;
    use_up(&repo, id, 10, T0).await;

    let after = repo
        .begin_login_attempt(id, T0 + Duration::minutes(15), LOCKOUT)
        .await
        .unwrap();

    assert_eq!(after, LoginAttempt::Allowed { attempt: 1 });
}

async fn a_late_failure_does_not_lock_a_count_that_a_success_restarted(backend: Backend) {
    let db = fresh_database(backend).await;
    let (repo, id) = account(&db).await;
    use_up(&repo, id, 10, T0).await;
    repo.record_login_success(id).await.unwrap();

    repo.record_login_failure(id, 10, T0, LOCKOUT, &login_failed(id, T0))
        .await
        .unwrap();

    assert_eq!(
        repo.begin_login_attempt(id, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 1 }
    );
}

async fn record_login_success_resets_the_count_and_lifts_the_lock(backend: Backend) {
    let db = fresh_database(backend).await;
    let (repo, id) = account(&db).await;
    use_up(&repo, id, 10, T0).await;
    repo.record_login_failure(id, 10, T0, LOCKOUT, &login_failed(id, T0))
        .await
        .unwrap();

    repo.record_login_success(id).await.unwrap();

    assert_eq!(
        repo.begin_login_attempt(id, T0, LOCKOUT).await.unwrap(),
        LoginAttempt::Allowed { attempt: 1 }
    );
}

async fn concurrent_attempts_never_get_past_the_maximum(backend: Backend) {
    let db = fresh_database(backend).await;
    let (repo, id) = account(&db).await;

    let attempts = futures::future::join_all((0..20).map(|_| {
        let repo = repo.clone();
        tokio::spawn(async move { repo.begin_login_attempt(id, T0, LOCKOUT).await.unwrap() })
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

async fn begin_login_attempt_of_an_unknown_user_is_not_found(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());

    let result = repo
        .begin_login_attempt(UserId::generate(), T0, LOCKOUT)
        .await;

    assert!(
        matches!(result, Err(UpdateUserError::NotFound)),
        "{result:?}"
    );
}
