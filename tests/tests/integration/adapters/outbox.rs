//! `SeaOutbox` beyond the port's contract (see `contract`): a row that no longer decodes holds
//! back nothing and ends dead-lettered.

use std::sync::Arc;

use postern_contract::ManualClock;
use postern_contract::fixtures::T0;
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

on_both_backends!(an_undecodable_row_holds_back_nothing_and_ends_dead_lettered);

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

async fn an_undecodable_row_holds_back_nothing_and_ends_dead_lettered(backend: Backend) {
    let db = fresh_database(backend).await;
    let clock = ManualClock::at(T0 + Duration::seconds(10));
    let outbox =
        SeaOutbox::with_clock(db.connection(), Arc::clone(&clock) as _).with_lease(Duration::ZERO);
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
