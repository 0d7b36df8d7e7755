//! docs/http-api.md §3 logout and logout-all: a revoked session's access token is refused at once
//! although it has not expired, its refresh token stops working, and the cached profile is dropped.

use postern_tests::app::{Session, TestApp, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use super::support::assert_error;

on_both_backends!(
    after_logout_the_access_and_refresh_tokens_are_rejected,
    logout_with_another_sessions_refresh_token_ends_that_session_too,
    logout_leaves_the_users_other_sessions_alone,
    logout_all_revokes_every_session,
    logout_drops_the_cached_profile,
);

/// Asserts that `session`'s tokens are refused: its access token on `/me`, its refresh token.
async fn assert_session_ended(app: &TestApp, session: &Session) {
    let me = app.me(&session.access).await;
    assert_error(&me, StatusCode::UNAUTHORIZED, "unauthorized");
    let refresh = app.refresh(&session.refresh).await;
    assert_error(&refresh, StatusCode::UNAUTHORIZED, "invalid_token");
}

async fn after_logout_the_access_and_refresh_tokens_are_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    assert_eq!(app.me(&session.access).await.status, StatusCode::OK);

    let res = app.logout(&session.access).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    assert!(
        res.body["data"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_session_ended(&app, &session).await;
}

async fn logout_with_another_sessions_refresh_token_ends_that_session_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signed_in_user().await;
    let second = app.login_as(&first.email).await;

    let res = app
        .logout_with(&first.access, json!({"refreshToken": second.refresh}))
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    assert_session_ended(&app, &first).await;
    assert_session_ended(&app, &second).await;
}

async fn logout_leaves_the_users_other_sessions_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signed_in_user().await;
    let second = app.login_as(&first.email).await;

    let res = app.logout(&first.access).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.me(&second.access).await.status, StatusCode::OK);
    assert_eq!(app.refresh(&second.refresh).await.status, StatusCode::OK);
}

async fn logout_all_revokes_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signed_in_user().await;
    let second = app.login_as(&first.email).await;

    let res = app.logout_all(&second.access).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    assert_eq!(res.body["data"]["revokedSessions"], json!(2));
    assert!(
        res.body["data"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_session_ended(&app, &first).await;
    assert_session_ended(&app, &second).await;
}

async fn logout_drops_the_cached_profile(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signed_in_user().await;
    let second = app.login_as(&first.email).await;
    assert_eq!(
        app.me(&second.access).await.body["data"]["name"],
        json!(null)
    );
    // The only user of this fresh database, renamed behind the server's back.
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            "UPDATE users SET name = 'Renamed Directly'",
        ))
        .await
        .expect("renamed in the database");
    let cached = app.me(&second.access).await;
    assert_eq!(cached.body["data"]["name"], json!(null), "not cached");

    let res = app.logout(&first.access).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let fresh = app.me(&second.access).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_eq!(fresh.body["data"]["name"], json!("Renamed Directly"));
}
