//! docs/http-api.md §1 success envelopes: `{"success": true, "data"}`, with `meta` on every list,
//! paginated or whole.

use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp};

/// The keys of `value`, sorted.
fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn signup_answers_201_with_the_user_in_the_success_envelope() {
    let app = TestApp::new();

    let res = app
        .post(
            "/api/v1/auth/signup",
            &json!({"email": "  Ada@Example.COM ", "password": PASSWORD, "name": "Ada"}),
            None,
        )
        .await;

    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(keys(&res.body), ["data", "success"]);
    assert_eq!(res.body["success"], json!(true));
    let user = &res.body["data"];
    assert_eq!(
        keys(user),
        [
            "createdAt",
            "email",
            "emailVerified",
            "id",
            "name",
            "role",
            "updatedAt"
        ]
    );
    assert_eq!(user["email"], json!("ada@example.com"));
    assert_eq!(user["name"], json!("Ada"));
    assert_eq!(user["role"], json!("user"));
    assert_eq!(user["emailVerified"], json!(false));
    assert!(!res.text.contains(PASSWORD));
    assert!(!res.text.contains("$argon2"));
}

#[tokio::test]
async fn login_answers_the_user_and_a_bearer_token_pair() {
    let app = TestApp::new();
    let signup = app.signup("ada@example.com", PASSWORD).await;

    let res = app.login("  ADA@example.com", PASSWORD).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(keys(&res.body), ["data", "success"]);
    let data = &res.body["data"];
    assert_eq!(
        keys(data),
        [
            "accessToken",
            "expiresIn",
            "refreshToken",
            "tokenType",
            "user"
        ]
    );
    assert_eq!(data["user"]["id"], signup.body["data"]["id"]);
    assert_eq!(data["tokenType"], json!("Bearer"));
    assert_eq!(data["expiresIn"], json!(900));
    let access = data["accessToken"].as_str().expect("an access token");
    let refresh = data["refreshToken"].as_str().expect("a refresh token");
    assert_eq!(access.split('.').count(), 3, "not a JWT: {access}");
    assert_eq!(refresh.len(), 43, "not 256 bits in base64url: {refresh}");
    assert!(
        refresh
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "not base64url: {refresh}"
    );
}

#[tokio::test]
async fn a_paginated_list_carries_its_items_and_meta() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;

    let res = app
        .get("/api/v1/admin/users?limit=1", Some(&admin.access))
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(keys(&res.body), ["data", "meta", "success"]);
    assert_eq!(res.body["success"], json!(true));
    assert_eq!(res.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(res.body["data"][0]["id"], json!(admin.user_id));
    assert_eq!(res.body["data"][0]["disabled"], json!(false));
    assert_eq!(res.body["meta"], json!({"nextCursor": null, "limit": 1}));
}

#[tokio::test]
async fn a_whole_list_carries_meta_with_no_next_cursor() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    app.login(&session.email, PASSWORD).await;

    let res = app
        .get("/api/v1/user/sessions", Some(&session.access))
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(keys(&res.body), ["data", "meta", "success"]);
    assert_eq!(res.body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(res.body["meta"], json!({"nextCursor": null, "limit": 2}));
}

#[tokio::test]
async fn every_list_operation_answers_with_meta() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;
    let lists = [
        "/api/v1/user/sessions",
        "/api/v1/admin/users",
        "/api/v1/admin/audit",
        "/api/v1/admin/queues",
    ];

    for path in lists {
        let res = app.get(path, Some(&admin.access)).await;

        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        assert!(res.body["data"].is_array(), "{path}: {}", res.text);
        assert!(res.body["meta"]["limit"].is_u64(), "{path}: {}", res.text);
        assert!(
            res.body["meta"].get("nextCursor").is_some(),
            "{path}: {}",
            res.text
        );
    }
}
