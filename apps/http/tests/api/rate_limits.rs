//! docs/http-api.md §6 rate limits as HTTP shows them: `RateLimit-*` headers on every answer of a
//! limited operation, and 429 `rate_limited` with `Retry-After` once the quota is spent.

use poem::http::StatusCode;
use postern_core::ports::{RateLimitBucket, RateLimits};
use serde_json::json;

use crate::support::{PASSWORD, Reply, Session, TestApp, assert_error};

const CHANGE: &str = "/api/v1/auth/password/change";

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

/// Tries to change `session`'s password from `current` to a new one.
async fn change_password(app: &TestApp, session: &Session, current: &str) -> Reply {
    let body = json!({"currentPassword": current, "newPassword": "a brand new password"});
    app.post(CHANGE, &body, Some(&session.access)).await
}

#[tokio::test]
async fn the_third_wrong_current_password_within_an_hour_ends_the_calling_session() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let mut guesses = Vec::new();
    for _ in 0..2 {
        guesses.push(change_password(&app, &session, "not the password").await);
    }

    let third = change_password(&app, &session, "not the password").await;

    for res in &guesses {
        assert_error(res, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    assert_error(&third, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert!(third.text.contains("ended this session"), "{}", third.text);
    let with_the_right_password = change_password(&app, &session, PASSWORD).await;
    assert_error(
        &with_the_right_password,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &app.me(&session.access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &app.refresh(&session.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    let owner = app.login(&session.email, PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.text);
}

#[tokio::test]
async fn the_sixth_password_change_of_an_account_within_15_minutes_is_rate_limited_across_its_sessions()
 {
    let app = TestApp::new();
    let first = app.signed_in_user().await;
    let second = app.login_as(&first.email).await;
    let third = app.login_as(&first.email).await;
    for session in [&first, &first, &second, &second, &third] {
        let res = change_password(&app, session, "not the password").await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }

    let sixth = change_password(&app, &third, PASSWORD).await;

    assert_error(&sixth, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(sixth.header("ratelimit-limit"), Some("5"));
    let retry_after = number(&sixth, "retry-after");
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    let other_account = app.signed_in_user().await;
    let allowed = change_password(&app, &other_account, PASSWORD).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text);
}

#[tokio::test]
async fn invalid_password_changes_spend_none_of_the_accounts_quota() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    for _ in 0..6 {
        let body = json!({"currentPassword": PASSWORD, "newPassword": "short"});
        let res = app.post(CHANGE, &body, Some(&session.access)).await;
        assert_error(&res, StatusCode::BAD_REQUEST, "validation_error");
    }

    let valid = change_password(&app, &session, PASSWORD).await;

    assert_eq!(valid.status, StatusCode::OK, "{}", valid.text);
    assert_eq!(number(&valid, "ratelimit-remaining"), 4);
}
