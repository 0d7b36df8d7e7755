//! docs/http-api.md §3 lockout: ten consecutive failed logins from one client lock the email for
//! that client for 15 minutes, the right password included, while the owner elsewhere still signs
//! in; an unknown email is locked alike; a success resets the count; parallel guesses cannot get
//! past it, and parallel right passwords are never taken for failures. The login rate limit is
//! off, so that only the lockout answers.

use futures::future::join_all;
use postern::server::ServeOptions;
use postern_tests::app::{PASSWORD, TestApp, TestResponse, spawn_app_serving, spawn_app_with};
use postern_tests::db::Backend;
use postern_tests::redis::{redis_url, unique_prefix};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::assert_error;

on_both_backends!(
    the_eleventh_login_after_ten_failures_is_locked_even_with_the_right_password,
    a_successful_login_resets_the_failure_count,
    parallel_wrong_guesses_get_exactly_ten_tries,
    parallel_right_passwords_are_never_locked,
    a_guessers_lock_leaves_the_owner_on_another_network_signing_in,
    an_unknown_email_is_locked_after_ten_failures_like_an_account,
    the_threshold_and_duration_are_the_configured_ones,
);

const EMAIL: &str = "ada@example.com";
const WRONG: &str = "not the password";

/// A server without the login rate limit, and an account on it.
async fn app_with_account(backend: Backend) -> TestApp {
    with_account(spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "off")]).await).await
}

/// `app`, with an account on it.
async fn with_account(app: TestApp) -> TestApp {
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

/// Logs in as a client at `ip`, as a trusted proxy on the loopback reports it.
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> TestResponse {
    let request = app
        .request(Method::POST, "/api/v1/auth/login")
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": password}));
    app.execute(request).await
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
    let answers: Vec<&str> = responses.iter().map(|res| res.text.as_str()).collect();
    assert_eq!(
        unauthorized, 10,
        "{unauthorized} guesses were checked: {answers:#?}"
    );
    for res in &responses {
        if res.status == StatusCode::UNAUTHORIZED {
            assert_error(res, StatusCode::UNAUTHORIZED, "invalid_credentials");
        } else {
            assert_locked(res);
        }
    }
    assert_locked(&app.login(EMAIL, PASSWORD).await);
}

/// Logs in with the right password from 64 connections at once, three times over, asserting
/// that every login succeeds: none is taken for a failure (423), none is refused as busy.
async fn assert_parallel_right_passwords_all_succeed(app: &TestApp) {
    for round in 0..3 {
        let responses = join_all((0..64).map(|_| app.login(EMAIL, PASSWORD))).await;

        let locked = responses
            .iter()
            .filter(|res| res.status == StatusCode::LOCKED)
            .count();
        assert_eq!(
            locked, 0,
            "round {round}: {locked} of 64 right passwords locked out"
        );
        for res in &responses {
            assert_eq!(res.status, StatusCode::OK, "round {round}: {}", res.text);
        }
    }
}

/// Cheap hashing for the bursts of right passwords, so that a burst measures the race between
/// logins rather than how fast this machine runs Argon2.
const CHEAP_HASHING: [(&str, &str); 3] = [
    ("ARGON2_MEMORY_KIB", "1024"),
    ("ARGON2_ITERATIONS", "1"),
    ("ARGON2_PARALLELISM", "1"),
];

async fn parallel_right_passwords_are_never_locked(backend: Backend) {
    let mut vars = vec![("RATE_LIMIT_LOGIN", "off")];
    vars.extend(CHEAP_HASHING);
    let app = with_account(spawn_app_with(backend, &vars).await).await;

    assert_parallel_right_passwords_all_succeed(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_right_passwords_are_never_locked_on_postgres_with_redis() {
    let (url, prefix) = (redis_url(), unique_prefix());
    let mut vars = vec![
        ("REDIS_URL", url.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("RATE_LIMIT_LOGIN", "off"),
    ];
    vars.extend(CHEAP_HASHING);
    let app =
        with_account(spawn_app_serving(Backend::Postgres, &vars, ServeOptions::default()).await)
            .await;

    assert_parallel_right_passwords_all_succeed(&app).await;
}

async fn a_guessers_lock_leaves_the_owner_on_another_network_signing_in(backend: Backend) {
    let app = with_account(
        spawn_app_with(
            backend,
            &[
                ("RATE_LIMIT_LOGIN", "off"),
                ("TRUSTED_PROXIES", "127.0.0.1, ::1"),
            ],
        )
        .await,
    )
    .await;
    let guesser = "203.0.113.9";
    for _ in 0..10 {
        let res = login_from(&app, guesser, EMAIL, WRONG).await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }

    let guesser_with_the_password = login_from(&app, guesser, EMAIL, PASSWORD).await;
    let owner = login_from(&app, "198.51.100.7", EMAIL, PASSWORD).await;

    assert_locked(&guesser_with_the_password);
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.text);
}

async fn an_unknown_email_is_locked_after_ten_failures_like_an_account(backend: Backend) {
    let app = app_with_account(backend).await;
    fail_logins(&app, 10).await;
    let account_locked = app.login(EMAIL, PASSWORD).await;
    let nobody = "nobody@example.com";
    for _ in 0..10 {
        let res = app.login(nobody, WRONG).await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }

    let nobody_locked = app.login(nobody, WRONG).await;

    assert_locked(&nobody_locked);
    assert_eq!(nobody_locked.body, account_locked.body);
}

async fn the_threshold_and_duration_are_the_configured_ones(backend: Backend) {
    let app = with_account(
        spawn_app_with(
            backend,
            &[
                ("RATE_LIMIT_LOGIN", "off"),
                ("LOCKOUT_THRESHOLD", "3"),
                ("LOCKOUT_DURATION", "2m"),
            ],
        )
        .await,
    )
    .await;
    fail_logins(&app, 3).await;

    let fourth = app.login(EMAIL, PASSWORD).await;

    assert_locked(&fourth);
    let retry_after: u64 = fourth.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (61..=120).contains(&retry_after),
        "Retry-After {retry_after}"
    );
}
