//! The bodies of email verification, forgot-password and password reset.

use serde_json::json;

use super::{assert_details, chars, overlong_email};
use crate::support::{TestApp, assert_invalid_fields};

const VERIFY: &str = "/api/v1/auth/email/verify";
const FORGOT: &str = "/api/v1/auth/password/forgot";
const RESET: &str = "/api/v1/auth/password/reset";

#[tokio::test]
async fn verify_email_names_a_missing_null_wrong_typed_or_overlong_token() {
    let app = TestApp::new();

    for (body, message) in [
        (json!({}), "is required"),
        (json!({"token": null}), "must not be null"),
        (json!({"token": ["a"]}), "must be a string"),
        (json!({"token": chars(513)}), "is not a valid token"),
    ] {
        let res = app.post(VERIFY, &body, None).await;

        assert_details(&res, &[("token", message)]);
    }
}

#[tokio::test]
async fn forgot_password_names_a_missing_null_wrong_typed_overlong_or_invalid_email() {
    let app = TestApp::new();

    for (body, message) in [
        (json!({}), "is required"),
        (json!({"email": null}), "must not be null"),
        (json!({"email": false}), "must be a string"),
        (
            json!({"email": overlong_email()}),
            "must be at most 254 characters",
        ),
        (json!({"email": "nobody"}), "must be a valid email address"),
    ] {
        let res = app.post(FORGOT, &body, None).await;

        assert_details(&res, &[("email", message)]);
    }
}

#[tokio::test]
async fn password_reset_names_every_missing_null_wrong_typed_and_overlong_field_at_once() {
    let app = TestApp::new();

    let absent = app.post(RESET, &json!({"password": null}), None).await;
    let wrong_types = app
        .post(RESET, &json!({"token": 7, "password": {"p": 1}}), None)
        .await;
    let overlong = app
        .post(
            RESET,
            &json!({"token": chars(513), "password": chars(129)}),
            None,
        )
        .await;

    assert_details(
        &absent,
        &[("token", "is required"), ("password", "must not be null")],
    );
    assert_details(
        &wrong_types,
        &[
            ("token", "must be a string"),
            ("password", "must be a string"),
        ],
    );
    assert_invalid_fields(&overlong, &["token", "password"]);
}
