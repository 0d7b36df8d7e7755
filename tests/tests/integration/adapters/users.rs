//! `SeaUserRepo`: accounts round-trip, emails are unique, and every change is stored together
//! with its event.

use postern_adapters::db::SeaUserRepo;
use postern_core::Error;
use postern_core::domain::{DisplayName, Event, EventData, NewUser, PasswordHash, UserId};
use postern_core::ports::UserRepo;
use postern_tests::db::{Backend, fresh_database};
use time::macros::offset;
use time::{Duration, UtcOffset};

use super::fixtures::{T0, new_user, signed_up, stored_events};

on_both_backends!(
    create_round_trips_through_find_by_id_and_find_credentials,
    duplicate_email_is_taken_and_its_event_is_not_stored,
    create_stores_exactly_its_event,
    update_name_stamps_updated_at_and_stores_its_event,
    update_name_of_an_unknown_user_is_not_found_and_stores_nothing,
    replace_password_hash_is_read_back_without_an_event,
);

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

    assert!(matches!(result, Err(Error::EmailTaken)), "{result:?}");
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

    assert!(matches!(result, Err(Error::NotFound)), "{result:?}");
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
