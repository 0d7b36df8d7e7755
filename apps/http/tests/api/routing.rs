//! docs/http-api.md §1 routing: unknown paths are 404 `not_found`, a known path with another method
//! is 405 `method_not_allowed` without `Allow`, and ids that name nothing are 404 like unknown
//! ones.

use poem::http::{Method, StatusCode};

use crate::support::{TestApp, assert_error};

#[tokio::test]
async fn an_unknown_route_is_not_found() {
    let app = TestApp::new();

    let api = app.get("/api/v1/no-such-thing", None).await;
    let root = app.get("/no-such-thing", None).await;

    assert_error(&api, StatusCode::NOT_FOUND, "not_found");
    assert_error(&root, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_wrong_method_is_method_not_allowed_without_an_allow_header() {
    let app = TestApp::new();

    let get_login = app.get("/api/v1/auth/login", None).await;
    let delete_signup = app
        .call(Method::DELETE, "/api/v1/auth/signup", None, None)
        .await;

    for res in [&get_login, &delete_signup] {
        assert_error(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        assert_eq!(res.header("allow"), None);
    }
}

#[tokio::test]
async fn a_malformed_or_unknown_id_is_not_found() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;
    let unknown = "0190a0a0-0000-7000-8000-000000000000";

    let session = app
        .call(
            Method::DELETE,
            "/api/v1/user/sessions/not-a-uuid",
            None,
            Some(&admin.access),
        )
        .await;
    let cache = app
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/users/{unknown}/cache"),
            None,
            Some(&admin.access),
        )
        .await;
    let user = app
        .update_user(
            &admin.access,
            "not-a-uuid",
            &serde_json::json!({"disabled": true}),
        )
        .await;

    for res in [&session, &cache, &user] {
        assert_error(res, StatusCode::NOT_FOUND, "not_found");
    }
}
