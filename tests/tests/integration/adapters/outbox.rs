//! `SeaOutbox`: due events come out oldest first, published ones never again, and a failed one
//! only after its backoff.

use std::sync::Arc;

use postern_adapters::db::SeaOutbox;
use postern_core::domain::{Event, EventData, UserId};
use postern_core::ports::Outbox;
use postern_tests::db::{Backend, fresh_database};
use sea_orm::{ConnectionTrait, Statement};
use time::{Duration, OffsetDateTime};

use super::fixtures::{ManualClock, T0};

on_both_backends!(
    pending_returns_due_events_in_time_order,
    appending_an_event_twice_stores_it_once,
    published_events_are_not_pending,
    a_failed_event_waits_for_its_backoff,
);

fn event_at(at: OffsetDateTime) -> Event {
    Event::new(
        EventData::ProfileUpdated {
            name: Some("Ada".into()),
        },
        Some(UserId::generate()),
        at,
    )
}

async fn pending_returns_due_events_in_time_order(backend: Backend) {
    let db = fresh_database(backend).await;
    let outbox = SeaOutbox::with_clock(db.connection(), ManualClock::at(T0 + Duration::seconds(2)));
    // Stored as `…:00.5Z`, `…:00Z`, `…:01Z`, `…:00.25Z` on SQLite; the last one is not due yet.
    let [half, whole, second, quarter, later] =
        [500, 0, 1000, 250, 3000].map(|ms| event_at(T0 + Duration::milliseconds(ms)));
    for event in [&half, &whole, &second, &quarter, &later] {
        outbox.append(event).await.unwrap();
    }

    let pending = outbox.pending(10).await.unwrap();

    assert_eq!(pending, vec![whole.clone(), quarter.clone(), half, second]);
    assert_eq!(outbox.pending(2).await.unwrap(), vec![whole, quarter]);
}

async fn appending_an_event_twice_stores_it_once(backend: Backend) {
    let db = fresh_database(backend).await;
    let outbox = SeaOutbox::with_clock(db.connection(), ManualClock::at(T0));
    let event = event_at(T0);

    outbox.append(&event).await.unwrap();
    outbox.append(&event).await.unwrap();

    assert_eq!(outbox.pending(10).await.unwrap(), vec![event]);
}

async fn published_events_are_not_pending(backend: Backend) {
    let db = fresh_database(backend).await;
    let outbox = SeaOutbox::with_clock(db.connection(), ManualClock::at(T0));
    let (first, second) = (event_at(T0), event_at(T0));
    outbox.append(&first).await.unwrap();
    outbox.append(&second).await.unwrap();

    outbox.mark_published(&[first.event_id()]).await.unwrap();
    outbox.mark_published(&[]).await.unwrap();

    assert_eq!(outbox.pending(10).await.unwrap(), vec![second]);
}

async fn a_failed_event_waits_for_its_backoff(backend: Backend) {
    let db = fresh_database(backend).await;
    let clock = ManualClock::at(T0 + Duration::seconds(10));
    let outbox = SeaOutbox::with_clock(db.connection(), Arc::clone(&clock) as _);
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    outbox
        .record_failure(event.event_id(), "broker down")
        .await
        .unwrap();
    assert_eq!(outbox.pending(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(999));
    assert_eq!(outbox.pending(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(1));
    assert_eq!(outbox.pending(10).await.unwrap(), vec![event.clone()]);

    // The second failure waits twice as long.
    outbox
        .record_failure(event.event_id(), "still down")
        .await
        .unwrap();
    clock.advance(Duration::milliseconds(1999));
    assert_eq!(outbox.pending(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(1));
    assert_eq!(outbox.pending(10).await.unwrap(), vec![event]);

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
