//! docs/http-api.md §3 lockout: ten consecutive failed logins lock the account for 15 minutes, the
//! right password included; a success resets the count; parallel guesses cannot get past it. The
//! login rate limit is off, so that only the lockout answers.

use futures::future::join_all;
use postern_tests::app::{PASSWORD, TestApp, TestResponse, spawn_app_with};
use postern_tests::db::Backend;
use reqwest::StatusCode;

use super::support::assert_error;

on_both_backends!(
    the_eleventh_login_after_ten_failures_is_locked_even_with_the_right_password,
    a_successful_login_resets_the_failure_count,
    parallel_wrong_guesses_get_exactly_ten_tries,
);

const EMAIL: &str = "ada@example.com";
const WRONG: &str = "not the password";

/// A server without the login rate limit, and an account on it.
async fn app_with_account(backend: Backend) -> TestApp {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "off")]).await;
    let signup = app.signup(EMAIL, PASSWORD).await;
    assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.text);
    app
}

/// Logs in `n` times with a wrong password, asserting a 401 each time.
async fn fail_logins(app: &TestApp, n: usize) {
    for _ in 0..n {
        let res = app.login(EMAIL, WRONG).await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
}

fn assert_locked(res: &TestResponse) {
    assert_error(res, StatusCode::LOCKED, "account_locked");
    let retry_after: u64 = res
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "Retry-After {retry_after}"
    );
}

async fn the_eleventh_login_after_ten_failures_is_locked_even_with_the_right_password(
    backend: Backend,
) {
    let app = app_with_account(backend).await;
    fail_logins(&app, 10).await;

    let eleventh = app.login(EMAIL, PASSWORD).await;

    assert_locked(&eleventh);
    let retry_after: u64 = eleventh.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after > 15 * 60 - 60, "Retry-After {retry_after}");
}

async fn a_successful_login_resets_the_failure_count(backend: Backend) {
    let app = app_with_account(backend).await;
    fail_logins(&app, 9).await;
    app.login_as(EMAIL).await;

    fail_logins(&app, 9).await;
    let tenth = app.login(EMAIL, WRONG).await;

    assert_error(&tenth, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_locked(&app.login(EMAIL, PASSWORD).await);
}

async fn parallel_wrong_guesses_get_exactly_ten_tries(backend: Backend) {
    let app = app_with_account(backend).await;

    let responses = join_all((0..20).map(|_| app.login(EMAIL, WRONG))).await;

    let unauthorized = responses
        .iter()
        .filter(|res| res.status == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(unauthorized, 10, "{unauthorized} guesses were checked");
    for res in &responses {
        if res.status == StatusCode::UNAUTHORIZED {
            assert_error(res, StatusCode::UNAUTHORIZED, "invalid_credentials");
        } else {
            assert_locked(res);
        }
    }
    assert_locked(&app.login(EMAIL, PASSWORD).await);
}
