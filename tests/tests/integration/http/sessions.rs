//! docs/http-api.md §4 sessions: the caller sees their live sessions with the current one marked
//! and no secret, and revoking one is a logout of that session, refused (404) for anything not the
//! caller's.

use postern_tests::app::{Session, TestApp, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use super::support::{all_keys, assert_error, jwt_part};

on_both_backends!(
    the_list_shows_each_login_and_marks_the_callers_session_current,
    revoking_another_own_session_ends_it_at_once,
    revoking_another_users_session_is_not_found_and_leaves_it_working,
    a_malformed_or_unknown_session_id_is_not_found,
    revoking_the_current_session_logs_the_caller_out,
    sessions_require_a_bearer_token,
);

/// The keys of a listed session, and no others.
const SESSION_KEYS: [&str; 6] = [
    "createdAt",
    "current",
    "id",
    "ip",
    "lastUsedAt",
    "userAgent",
];

/// The session id (`sid`) of `session`'s access token.
fn sid(session: &Session) -> String {
    jwt_part(&session.access, 1)["sid"]
        .as_str()
        .expect("sid claim")
        .to_owned()
}

/// The caller's listed sessions, after checking the response is a 200 success.
async fn listed(app: &TestApp, session: &Session) -> Vec<Value> {
    let res = app.sessions(&session.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    res.body["data"].as_array().expect("data is a list").clone()
}

/// The ids of `sessions`, in order.
fn ids(sessions: &[Value]) -> Vec<&str> {
    sessions
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect()
}

/// The `user.logged_out` events in the outbox, as JSON text.
async fn logged_out_events(app: &TestApp) -> Vec<String> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT CAST(payload AS TEXT) AS payload FROM outbox \
             WHERE event_type = 'user.logged_out'",
        ))
        .await
        .expect("outbox read");
    rows.iter()
        .map(|row| row.try_get("", "payload").expect("payload"))
        .collect()
}

async fn the_list_shows_each_login_and_marks_the_callers_session_current(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signed_in_user().await;
    let second = app.login_as(&first.email).await;

    let res = app.sessions(&second.access).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let sessions = res.body["data"].as_array().expect("data is a list");
    // Newest first: the second login was used last.
    assert_eq!(ids(sessions), [sid(&second), sid(&first)]);
    let current: Vec<&Value> = sessions
        .iter()
        .filter(|s| s["current"] == json!(true))
        .collect();
    assert_eq!(current.len(), 1, "{}", res.text);
    assert_eq!(current[0]["id"], json!(sid(&second)));
    assert_eq!(sessions[1]["current"], json!(false));
    for session in sessions {
        let mut keys: Vec<&str> = session
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, SESSION_KEYS, "keys of {session}");
        assert_eq!(session["ip"], json!("127.0.0.1"));
        assert_eq!(session["createdAt"], session["lastUsedAt"]);
    }
    // No secret anywhere: no token or hash field, no token value.
    for key in all_keys(&res.body) {
        assert!(!key.contains("token") && !key.contains("hash"), "{key}");
    }
    for secret in [
        &first.access,
        &first.refresh,
        &second.access,
        &second.refresh,
    ] {
        assert!(
            !res.text.contains(secret.as_str()),
            "a token in {}",
            res.text
        );
    }
}

async fn revoking_another_own_session_ends_it_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signed_in_user().await;
    let second = app.login_as(&first.email).await;

    let res = app.revoke_session(&second.access, &sid(&first)).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    assert!(
        res.body["data"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_error(
        &app.me(&first.access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &app.refresh(&first.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    let left = listed(&app, &second).await;
    assert_eq!(ids(&left), [sid(&second)]);
    assert_eq!(app.me(&second.access).await.status, StatusCode::OK);
    let events = logged_out_events(&app).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event: Value = serde_json::from_str(&events[0]).expect("event JSON");
    assert_eq!(event["userId"], json!(first.user_id), "{event}");
    assert_eq!(event["data"]["sessionIds"], json!([sid(&first)]), "{event}");
    assert_eq!(event["data"]["allSessions"], json!(false), "{event}");
}

async fn revoking_another_users_session_is_not_found_and_leaves_it_working(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = app.signed_in_user().await;
    let intruder = app.signed_in_user().await;

    let res = app.revoke_session(&intruder.access, &sid(&owner)).await;

    assert_error(&res, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.me(&owner.access).await.status, StatusCode::OK);
    assert_eq!(ids(&listed(&app, &owner).await), [sid(&owner)]);
    assert_eq!(app.refresh(&owner.refresh).await.status, StatusCode::OK);
    assert!(logged_out_events(&app).await.is_empty());
}

async fn a_malformed_or_unknown_session_id_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let unknown = Uuid::now_v7().to_string();

    for id in ["not-a-uuid", "12345", "%20", unknown.as_str()] {
        let res = app.revoke_session(&session.access, id).await;

        assert_error(&res, StatusCode::NOT_FOUND, "not_found");
    }
    assert_eq!(app.me(&session.access).await.status, StatusCode::OK);
}

async fn revoking_the_current_session_logs_the_caller_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;

    let res = app.revoke_session(&session.access, &sid(&session)).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_error(
        &app.me(&session.access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &app.refresh(&session.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
}

async fn sessions_require_a_bearer_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;

    let list = app.get("/api/v1/user/sessions", None).await;
    let revoke = app
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/user/sessions/{}", sid(&session)),
            None,
            None,
        )
        .await;

    assert_error(&list, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_error(&revoke, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(app.me(&session.access).await.status, StatusCode::OK);
}
