//! Bodies that cannot be read as an object at all: 400 `validation_error` without `details`.

use poem::http::Method;
use serde_json::json;

use crate::support::{TestApp, assert_malformed};

const SIGNUP: &str = "/api/v1/auth/signup";

#[tokio::test]
async fn malformed_json_is_refused_without_details() {
    let app = TestApp::new();

    let res = app
        .send(
            app.request(Method::POST, SIGNUP)
                .content_type("application/json")
                .body(r#"{"email": "ada@example.com", "password":"#),
        )
        .await;

    assert_malformed(&res);
}

#[tokio::test]
async fn a_json_value_that_is_not_an_object_is_refused_without_details() {
    let app = TestApp::new();

    for body in [
        json!(["ada@example.com"]),
        json!("text"),
        json!(null),
        json!(7),
    ] {
        let res = app.post(SIGNUP, &body, None).await;

        assert_malformed(&res);
    }
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_refused_without_details() {
    let app = TestApp::new();

    let plain = app
        .send(
            app.request(Method::POST, SIGNUP)
                .content_type("text/plain")
                .body(r#"{"email": "ada@example.com"}"#),
        )
        .await;
    let bodiless_plain = app
        .send(app.request(Method::POST, SIGNUP).content_type("text/plain"))
        .await;
    let undeclared = app
        .send(
            app.request(Method::POST, SIGNUP)
                .body(r#"{"email": "ada@example.com"}"#),
        )
        .await;

    for res in [&plain, &bodiless_plain, &undeclared] {
        assert_malformed(res);
    }
}

#[tokio::test]
async fn logout_refuses_an_optional_body_that_is_not_an_object_without_details() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;

    let res = app
        .post(
            "/api/v1/auth/logout",
            &json!(["token"]),
            Some(&session.access),
        )
        .await;

    assert_malformed(&res);
}
