//! docs/http-api.md §3 password change: the right current password sets the new one and ends the
//! caller's other sessions at once while the caller's own keeps working; a wrong one changes
//! nothing; the new password must differ from the current one; and the change is announced by a
//! `user.password_changed` event.

use postern_tests::app::{PASSWORD, Session, TestApp, spawn_app};
use postern_tests::db::Backend;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use super::support::{assert_error, assert_invalid_field};

on_both_backends!(
    changing_the_password_replaces_it_and_ends_only_the_other_sessions,
    a_wrong_current_password_is_invalid_credentials_and_changes_nothing,
    a_new_password_equal_to_the_current_one_is_a_validation_error,
    changing_the_password_requires_a_bearer_token,
    a_password_change_writes_its_event,
);

const NEW_PASSWORD: &str = "a brand new passphrase";

/// A user signed in twice: the session that changes the password, and another one.
async fn two_sessions(app: &TestApp) -> (Session, Session) {
    let caller = app.signed_in_user().await;
    let other = app.login_as(&caller.email).await;
    (caller, other)
}

async fn changing_the_password_replaces_it_and_ends_only_the_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let (caller, other) = two_sessions(&app).await;

    let res = app
        .change_password(&caller.access, PASSWORD, NEW_PASSWORD)
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    assert!(
        res.body["data"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let old = app.login(&caller.email, PASSWORD).await;
    assert_error(&old, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let new = app.login(&caller.email, NEW_PASSWORD).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.text);
    let other_me = app.me(&other.access).await;
    assert_error(&other_me, StatusCode::UNAUTHORIZED, "unauthorized");
    let other_refresh = app.refresh(&other.refresh).await;
    assert_error(&other_refresh, StatusCode::UNAUTHORIZED, "invalid_token");
    let own_me = app.me(&caller.access).await;
    assert_eq!(own_me.status, StatusCode::OK, "{}", own_me.text);
    let own_refresh = app.refresh(&caller.refresh).await;
    assert_eq!(own_refresh.status, StatusCode::OK, "{}", own_refresh.text);
}

async fn a_wrong_current_password_is_invalid_credentials_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (caller, other) = two_sessions(&app).await;

    let res = app
        .change_password(&caller.access, "not the password", NEW_PASSWORD)
        .await;

    assert_error(&res, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(
        app.login(&caller.email, PASSWORD).await.status,
        StatusCode::OK
    );
    let new = app.login(&caller.email, NEW_PASSWORD).await;
    assert_error(&new, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(app.me(&other.access).await.status, StatusCode::OK);
}

async fn a_new_password_equal_to_the_current_one_is_a_validation_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let (caller, other) = two_sessions(&app).await;

    let res = app
        .change_password(&caller.access, PASSWORD, PASSWORD)
        .await;

    assert_invalid_field(&res, "newPassword");
    assert_eq!(app.me(&other.access).await.status, StatusCode::OK);
}

async fn changing_the_password_requires_a_bearer_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let caller = app.signed_in_user().await;

    let res = app
        .send(
            Method::POST,
            "/api/v1/auth/password/change",
            Some(json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD})),
            None,
        )
        .await;

    assert_error(&res, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        app.login(&caller.email, PASSWORD).await.status,
        StatusCode::OK
    );
}

async fn a_password_change_writes_its_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let (caller, _other) = two_sessions(&app).await;

    let res = app
        .change_password(&caller.access, PASSWORD, NEW_PASSWORD)
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Written in the change's transaction, so present as soon as the answer is.
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT event_type FROM outbox",
        ))
        .await
        .expect("outbox read");
    let types: Vec<String> = rows
        .iter()
        .map(|row| row.try_get("", "event_type").expect("event_type"))
        .collect();
    let count = |kind: &str| types.iter().filter(|t| *t == kind).count();
    assert_eq!(count("user.password_changed"), 1, "{types:?}");
    // One logout event for the other session the change ended.
    assert_eq!(count("user.logged_out"), 1, "{types:?}");
}
