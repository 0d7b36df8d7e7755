//! Accounts round-trip, emails are unique, and names and passwords change with their events.

use postern_core::domain::{DisplayName, Email, NewUser, UserId};
use postern_core::ports::{CreateUserError, UpdateUserError};
use time::Duration;

use crate::Storage;
use crate::fixtures::{T0, a_hash, new_user, password_changed, profile_updated, signed_up};
use crate::storage::{add_user, written_events};

/// `create` answers with the account as stored, which every finder reads back.
pub async fn create_returns_the_account_that_the_finds_read_back(storage: &dyn Storage) {
    let users = storage.users();
    let new = NewUser {
        name: Some(DisplayName::parse("Ada").unwrap()),
        created_at: T0 + Duration::milliseconds(123),
        ..new_user("ada@example.com")
    };

    let created = users.create(&new, &signed_up(&new)).await.unwrap();

    assert_eq!(created.id, new.id);
    assert_eq!(created.email, new.email);
    assert_eq!(created.name, new.name);
    assert_eq!(created.role, new.role);
    assert!(!created.email_verified);
    assert!(!created.disabled);
    assert_eq!(created.created_at, new.created_at);
    assert_eq!(created.updated_at, created.created_at);
    assert_eq!(
        users.find_by_id(new.id).await.unwrap(),
        Some(created.clone())
    );
    let by_email = users.find_credentials(&new.email).await.unwrap().unwrap();
    assert_eq!(by_email.user, created);
    assert_eq!(by_email.password_hash, new.password_hash);
    let by_id = users.find_credentials_by_id(new.id).await.unwrap().unwrap();
    assert_eq!(by_id.user, created);
    assert_eq!(by_id.password_hash, new.password_hash);
    assert_eq!(users.find_by_id(UserId::generate()).await.unwrap(), None);
    let stranger = Email::parse("grace@example.com").unwrap();
    assert!(users.find_credentials(&stranger).await.unwrap().is_none());
}

/// A second account for a taken email, however it is spelled, is `EmailTaken`, and neither it
/// nor its event is stored.
pub async fn a_duplicate_email_is_taken_and_stores_nothing(storage: &dyn Storage) {
    let users = storage.users();
    let first = new_user("ada@example.com");
    let first_event = signed_up(&first);
    users.create(&first, &first_event).await.unwrap();
    let second = new_user("  ADA@Example.com ");

    let result = users.create(&second, &signed_up(&second)).await;

    assert!(
        matches!(result, Err(CreateUserError::EmailTaken)),
        "{result:?}"
    );
    assert_eq!(written_events(storage).await, vec![first_event]);
    assert_eq!(users.find_by_id(second.id).await.unwrap(), None);
}

/// `create` writes the event it is given, and no other.
pub async fn create_stores_exactly_its_event(storage: &dyn Storage) {
    let new = new_user("ada@example.com");
    let event = signed_up(&new);

    storage.users().create(&new, &event).await.unwrap();

    assert_eq!(written_events(storage).await, vec![event]);
}

/// `update_name` sets or clears the name, stamps `updated_at`, keeps `created_at` and writes
/// its event.
pub async fn update_name_stamps_updated_at_and_stores_its_event(storage: &dyn Storage) {
    let users = storage.users();
    let new = add_user(storage, "ada@example.com").await;
    let at = T0 + Duration::minutes(5);
    let event = profile_updated(new.id, at);
    let grace = DisplayName::parse("Grace").unwrap();

    let updated = users
        .update_name(new.id, Some(grace.clone()), at, &event)
        .await
        .unwrap();

    assert_eq!(updated.name, Some(grace));
    assert_eq!(updated.updated_at, at);
    assert_eq!(updated.created_at, new.created_at);
    assert_eq!(users.find_by_id(new.id).await.unwrap(), Some(updated));
    assert!(written_events(storage).await.contains(&event));
    let cleared = users.update_name(new.id, None, at, &event).await.unwrap();
    assert_eq!(cleared.name, None);
}

/// `update_name` of an account that does not exist is `NotFound` and writes no event.
pub async fn update_name_of_an_unknown_user_is_not_found_and_stores_nothing(storage: &dyn Storage) {
    let unknown = UserId::generate();
    let at = T0 + Duration::minutes(5);

    let result = storage
        .users()
        .update_name(unknown, None, at, &profile_updated(unknown, at))
        .await;

    assert!(
        matches!(result, Err(UpdateUserError::NotFound)),
        "{result:?}"
    );
    assert_eq!(written_events(storage).await, vec![]);
}

/// A transparent re-hash replaces the hash and nothing else: no event, no new `updated_at`.
pub async fn replace_password_hash_is_read_back_without_an_event(storage: &dyn Storage) {
    let users = storage.users();
    let new = new_user("ada@example.com");
    let event = signed_up(&new);
    let created = users.create(&new, &event).await.unwrap();
    let fresh = a_hash("bmV3");

    users.replace_password_hash(new.id, &fresh).await.unwrap();

    let credentials = users.find_credentials(&new.email).await.unwrap().unwrap();
    assert_eq!(credentials.password_hash, fresh);
    assert_eq!(credentials.user, created);
    assert_eq!(written_events(storage).await, vec![event]);
}

/// `change_password` stores the hash, stamps `updated_at` and writes its event.
pub async fn change_password_stores_the_hash_stamps_updated_at_and_stores_its_event(
    storage: &dyn Storage,
) {
    let users = storage.users();
    let new = new_user("ada@example.com");
    let signup = signed_up(&new);
    users.create(&new, &signup).await.unwrap();
    let fresh = a_hash("bmV3");
    let at = T0 + Duration::minutes(5);
    let event = password_changed(new.id, at);

    users
        .change_password(new.id, &fresh, at, &event)
        .await
        .unwrap();

    let credentials = users.find_credentials_by_id(new.id).await.unwrap().unwrap();
    assert_eq!(credentials.password_hash, fresh);
    assert_eq!(credentials.user.updated_at, at);
    assert_eq!(credentials.user.created_at, new.created_at);
    assert_eq!(written_events(storage).await, vec![signup, event]);
}

/// `change_password` of an account that does not exist is `NotFound` and stores nothing.
pub async fn change_password_of_an_unknown_user_is_not_found_and_stores_nothing(
    storage: &dyn Storage,
) {
    let users = storage.users();
    let unknown = UserId::generate();
    let at = T0 + Duration::minutes(5);

    let result = users
        .change_password(unknown, &a_hash("bmV3"), at, &password_changed(unknown, at))
        .await;

    assert!(
        matches!(result, Err(UpdateUserError::NotFound)),
        "{result:?}"
    );
    assert_eq!(written_events(storage).await, vec![]);
    assert!(
        users
            .find_credentials_by_id(unknown)
            .await
            .unwrap()
            .is_none()
    );
}
