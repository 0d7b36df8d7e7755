//! docs/http-api.md §5 event queues over HTTP: admins only; the outbox's dead letters go back for
//! delivery on replay and reach the audit log. (The streams' figures and replay are tested against
//! Redis in `adapters::streams`.)

use std::time::{Duration, Instant};

use postern_core::domain::{Event, EventData, Role, UserId};
use postern_core::ports::Outbox;
use postern_db::SeaOutbox;
use postern_tests::app::{TestApp, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::support::assert_error;

on_both_backends!(
    queues_are_for_admins_only,
    a_replayed_outbox_dead_letter_is_delivered,
);

async fn queues(app: &TestApp, access: &str) -> postern_tests::app::TestResponse {
    app.get("/api/v1/admin/queues", Some(access)).await
}

fn outbox_figures(body: &Value) -> Value {
    body["data"]
        .as_array()
        .expect("a list of queues")
        .iter()
        .find(|queue| queue["name"] == "outbox")
        .cloned()
        .expect("the outbox is listed")
}

async fn queues_are_for_admins_only(backend: Backend) {
    let app = spawn_app(backend).await;
    for role in [Role::User, Role::Manager] {
        let caller = app.signed_in_as(role).await;
        assert_error(
            &queues(&app, &caller.access).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let replay = app
            .post(
                "/api/v1/admin/queues/outbox/dead-letters/replay",
                json!({}),
                Some(&caller.access),
            )
            .await;
        assert_error(&replay, StatusCode::FORBIDDEN, "forbidden");
    }
    let admin = app.signed_in_as(Role::Admin).await;

    let listed = queues(&app, &admin.access).await;

    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let outbox = outbox_figures(&listed.body);
    for figure in ["length", "pending", "consumers", "deadLetters"] {
        assert!(outbox[figure].is_u64(), "{figure} in {outbox}");
    }
    let unknown = app
        .post(
            "/api/v1/admin/queues/nowhere/dead-letters/replay",
            json!({}),
            Some(&admin.access),
        )
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "not_found");
}

async fn a_replayed_outbox_dead_letter_is_delivered(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as(Role::Admin).await;
    // Not due for a day, so the relay leaves it alone until its one allowed attempt fails.
    let event = Event::new(
        EventData::ProfileUpdated { name: None },
        Some(UserId::generate()),
        OffsetDateTime::now_utc() + time::Duration::days(1),
    );
    let outbox = SeaOutbox::new(app.db.connection()).with_max_attempts(1);
    outbox.append(&event).await.unwrap();
    outbox
        .record_failure(event.event_id(), "handler broken")
        .await
        .unwrap();
    assert_eq!(
        outbox_figures(&queues(&app, &admin.access).await.body)["deadLetters"],
        1
    );

    let replay = app
        .post(
            "/api/v1/admin/queues/outbox/dead-letters/replay",
            json!({}),
            Some(&admin.access),
        )
        .await;

    assert_eq!(replay.status, StatusCode::OK, "{}", replay.text);
    assert_eq!(replay.body["data"]["replayed"], 1);
    assert!(
        audited(&app, event.id).await,
        "the replayed event reached the audit log"
    );
    assert_eq!(
        outbox_figures(&queues(&app, &admin.access).await.body)["deadLetters"],
        0
    );
}

/// Whether `event` reaches the audit log within a few seconds.
async fn audited(app: &TestApp, event: uuid::Uuid) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let rows = app
            .db
            .query_all_raw(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                "SELECT id FROM audit_log WHERE id = $1",
                [event.into()],
            ))
            .await
            .unwrap();
        if !rows.is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
