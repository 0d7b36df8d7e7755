//! docs/http-api.md §1 500 and 503: a failing dependency becomes `internal_error` or `unavailable`;
//! the cause of a 500 is shown only by a server that exposes internal errors (development).

use std::sync::Arc;

use poem::http::StatusCode;

use crate::support::fakes::{BrokenRateLimiter, CAUSE};
use crate::support::{PASSWORD, TestApp, assert_error};

#[tokio::test]
async fn a_broken_dependency_is_internal_error_without_its_cause() {
    let app = TestApp::builder()
        .rate_limiter(Arc::new(BrokenRateLimiter::unexpected()))
        .build();

    let res = app.signup("ada@example.com", PASSWORD).await;

    assert_error(&res, StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    assert!(res.body.get("error").is_none(), "{}", res.text);
    assert!(!res.text.contains(CAUSE), "{}", res.text);
}

#[tokio::test]
async fn a_server_that_exposes_internal_errors_shows_the_cause_of_a_500() {
    let app = TestApp::builder()
        .rate_limiter(Arc::new(BrokenRateLimiter::unexpected()))
        .expose_internal_errors(true)
        .build();

    let res = app.signup("ada@example.com", PASSWORD).await;

    assert_error(&res, StatusCode::INTERNAL_SERVER_ERROR, "internal_error");
    let error = res.body["error"].as_str().unwrap_or_default();
    assert!(error.contains(CAUSE), "{}", res.text);
}

#[tokio::test]
async fn an_unreachable_dependency_is_unavailable_without_its_cause_even_when_exposing() {
    let app = TestApp::builder()
        .rate_limiter(Arc::new(BrokenRateLimiter::unavailable()))
        .expose_internal_errors(true)
        .build();

    let res = app.signup("ada@example.com", PASSWORD).await;

    assert_error(&res, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(!res.text.contains(CAUSE), "{}", res.text);
}
