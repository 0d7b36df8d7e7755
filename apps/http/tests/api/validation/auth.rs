//! The bodies of signup, login, refresh, logout and password change.

use poem::http::StatusCode;
use serde_json::json;

use super::{assert_details, chars, overlong_email};
use crate::support::{PASSWORD, TestApp, assert_invalid_fields};

const SIGNUP: &str = "/api/v1/auth/signup";
const LOGIN: &str = "/api/v1/auth/login";
const REFRESH: &str = "/api/v1/auth/refresh";
const LOGOUT: &str = "/api/v1/auth/logout";
const CHANGE: &str = "/api/v1/auth/password/change";

#[tokio::test]
async fn signup_names_every_missing_null_wrong_typed_and_overlong_field_at_once() {
    let app = TestApp::new();

    let absent = app
        .post(SIGNUP, &json!({"password": null, "name": 42}), None)
        .await;
    let overlong = app
        .post(
            SIGNUP,
            &json!({"email": overlong_email(), "password": chars(129), "name": chars(101)}),
            None,
        )
        .await;

    assert_details(
        &absent,
        &[
            ("email", "is required"),
            ("password", "must not be null"),
            ("name", "must be a string"),
        ],
    );
    assert_invalid_fields(&overlong, &["email", "password", "name"]);
}

#[tokio::test]
async fn signup_reports_a_broken_rule_together_with_a_wrong_type() {
    let app = TestApp::new();

    let res = app
        .post(
            SIGNUP,
            &json!({"email": "not-an-email", "password": 12_345_678}),
            None,
        )
        .await;

    assert_details(
        &res,
        &[
            ("email", "must be a valid email address"),
            ("password", "must be a string"),
        ],
    );
}

#[tokio::test]
async fn signup_names_a_short_or_blank_password() {
    let app = TestApp::new();

    let short = app.signup("ada@example.com", "1234567").await;
    let blank = app.signup("ada@example.com", "          ").await;

    assert_invalid_fields(&short, &["password"]);
    assert_invalid_fields(&blank, &["password"]);
}

#[tokio::test]
async fn login_names_every_missing_null_wrong_typed_and_overlong_field_at_once() {
    let app = TestApp::new();

    let missing = app.post(LOGIN, &json!({"email": 42}), None).await;
    let null = app
        .post(LOGIN, &json!({"email": null, "password": []}), None)
        .await;
    let overlong = app
        .post(
            LOGIN,
            &json!({"email": overlong_email(), "password": chars(129)}),
            None,
        )
        .await;

    assert_details(
        &missing,
        &[("email", "must be a string"), ("password", "is required")],
    );
    assert_details(
        &null,
        &[
            ("email", "must not be null"),
            ("password", "must be a string"),
        ],
    );
    assert_invalid_fields(&overlong, &["email", "password"]);
}

#[tokio::test]
async fn refresh_names_a_missing_null_wrong_typed_overlong_or_empty_token() {
    let app = TestApp::new();

    for (body, message) in [
        (json!({}), "is required"),
        (json!({"refreshToken": null}), "must not be null"),
        (json!({"refreshToken": 42}), "must be a string"),
        (json!({"refreshToken": chars(513)}), "is not a valid token"),
        (json!({"refreshToken": ""}), "is required"),
    ] {
        let res = app.post(REFRESH, &body, None).await;

        assert_details(&res, &[("refreshToken", message)]);
    }
}

#[tokio::test]
async fn logout_names_a_wrong_typed_or_overlong_token_and_takes_null_as_none() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;

    let wrong_type = app
        .post(LOGOUT, &json!({"refreshToken": 42}), Some(&session.access))
        .await;
    let overlong = app
        .post(
            LOGOUT,
            &json!({"refreshToken": chars(513)}),
            Some(&session.access),
        )
        .await;
    let null = app
        .post(
            LOGOUT,
            &json!({"refreshToken": null}),
            Some(&session.access),
        )
        .await;

    assert_details(&wrong_type, &[("refreshToken", "must be a string")]);
    assert_invalid_fields(&overlong, &["refreshToken"]);
    assert_eq!(null.status, StatusCode::OK, "{}", null.text);
}

#[tokio::test]
async fn password_change_names_every_missing_null_wrong_typed_and_overlong_field_at_once() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let access = Some(session.access.as_str());

    let absent = app
        .post(CHANGE, &json!({"newPassword": null}), access)
        .await;
    let wrong_types = app
        .post(
            CHANGE,
            &json!({"currentPassword": 1, "newPassword": true}),
            access,
        )
        .await;
    let overlong = app
        .post(
            CHANGE,
            &json!({"currentPassword": chars(129), "newPassword": chars(129)}),
            access,
        )
        .await;
    let weak = app
        .post(
            CHANGE,
            &json!({"currentPassword": PASSWORD, "newPassword": "7 chars"}),
            access,
        )
        .await;

    assert_details(
        &absent,
        &[
            ("currentPassword", "is required"),
            ("newPassword", "must not be null"),
        ],
    );
    assert_details(
        &wrong_types,
        &[
            ("currentPassword", "must be a string"),
            ("newPassword", "must be a string"),
        ],
    );
    assert_invalid_fields(&overlong, &["currentPassword", "newPassword"]);
    assert_invalid_fields(&weak, &["newPassword"]);
}

#[tokio::test]
async fn rejected_passwords_and_tokens_are_never_echoed() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;

    let refused = [
        app.post(
            LOGIN,
            &json!({"email": session.email, "password": [PASSWORD]}),
            None,
        )
        .await,
        app.post(LOGIN, &json!([session.email, PASSWORD]), None)
            .await,
        app.post(REFRESH, &json!({"refreshToken": [session.refresh]}), None)
            .await,
        app.post(REFRESH, &json!(session.refresh), None).await,
        app.signup("ada@example.com", &format!("{PASSWORD}{}", chars(200)))
            .await,
    ];

    for res in &refused {
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
        assert!(
            !res.text.contains(PASSWORD),
            "password echoed: {}",
            res.text
        );
        assert!(
            !res.text.contains(&session.refresh),
            "token echoed: {}",
            res.text
        );
    }
}

#[tokio::test]
async fn signup_refuses_a_name_with_bidi_overrides_or_invisible_characters() {
    let app = TestApp::new();

    for (index, name) in ["\u{202E}nimda", "Ada\u{200B}", "Ada\u{2067}x", "A\u{2028}B"]
        .into_iter()
        .enumerate()
    {
        let res = app
            .post(
                SIGNUP,
                &json!({"email": format!("name{index}@example.com"), "password": PASSWORD, "name": name}),
                None,
            )
            .await;

        assert_invalid_fields(&res, &["name"]);
    }
}

#[tokio::test]
async fn signup_refuses_quoted_literal_and_lookalike_addresses() {
    let app = TestApp::new();

    for email in [
        "\"ada\"@example.com",
        "ada@[127.0.0.1]",
        "\u{0430}da@example.com",
    ] {
        let res = app
            .post(SIGNUP, &json!({"email": email, "password": PASSWORD}), None)
            .await;

        assert_invalid_fields(&res, &["email"]);
    }
}

#[tokio::test]
async fn a_fullwidth_spelling_of_an_address_is_the_same_account() {
    let app = TestApp::new();
    let first = app.signup("ada@example.com", PASSWORD).await;

    let again = app.signup("ａｄａ@ｅｘａｍｐｌｅ.ｃｏｍ", PASSWORD).await;
    let login = app.login("ＡＤＡ@example.com", PASSWORD).await;

    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
}
