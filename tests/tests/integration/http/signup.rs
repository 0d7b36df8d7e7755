//! §3 signup: the created user's shape, normalised emails, duplicates, and the per-IP rate
//! limit with its §6 headers.

use postern_tests::app::{PASSWORD, TestResponse, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use serde_json::json;

use super::support::{all_keys, assert_error, assert_user};

on_both_backends!(
    signup_creates_a_user_with_a_normalised_email_and_no_secrets,
    signup_with_a_taken_email_is_a_conflict,
    signup_with_a_taken_email_in_other_case_is_a_conflict,
    the_fourth_signup_from_one_ip_within_a_minute_is_rate_limited,
);

async fn signup_creates_a_user_with_a_normalised_email_and_no_secrets(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app
        .post(
            "/api/v1/auth/signup",
            json!({"email": "  Ada@Example.COM ", "password": PASSWORD, "name": "Ada"}),
            None,
        )
        .await;

    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["success"], json!(true));
    let user = &res.body["data"];
    assert_user(user, "ada@example.com");
    assert_eq!(user["name"], json!("Ada"));
    for key in all_keys(&res.body) {
        assert!(
            !["password", "hash", "token", "secret"]
                .iter()
                .any(|word| key.contains(word)),
            "{key} in {}",
            res.text
        );
    }
    assert!(!res.text.contains(PASSWORD));
    assert!(!res.text.contains("$argon2"));
}

async fn signup_with_a_taken_email_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signup("ada@example.com", PASSWORD).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);

    let second = app.signup("ada@example.com", "another good password").await;

    assert_error(&second, StatusCode::CONFLICT, "email_taken");
}

async fn signup_with_a_taken_email_in_other_case_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signup("ada@example.com", PASSWORD).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);

    let second = app.signup(" ADA@Example.com", PASSWORD).await;

    assert_error(&second, StatusCode::CONFLICT, "email_taken");
}

/// `RateLimit-*` header `name` as a number.
fn number(res: &TestResponse, name: &str) -> u64 {
    res.header(name)
        .unwrap_or_else(|| panic!("no {name} on {} {}", res.status, res.text))
        .parse()
        .unwrap_or_else(|e| panic!("{name} is not a number: {e}"))
}

async fn the_fourth_signup_from_one_ip_within_a_minute_is_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut admitted = Vec::new();
    for n in 1..=3 {
        admitted.push(app.signup(&format!("user{n}@example.com"), PASSWORD).await);
    }

    let fourth = app.signup("user4@example.com", PASSWORD).await;

    for (res, remaining) in admitted.iter().zip([2, 1, 0]) {
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(number(res, "ratelimit-limit"), 3);
        assert_eq!(number(res, "ratelimit-remaining"), remaining);
        let reset = number(res, "ratelimit-reset");
        assert!((1..=60).contains(&reset), "RateLimit-Reset {reset}");
    }
    assert_error(&fourth, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(number(&fourth, "ratelimit-limit"), 3);
    assert_eq!(number(&fourth, "ratelimit-remaining"), 0);
    let retry_after = number(&fourth, "retry-after");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert!((1..=60).contains(&number(&fourth, "ratelimit-reset")));
    let login = app.login("user4@example.com", PASSWORD).await;
    assert_error(&login, StatusCode::UNAUTHORIZED, "invalid_credentials");
}
