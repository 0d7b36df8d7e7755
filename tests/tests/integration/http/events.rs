//! docs/http-api.md §7 events, seen from the outside: what the HTTP flow did ends up in the audit
//! log, each event exactly once. Delivery runs beside the server, so the test polls with a
//! deadline.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use postern_tests::app::{TestApp, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

on_both_backends!(signup_login_and_logout_are_each_audited_exactly_once);

/// How long delivery may take before the test gives up.
const DEADLINE: Duration = Duration::from_secs(10);
const STEP: Duration = Duration::from_millis(50);
const EXPECTED: [&str; 3] = ["user.logged_in", "user.logged_out", "user.signed_up"];

/// How many audit rows of each type `user` has.
async fn audited(app: &TestApp, user: Uuid) -> BTreeMap<String, usize> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT event_type, user_id FROM audit_log",
        ))
        .await
        .expect("audit log read");
    let mut counts = BTreeMap::new();
    for row in rows {
        let owner: Option<Uuid> = row.try_get("", "user_id").expect("user_id");
        if owner == Some(user) {
            let kind: String = row.try_get("", "event_type").expect("event_type");
            *counts.entry(kind).or_default() += 1;
        }
    }
    counts
}

async fn signup_login_and_logout_are_each_audited_exactly_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let logout = app.logout(&session.access).await;
    assert_eq!(logout.status, StatusCode::OK, "{}", logout.text);
    let user = Uuid::parse_str(&session.user_id).expect("user id");

    let started = Instant::now();
    let mut counts = audited(&app, user).await;
    while !EXPECTED.iter().all(|kind| counts.contains_key(*kind)) && started.elapsed() < DEADLINE {
        tokio::time::sleep(STEP).await;
        counts = audited(&app, user).await;
    }

    let expected: BTreeMap<String, usize> = EXPECTED
        .iter()
        .map(|kind| ((*kind).to_owned(), 1))
        .collect();
    assert_eq!(counts, expected);
}
