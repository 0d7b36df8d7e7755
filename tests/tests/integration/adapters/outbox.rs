//! `SeaOutbox`: due events come out oldest first, published ones never again, a failed one
//! only after its backoff and a dead-lettered one not at all, a claimed one to one relay at a
//! time, and a row that no longer decodes holds back nothing.

use std::sync::Arc;

use postern_core::domain::{Event, EventData, UserId};
use postern_core::ports::Outbox;
use postern_db::SeaOutbox;
use postern_tests::db::TestDb;
use postern_tests::db::{Backend, fresh_database};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::fixtures::{ManualClock, T0};

on_both_backends!(
    claim_returns_due_events_in_time_order,
    appending_an_event_twice_stores_it_once,
    published_events_are_not_claimed,
    a_failed_event_waits_for_its_backoff,
    a_backoff_ends_in_time_order_not_text_order,
    an_event_that_fails_three_times_is_dead_lettered,
    max_attempts_sets_when_an_event_is_dead_lettered,
    an_undecodable_row_holds_back_nothing_and_ends_dead_lettered,
    a_claimed_event_is_withheld_until_its_lease_ends,
    a_released_event_is_due_again_at_once_without_an_attempt,
    concurrent_relays_claim_every_event_exactly_once,
);

/// An outbox whose claims withhold nothing, so that each claim shows everything due: the
/// tests of what is due need not wait out leases.
fn unleased(db: &TestDb, clock: Arc<ManualClock>) -> SeaOutbox {
    SeaOutbox::with_clock(db.connection(), clock).with_lease(Duration::ZERO)
}

/// How the outbox row of type `event_type` stands after its failures.
#[derive(Debug, PartialEq, Eq)]
struct Attempts {
    attempts: i32,
    last_error: Option<String>,
    dead_lettered: bool,
}

async fn attempts_of(db: &TestDb, event_type: &str) -> Attempts {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT attempts, last_error, \
                 CASE WHEN dead_lettered_at IS NULL THEN 0 ELSE 1 END AS dead_lettered \
                 FROM outbox WHERE event_type = '{event_type}'"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    Attempts {
        attempts: row.try_get("", "attempts").unwrap(),
        last_error: row.try_get("", "last_error").unwrap(),
        dead_lettered: row.try_get::<i32>("", "dead_lettered").unwrap() == 1,
    }
}

/// Stores, behind the adapter's back, a row occurring `at` whose payload is no event this
/// version knows: what a renamed event type or a newer writer leaves behind.
async fn insert_undecodable(db: &TestDb, at: OffsetDateTime) {
    let id = Uuid::now_v7();
    let payload = json!({
        "id": id,
        "type": "user.renamed_since",
        "version": 1,
        "occurredAt": "2026-01-01T12:00:00Z",
        "userId": null,
        "data": {},
    });
    let insert = Query::insert()
        .into_table(Alias::new("outbox"))
        .columns(
            [
                "id",
                "event_type",
                "payload",
                "occurred_at",
                "attempts",
                "next_attempt_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            id.into(),
            "user.renamed_since".into(),
            payload.into(),
            at.into(),
            0.into(),
            at.into(),
        ])
        .to_owned();
    db.execute(&insert).await.unwrap();
}

fn event_at(at: OffsetDateTime) -> Event {
    Event::new(
        EventData::ProfileUpdated {
            name: Some("Ada".into()),
        },
        Some(UserId::generate()),
        at,
    )
}

async fn claim_returns_due_events_in_time_order(backend: Backend) {
    let db = fresh_database(backend).await;
    let outbox = unleased(&db, ManualClock::at(T0 + Duration::seconds(2)));
    // Stored as `…:00.5Z`, `…:00Z`, `…:01Z`, `…:00.25Z` on SQLite; the last one is not due yet.
    let [half, whole, second, quarter, later] =
        [500, 0, 1000, 250, 3000].map(|ms| event_at(T0 + Duration::milliseconds(ms)));
    for event in [&half, &whole, &second, &quarter, &later] {
        outbox.append(event).await.unwrap();
    }

    let pending = outbox.claim(10).await.unwrap();

    assert_eq!(pending, vec![whole.clone(), quarter.clone(), half, second]);
    assert_eq!(outbox.claim(2).await.unwrap(), vec![whole, quarter]);
}

