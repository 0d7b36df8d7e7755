//! CORS (`CORS_ALLOWED_ORIGINS`, issue 4): none by default; with an allow-list, preflights
//! from a listed origin are answered and its responses readable, while a request from any
//! other origin is served as usual, just without CORS headers (never a bare 403).

use std::collections::HashMap;

use postern::config::Config;
use postern_tests::app::{TestApp, TestResponse, spawn_app, spawn_app_with};
use postern_tests::db::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    without_configured_origins_no_response_carries_cors_headers,
    an_allowed_origin_preflight_is_answered_with_the_cors_headers,
    an_allowed_origin_may_read_responses_and_their_rate_limit_headers,
    a_disallowed_origin_is_served_without_cors_headers,
);

const ALLOWED: &str = "https://app.example.com";
const OTHER: &str = "https://evil.example.com";

async fn spawn_with_origins(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        &[(
            "CORS_ALLOWED_ORIGINS",
            "https://admin.example.com, https://App.Example.com",
        )],
    )
    .await
}

async fn preflight(app: &TestApp, origin: &str) -> TestResponse {
    app.execute(
        app.request(Method::OPTIONS, "/api/v1/auth/login")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, authorization",
            ),
    )
    .await
}

async fn login_from(app: &TestApp, origin: &str) -> TestResponse {
    app.execute(
        app.request(Method::POST, "/api/v1/auth/login")
            .header("origin", origin)
            .json(&json!({"email": "nobody@example.com", "password": "wrong password"})),
    )
    .await
}

fn assert_no_cors_headers(res: &TestResponse) {
    let cors: Vec<_> = res
        .headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "unexpected CORS headers {cors:?}");
}

async fn without_configured_origins_no_response_carries_cors_headers(backend: Backend) {
    let app = spawn_app(backend).await;

    let simple = login_from(&app, ALLOWED).await;
    let pre = preflight(&app, ALLOWED).await;

    assert_eq!(simple.status, StatusCode::UNAUTHORIZED);
    assert_no_cors_headers(&simple);
    assert_no_cors_headers(&pre);
    assert_ne!(pre.status, StatusCode::NO_CONTENT, "preflight not answered");
    assert_eq!(pre.body["success"], json!(false), "{}", pre.text);
}

async fn an_allowed_origin_preflight_is_answered_with_the_cors_headers(backend: Backend) {
    let app = spawn_with_origins(backend).await;

    let res = preflight(&app, ALLOWED).await;

    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_eq!(res.header("access-control-allow-origin"), Some(ALLOWED));
    let methods = res.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let headers = res
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    assert!(res.header("access-control-max-age").is_some());
    assert_eq!(res.header("vary"), Some("Origin"));
    assert!(res.header("access-control-allow-credentials").is_none());
    assert!(
        res.header("x-request-id").is_some(),
        "still a docs/http-api.md §1 response"
    );
}

async fn an_allowed_origin_may_read_responses_and_their_rate_limit_headers(backend: Backend) {
    let app = spawn_with_origins(backend).await;

    let res = login_from(&app, ALLOWED).await;

    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.code(), "invalid_credentials");
    assert_eq!(res.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(res.header("vary"), Some("Origin"));
    let exposed = res.header("access-control-expose-headers").unwrap();
    for name in [
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "Retry-After",
    ] {
        assert!(exposed.contains(name), "{name} not in {exposed}");
    }
    assert!(res.header("ratelimit-remaining").is_some());
    assert!(res.header("access-control-allow-credentials").is_none());
}

async fn a_disallowed_origin_is_served_without_cors_headers(backend: Backend) {
    let app = spawn_with_origins(backend).await;

    let health = app
        .execute(app.request(Method::GET, "/health").header("origin", OTHER))
        .await;
    let login = login_from(&app, OTHER).await;
    let pre = preflight(&app, OTHER).await;

    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], json!("ok"));
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login.code(), "invalid_credentials");
    assert_ne!(pre.status, StatusCode::FORBIDDEN);
    assert_eq!(pre.body["success"], json!(false), "{}", pre.text);
    for res in [&health, &login, &pre] {
        assert_no_cors_headers(res);
        assert_eq!(res.header("vary"), Some("Origin"));
    }
}

#[test]
fn an_invalid_cors_origin_names_the_variable() {
    let vars = HashMap::from([(
        "CORS_ALLOWED_ORIGINS".to_owned(),
        "https://app.example.com/app".to_owned(),
    )]);

    let err = Config::from_vars(vars).unwrap_err();

    assert_eq!(err.variable, "CORS_ALLOWED_ORIGINS");
    assert!(
        err.to_string().starts_with("CORS_ALLOWED_ORIGINS: "),
        "{err}"
    );
}
