//! docs/http-api.md §6 rate limits as HTTP shows them: `RateLimit-*` headers on every answer of a
//! limited operation, and 429 `rate_limited` with `Retry-After` once the quota is spent.

use poem::http::StatusCode;
use postern_core::ports::{RateLimitBucket, RateLimits};

use crate::support::{PASSWORD, Reply, TestApp, assert_error};

/// Header `name` as a number.
fn number(res: &Reply, name: &str) -> u64 {
    res.header(name)
        .unwrap_or_else(|| panic!("no {name} on {} {}", res.status, res.text))
        .parse()
        .unwrap_or_else(|e| panic!("{name} is not a number: {e}"))
}

#[tokio::test]
async fn the_fourth_signup_from_one_client_within_a_minute_is_rate_limited() {
    let app = TestApp::new();
    let mut admitted = Vec::new();
    for n in 1..=3 {
        admitted.push(app.signup(&format!("user{n}@example.com"), PASSWORD).await);
    }

    let fourth = app.signup("user4@example.com", PASSWORD).await;

    for (res, remaining) in admitted.iter().zip([2, 1, 0]) {
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(number(res, "ratelimit-limit"), 3);
        assert_eq!(number(res, "ratelimit-remaining"), remaining);
        assert!((1..=60).contains(&number(res, "ratelimit-reset")));
    }
    assert_error(&fourth, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(number(&fourth, "ratelimit-limit"), 3);
    assert_eq!(number(&fourth, "ratelimit-remaining"), 0);
    assert!((1..=60).contains(&number(&fourth, "ratelimit-reset")));
    let retry_after = number(&fourth, "retry-after");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let login = app.login("user4@example.com", PASSWORD).await;
    assert_error(&login, StatusCode::UNAUTHORIZED, "invalid_credentials");
}

#[tokio::test]
async fn the_sixth_login_for_one_email_is_rate_limited_but_not_another_email() {
    let app = TestApp::new();
    let ada = app.signed_in_user().await;
    let grace = app.signed_in_user().await;
    for _ in 0..4 {
        let res = app.login(&ada.email, "not the password").await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }

    let sixth = app.login(&ada.email, PASSWORD).await;
    let other_email = app.login(&grace.email, PASSWORD).await;

    assert_error(&sixth, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(sixth.header("ratelimit-limit"), Some("5"));
    assert_eq!(sixth.header("ratelimit-remaining"), Some("0"));
    let retry_after = number(&sixth, "retry-after");
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(other_email.status, StatusCode::OK, "{}", other_email.text);
}

#[tokio::test]
async fn invalid_signups_are_refused_before_the_limit_and_spend_none_of_its_quota() {
    // Without the global bucket, whose headers every answer carries.
    let app = TestApp::builder()
        .rate_limits(RateLimits::default().with(RateLimitBucket::Global, None))
        .build();
    for _ in 0..5 {
        let res = app.signup("not an email", PASSWORD).await;
        assert_error(&res, StatusCode::BAD_REQUEST, "validation_error");
        assert_eq!(res.header("ratelimit-remaining"), None, "{}", res.text);
    }

    let first = app.signup("first@example.com", PASSWORD).await;

    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(number(&first, "ratelimit-remaining"), 2);
}

#[tokio::test]
async fn an_invalid_login_is_400_whatever_it_breaks_even_once_its_bucket_is_spent() {
    let app = TestApp::new();
    let ada = app.signed_in_user().await;
    for _ in 0..4 {
        app.login(&ada.email, "not the password").await;
    }

    let bad_email = app.login("not an email", PASSWORD).await;
    let empty_password = app.login(&ada.email, "").await;
    let valid = app.login(&ada.email, PASSWORD).await;

    assert_error(&bad_email, StatusCode::BAD_REQUEST, "validation_error");
    assert_error(&empty_password, StatusCode::BAD_REQUEST, "validation_error");
    assert_error(&valid, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}