async fn appending_an_event_twice_stores_it_once(backend: Backend) {
    let db = fresh_database(backend).await;
    let outbox = unleased(&db, ManualClock::at(T0));
    let event = event_at(T0);

    outbox.append(&event).await.unwrap();
    outbox.append(&event).await.unwrap();

    assert_eq!(outbox.claim(10).await.unwrap(), vec![event]);
}

async fn published_events_are_not_claimed(backend: Backend) {
    let db = fresh_database(backend).await;
    let outbox = unleased(&db, ManualClock::at(T0));
    let (first, second) = (event_at(T0), event_at(T0));
    outbox.append(&first).await.unwrap();
    outbox.append(&second).await.unwrap();

    outbox.mark_published(&[first.event_id()]).await.unwrap();
    outbox.mark_published(&[]).await.unwrap();

    assert_eq!(outbox.claim(10).await.unwrap(), vec![second]);
}

async fn a_failed_event_waits_for_its_backoff(backend: Backend) {
    let db = fresh_database(backend).await;
    let clock = ManualClock::at(T0 + Duration::seconds(10));
    let outbox = unleased(&db, Arc::clone(&clock) as _);
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    outbox
        .record_failure(event.event_id(), "broker down")
        .await
        .unwrap();
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(999));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![event.clone()]);

    // The second failure waits twice as long.
    outbox
        .record_failure(event.event_id(), "still down")
        .await
        .unwrap();
    clock.advance(Duration::milliseconds(1999));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![event]);

    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT attempts, last_error FROM outbox",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i32>("", "attempts").unwrap(), 2);
    assert_eq!(
        row.try_get::<String>("", "last_error").unwrap(),
        "still down"
    );
}

async fn a_backoff_ends_in_time_order_not_text_order(backend: Backend) {
    let db = fresh_database(backend).await;
    let clock = ManualClock::at(T0 + Duration::milliseconds(500));
    let outbox = unleased(&db, Arc::clone(&clock) as _);
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    // The first failure waits 1 s: due at T0 + 1.5 s, which SQLite keeps as `…12:00:01.5Z`.
    outbox
        .record_failure(event.event_id(), "broker down")
        .await
        .unwrap();
    // `…12:00:01Z` sorts after `…12:00:01.5Z` as text, but is half a second before it.
    clock.advance(Duration::milliseconds(500));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(400));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(99));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![event.clone()]);
    clock.advance(Duration::milliseconds(500));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![event]);
}

