//! §3 login: the token pair and its claims, indistinguishable failures, and the limit per
//! client IP and email.

use postern_tests::app::{PASSWORD, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::support::{ISSUER, KEY_ID, assert_error, assert_user, jwt_part};

on_both_backends!(
    login_returns_the_user_and_a_bearer_token_pair,
    login_issues_an_access_token_with_the_contract_claims,
    login_with_unknown_email_and_wrong_password_are_indistinguishable,
    the_sixth_login_for_one_email_from_one_ip_is_rate_limited,
);

async fn login_returns_the_user_and_a_bearer_token_pair(backend: Backend) {
    let app = spawn_app(backend).await;
    let signup = app.signup("ada@example.com", PASSWORD).await;
    assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.text);

    let res = app.login("  ADA@example.com", PASSWORD).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    let data = &res.body["data"];
    let mut keys: Vec<&str> = data
        .as_object()
        .expect("data is an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "accessToken",
            "expiresIn",
            "refreshToken",
            "tokenType",
            "user"
        ]
    );
    assert_user(&data["user"], "ada@example.com");
    assert_eq!(data["user"]["id"], signup.body["data"]["id"]);
    assert_eq!(data["tokenType"], json!("Bearer"));
    assert_eq!(data["expiresIn"], json!(900));
    let access = data["accessToken"].as_str().expect("access token");
    let refresh = data["refreshToken"].as_str().expect("refresh token");
    assert_eq!(access.split('.').count(), 3, "not a JWT: {access}");
    assert!(refresh.len() >= 43, "refresh token shorter than 256 bits");
    assert!(
        refresh
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "refresh token is not base64url: {refresh}"
    );
}

async fn login_issues_an_access_token_with_the_contract_claims(backend: Backend) {
    let app = spawn_app(backend).await;

    let session = app.signed_in_user().await;

    let header = jwt_part(&session.access, 0);
    let claims = jwt_part(&session.access, 1);
    assert_eq!(header["alg"], json!("HS256"));
    assert_eq!(header["kid"], json!(KEY_ID));
    assert_eq!(claims["iss"], json!(ISSUER));
    assert_eq!(claims["aud"], json!(ISSUER));
    assert_eq!(claims["sub"], json!(session.user_id));
    assert_eq!(claims["email"], json!(session.email));
    assert_eq!(claims["role"], json!("user"));
    Uuid::parse_str(claims["sid"].as_str().expect("sid")).expect("sid is a uuid");
    Uuid::parse_str(claims["jti"].as_str().expect("jti")).expect("jti is a uuid");
    let iat = claims["iat"].as_i64().expect("iat");
    let exp = claims["exp"].as_i64().expect("exp");
    assert_eq!(exp - iat, 900);
}

async fn login_with_unknown_email_and_wrong_password_are_indistinguishable(backend: Backend) {
    let app = spawn_app(backend).await;
    let signup = app.signup("ada@example.com", PASSWORD).await;
    assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.text);

    let wrong_password = app.login("ada@example.com", "not the password").await;
    let unknown_email = app.login("nobody@example.com", "not the password").await;

    assert_error(
        &wrong_password,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_error(
        &unknown_email,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_eq!(wrong_password.code(), unknown_email.code());
    assert_eq!(
        wrong_password.body["message"],
        unknown_email.body["message"]
    );
    assert_eq!(wrong_password.body, unknown_email.body);
}

async fn the_sixth_login_for_one_email_from_one_ip_is_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    for email in ["ada@example.com", "grace@example.com"] {
        let signup = app.signup(email, PASSWORD).await;
        assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.text);
    }
    let mut failures = Vec::new();
    for _ in 0..5 {
        failures.push(app.login("ada@example.com", "not the password").await);
    }

    let sixth = app.login("ada@example.com", PASSWORD).await;
    let other_email = app.login("grace@example.com", PASSWORD).await;

    for failure in &failures {
        assert_error(failure, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    assert_error(&sixth, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry_after: u64 = sixth
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(sixth.header("ratelimit-limit"), Some("5"));
    assert_eq!(sixth.header("ratelimit-remaining"), Some("0"));
    assert_eq!(other_email.status, StatusCode::OK, "{}", other_email.text);
}
