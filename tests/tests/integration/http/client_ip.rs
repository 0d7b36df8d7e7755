//! docs/http-api.md §1 client address: the socket peer, or `X-Forwarded-For` only from a trusted
//! proxy. Seen through the per-IP signup limit (2 per minute here), which is keyed by that address.

use postern_tests::app::{PASSWORD, TestApp, TestResponse, spawn_app_with};
use postern_tests::db::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    forwarded_for_is_ignored_without_trusted_proxies,
    a_trusted_proxy_s_last_forwarded_line_decides_the_client,
);

async fn signup_with_forwarded_lines(app: &TestApp, lines: &[&str]) -> TestResponse {
    let email = format!("ip-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut request = app
        .request(Method::POST, "/api/v1/auth/signup")
        .json(&json!({"email": email, "password": PASSWORD}));
    for line in lines {
        request = request.header("x-forwarded-for", *line);
    }
    app.execute(request).await
}

async fn forwarded_for_is_ignored_without_trusted_proxies(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_SIGNUP", "2/1m")]).await;

    let mut statuses = Vec::new();
    for spoofed in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        statuses.push(signup_with_forwarded_lines(&app, &[spoofed]).await.status);
    }

    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

async fn a_trusted_proxy_s_last_forwarded_line_decides_the_client(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("RATE_LIMIT_SIGNUP", "2/1m"),
            ("TRUSTED_PROXIES", "127.0.0.1, ::1"),
        ],
    )
    .await;

    let mut statuses = Vec::new();
    for spoofed in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        // The client wrote the first line; the trusted proxy appended the second.
        let res = signup_with_forwarded_lines(&app, &[spoofed, "198.51.100.7"]).await;
        statuses.push(res.status);
    }
    let other_client = signup_with_forwarded_lines(&app, &["198.51.100.8"]).await;

    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    assert_eq!(
        other_client.status,
        StatusCode::CREATED,
        "{}",
        other_client.text
    );
}
