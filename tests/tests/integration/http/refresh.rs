//! docs/http-api.md §3 refresh: rotation, the grace window for a duplicate (answered with the
//! successor already issued), and reuse detection that revokes the whole session.

use postern_tests::app::{TestApp, TestResponse, spawn_app, spawn_app_with};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use serde_json::json;

use super::support::assert_error;

on_both_backends!(
    refresh_rotates_to_a_new_pair_whose_access_token_works,
    a_refresh_token_presented_again_within_the_grace_window_gets_the_same_successor,
    a_reused_refresh_token_without_grace_revokes_the_whole_session,
);

/// Asserts a successful refresh and returns its `(access, refresh)` pair.
fn pair_of(res: &TestResponse) -> (String, String) {
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    let data = &res.body["data"];
    assert_eq!(data["tokenType"], json!("Bearer"));
    assert_eq!(data["expiresIn"], json!(900));
    (
        data["accessToken"].as_str().expect("access").to_owned(),
        data["refreshToken"].as_str().expect("refresh").to_owned(),
    )
}

/// Asserts that `access` is accepted as `user_id`'s bearer.
async fn assert_access_works(app: &TestApp, access: &str, user_id: &str) {
    let me = app.me(access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["data"]["id"], json!(user_id));
}

async fn refresh_rotates_to_a_new_pair_whose_access_token_works(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;

    let res = app.refresh(&session.refresh).await;

    let (access, refresh) = pair_of(&res);
    assert_ne!(refresh, session.refresh);
    assert_ne!(access, session.access);
    assert_access_works(&app, &access, &session.user_id).await;
    pair_of(&app.refresh(&refresh).await);
}

async fn a_refresh_token_presented_again_within_the_grace_window_gets_the_same_successor(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let (first_access, first_refresh) = pair_of(&app.refresh(&session.refresh).await);

    let again = app.refresh(&session.refresh).await;

    let (access, refresh) = pair_of(&again);
    assert_eq!(refresh, first_refresh);
    assert_ne!(access, first_access);
    assert_access_works(&app, &access, &session.user_id).await;
    pair_of(&app.refresh(&refresh).await);
}

async fn a_reused_refresh_token_without_grace_revokes_the_whole_session(backend: Backend) {
    let app = spawn_app_with(backend, &[("REFRESH_REUSE_GRACE", "0")]).await;
    let session = app.signed_in_user().await;
    let (rotated_access, newest_refresh) = pair_of(&app.refresh(&session.refresh).await);

    let reused = app.refresh(&session.refresh).await;

    assert_error(&reused, StatusCode::UNAUTHORIZED, "refresh_token_reused");
    let newest = app.refresh(&newest_refresh).await;
    assert_error(&newest, StatusCode::UNAUTHORIZED, "invalid_token");
    for access in [&session.access, &rotated_access] {
        let me = app.me(access).await;
        assert_error(&me, StatusCode::UNAUTHORIZED, "unauthorized");
    }
}