async fn an_event_that_fails_three_times_is_dead_lettered(backend: Backend) {
    let db = fresh_database(backend).await;
    let clock = ManualClock::at(T0);
    let outbox = unleased(&db, Arc::clone(&clock) as _);
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    for attempt in 1..=3 {
        assert_eq!(outbox.claim(10).await.unwrap(), vec![event.clone()]);
        outbox
            .record_failure(event.event_id(), &format!("failure {attempt}"))
            .await
            .unwrap();
        clock.advance(Duration::seconds(1 << (attempt - 1)));
    }

    clock.advance(Duration::days(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    let dead = Attempts {
        attempts: 3,
        last_error: Some("failure 3".into()),
        dead_lettered: true,
    };
    assert_eq!(attempts_of(&db, "user.profile_updated").await, dead);
    // A dead letter stays as it is until replayed.
    outbox
        .record_failure(event.event_id(), "late failure")
        .await
        .unwrap();
    assert_eq!(attempts_of(&db, "user.profile_updated").await, dead);
}

async fn max_attempts_sets_when_an_event_is_dead_lettered(backend: Backend) {
    let db = fresh_database(backend).await;
    let clock = ManualClock::at(T0);
    let outbox = unleased(&db, Arc::clone(&clock) as _).with_max_attempts(1);
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    outbox
        .record_failure(event.event_id(), "broker down")
        .await
        .unwrap();

    clock.advance(Duration::days(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    assert!(attempts_of(&db, "user.profile_updated").await.dead_lettered);
}

async fn an_undecodable_row_holds_back_nothing_and_ends_dead_lettered(backend: Backend) {
    let db = fresh_database(backend).await;
    let clock = ManualClock::at(T0 + Duration::seconds(10));
    let outbox = unleased(&db, Arc::clone(&clock) as _);
    // The oldest, so that every batch reads it first.
    insert_undecodable(&db, T0).await;
    let (first, second) = (
        event_at(T0 + Duration::seconds(1)),
        event_at(T0 + Duration::seconds(2)),
    );
    outbox.append(&first).await.unwrap();
    outbox.append(&second).await.unwrap();

    for attempt in 1..=3 {
        assert_eq!(
            outbox.claim(10).await.unwrap(),
            vec![first.clone(), second.clone()]
        );
        let failed = attempts_of(&db, "user.renamed_since").await;
        assert_eq!(failed.attempts, attempt);
        assert!(
            failed
                .last_error
                .unwrap()
                .contains("stored event cannot be decoded"),
        );
        assert_eq!(failed.dead_lettered, attempt == 3);
        clock.advance(Duration::seconds(1 << (attempt - 1)));
    }

    clock.advance(Duration::days(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![first, second]);
    assert_eq!(attempts_of(&db, "user.renamed_since").await.attempts, 3);
}

async fn a_claimed_event_is_withheld_until_its_lease_ends(backend: Backend) {
    let db = fresh_database(backend).await;
    let clock = ManualClock::at(T0);
    let outbox = SeaOutbox::with_clock(db.connection(), Arc::clone(&clock) as _);
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    assert_eq!(outbox.claim(10).await.unwrap(), vec![event.clone()]);
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(postern_core::ports::retry::DEFAULT_LEASE - Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![event]);
    assert_eq!(attempts_of(&db, "user.profile_updated").await.attempts, 0);
}

async fn a_released_event_is_due_again_at_once_without_an_attempt(backend: Backend) {
    let db = fresh_database(backend).await;
    let outbox = SeaOutbox::with_clock(db.connection(), ManualClock::at(T0 + Duration::seconds(1)));
    let (first, second) = (event_at(T0), event_at(T0 + Duration::milliseconds(1)));
    outbox.append(&first).await.unwrap();
    outbox.append(&second).await.unwrap();
    assert_eq!(outbox.claim(10).await.unwrap().len(), 2);

    outbox.release(&[second.event_id()]).await.unwrap();

    assert_eq!(outbox.claim(10).await.unwrap(), vec![second]);
    assert_eq!(attempts_of(&db, "user.profile_updated").await.attempts, 0);
}

async fn concurrent_relays_claim_every_event_exactly_once(backend: Backend) {
    let db = fresh_database(backend).await;
    let clock = ManualClock::at(T0 + Duration::seconds(1));
    let mut appended = Vec::new();
    for n in 0..200 {
        let event = event_at(T0 + Duration::milliseconds(n));
        SeaOutbox::with_clock(db.connection(), Arc::clone(&clock) as _)
            .append(&event)
            .await
            .unwrap();
        appended.push(event.id);
    }

    let relays = (0..4).map(|_| {
        let outbox = SeaOutbox::with_clock(db.connection(), Arc::clone(&clock) as _);
        tokio::spawn(async move {
            let mut claimed = Vec::new();
            loop {
                let batch = outbox.claim(7).await.unwrap();
                if batch.is_empty() {
                    return claimed;
                }
                claimed.extend(batch.iter().map(|event| event.id));
            }
        })
    });
    let mut claimed: Vec<Uuid> = Vec::new();
    for relay in relays.collect::<Vec<_>>() {
        claimed.extend(relay.await.unwrap());
    }

    claimed.sort();
    appended.sort();
    assert_eq!(claimed, appended, "every event claimed once, none twice");
}
