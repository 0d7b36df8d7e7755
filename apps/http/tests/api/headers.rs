//! docs/http-api.md §1 headers on every response, successful or not, from the API, the docs and the
//! router's own errors: the request id, the security headers, `no-store` on account and admin
//! routes and a restrictive CSP on JSON.

use poem::http::{Method, StatusCode};

use crate::support::{PASSWORD, Reply, TestApp};

/// One response of each kind the server produces: ops JSON, HTML docs, the document, the
/// router's 404 and 405, a created account, a failed login and a refused bearer.
async fn assorted_responses(app: &TestApp) -> Vec<(String, Reply)> {
    let mut responses = Vec::new();
    for path in [
        "/health",
        "/ready",
        "/docs",
        "/openapi.json",
        "/api/v1/nope",
        "/api/v1/auth/login",
    ] {
        responses.push((format!("GET {path}"), app.get(path, None).await));
    }
    responses.push((
        "signup".to_owned(),
        app.signup("headers@example.com", PASSWORD).await,
    ));
    responses.push((
        "failed login".to_owned(),
        app.login("headers@example.com", "wrong password!").await,
    ));
    responses.push((
        "me without bearer".to_owned(),
        app.get("/api/v1/auth/me", None).await,
    ));
    responses
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_its_own_request_id() {
    let app = TestApp::new();

    let responses = assorted_responses(&app).await;

    for (what, res) in &responses {
        let id = res.header("x-request-id").unwrap_or_default();
        assert!(!id.is_empty(), "{what}: no X-Request-Id");
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{what}");
        assert_eq!(res.header("referrer-policy"), Some("no-referrer"), "{what}");
    }
    let mut ids: Vec<&str> = responses
        .iter()
        .filter_map(|(_, r)| r.header("x-request-id"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), responses.len(), "request ids are not unique");
}

#[tokio::test]
async fn a_well_formed_request_id_is_echoed() {
    let app = TestApp::new();

    let health = app
        .send(
            app.request(Method::GET, "/health")
                .header("x-request-id", "abc-123"),
        )
        .await;
    let error = app
        .send(
            app.request(Method::GET, "/api/v1/auth/me")
                .header("x-request-id", "abc-123"),
        )
        .await;

    assert_eq!(health.header("x-request-id"), Some("abc-123"));
    assert_eq!(error.status, StatusCode::UNAUTHORIZED, "{}", error.text);
    assert_eq!(error.header("x-request-id"), Some("abc-123"));
}

#[tokio::test]
async fn a_malformed_request_id_is_replaced_by_a_fresh_one() {
    let app = TestApp::new();
    let too_long = "a".repeat(200);

    for incoming in [too_long.as_str(), "has spaces in it"] {
        let res = app
            .send(
                app.request(Method::GET, "/health")
                    .header("x-request-id", incoming),
            )
            .await;

        let id = res.header("x-request-id").unwrap_or_default();
        assert!(!id.is_empty(), "no X-Request-Id for {incoming:?}");
        assert_ne!(id, incoming);
        assert!(
            id.len() <= 128 && !id.contains(' '),
            "replacement {id:?} is not well formed"
        );
    }
}

#[tokio::test]
async fn account_routes_are_never_cached_and_others_are_left_alone() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;

    let account = [
        app.signup("cache@example.com", PASSWORD).await,
        app.login("cache@example.com", "wrong password!").await,
        app.me(&session.access).await,
        app.get("/api/v1/auth/me", None).await,
        app.profile(&session.access).await,
        app.get("/api/v1/user/profile", None).await,
        app.refresh("not-a-token").await,
    ];
    let health = app.get("/health", None).await;

    assert_never_cached(&account);
    assert_eq!(health.header("cache-control"), None);
}

#[tokio::test]
async fn admin_routes_are_never_cached_whatever_their_answer() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;
    let user = app.signed_in_user().await;

    let answers = [
        app.get("/api/v1/admin/users", Some(&admin.access)).await,
        app.get("/api/v1/admin/audit", Some(&admin.access)).await,
        app.get("/api/v1/admin/users", Some(&user.access)).await,
        app.get("/api/v1/admin/users", None).await,
    ];

    assert_never_cached(&answers);
}

fn assert_never_cached(responses: &[Reply]) {
    for res in responses {
        assert_eq!(
            res.header("cache-control"),
            Some("no-store"),
            "{} {}",
            res.status,
            res.text
        );
    }
}

#[tokio::test]
async fn json_responses_carry_a_restrictive_content_security_policy() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;

    let responses = [
        app.get("/health", None).await,
        app.get("/api/v1/nope", None).await,
        app.me(&session.access).await,
        app.get("/api/v1/auth/me", None).await,
        app.signup("not an email", PASSWORD).await,
    ];

    for res in &responses {
        assert!(
            res.header("content-type")
                .is_some_and(|ct| ct.starts_with("application/json")),
            "{} is not JSON",
            res.text
        );
        assert_eq!(
            res.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
            "{} {}",
            res.status,
            res.text
        );
    }
}
