//! docs/http-api.md §4 profile: the same user as `/me`, and name changes that later reads see (the
//! cached copy is dropped on write). Refused names are tested in process, in `postern-http`'s own
//! tests.

use postern_tests::app::spawn_app;
use postern_tests::db::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::{assert_error, assert_user};

on_both_backends!(
    profile_is_the_same_user_as_me,
    patching_the_name_is_seen_by_later_reads,
    patching_the_name_to_null_clears_it,
    patching_without_a_name_keeps_it,
    the_profile_requires_a_bearer_token,
);

async fn profile_is_the_same_user_as_me(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;

    let profile = app.profile(&session.access).await;
    let me = app.me(&session.access).await;

    assert_eq!(profile.status, StatusCode::OK, "{}", profile.text);
    assert_eq!(profile.body["success"], json!(true));
    assert_user(&profile.body["data"], &session.email);
    assert_eq!(profile.body["data"]["id"], json!(session.user_id));
    assert_eq!(profile.body["data"], me.body["data"]);
}

async fn patching_the_name_is_seen_by_later_reads(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let before = app.profile(&session.access).await;
    assert_eq!(before.body["data"]["name"], json!(null));

    let res = app
        .update_profile(&session.access, json!({"name": "Grace"}))
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    assert_user(&res.body["data"], &session.email);
    assert_eq!(res.body["data"]["name"], json!("Grace"));
    let profile = app.profile(&session.access).await;
    assert_eq!(profile.body["data"]["name"], json!("Grace"), "stale cache");
    let me = app.me(&session.access).await;
    assert_eq!(me.body["data"]["name"], json!("Grace"), "stale cache");
}

async fn patching_the_name_to_null_clears_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let named = app
        .update_profile(&session.access, json!({"name": "Grace"}))
        .await;
    assert_eq!(named.body["data"]["name"], json!("Grace"), "{}", named.text);
    assert_eq!(
        app.profile(&session.access).await.body["data"]["name"],
        json!("Grace")
    );

    let res = app
        .update_profile(&session.access, json!({"name": null}))
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["data"]["name"], json!(null));
    let profile = app.profile(&session.access).await;
    assert_eq!(profile.body["data"]["name"], json!(null), "stale cache");
}

async fn the_profile_requires_a_bearer_token(backend: Backend) {
    let app = spawn_app(backend).await;

    let read = app.get("/api/v1/user/profile", None).await;
    let write = app
        .send(
            Method::PATCH,
            "/api/v1/user/profile",
            Some(json!({"name": "Grace"})),
            None,
        )
        .await;

    for res in [&read, &write] {
        assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized");
    }
}

async fn patching_without_a_name_keeps_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let named = app
        .update_profile(&session.access, json!({"name": "Grace"}))
        .await;
    assert_eq!(named.status, StatusCode::OK, "{}", named.text);

    let res = app.update_profile(&session.access, json!({})).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["data"]["name"], json!("Grace"));
    assert_eq!(
        app.profile(&session.access).await.body["data"]["name"],
        json!("Grace")
    );
}
