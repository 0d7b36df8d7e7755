//! docs/http-api.md §1 routing: unknown paths are 404 `not_found`, a known path with another method
//! is 405 `method_not_allowed` with `Allow`, and ids that name nothing are 404 like unknown ones.

use std::collections::BTreeSet;

use poem::http::{Method, StatusCode};
use postern_core::ports::{RateLimitBucket, RateLimits};

use crate::support::{TestApp, assert_error};

#[tokio::test]
async fn an_unknown_route_is_not_found() {
    let app = TestApp::new();

    let api = app.get("/api/v1/no-such-thing", None).await;
    let root = app.get("/no-such-thing", None).await;

    assert_error(&api, StatusCode::NOT_FOUND, "not_found");
    assert_error(&root, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_wrong_method_is_method_not_allowed_with_the_methods_of_the_path() {
    let app = TestApp::new();

    let get_login = app.get("/api/v1/auth/login", None).await;
    let delete_profile = app
        .call(Method::DELETE, "/api/v1/user/profile", None, None)
        .await;

    assert_error(
        &get_login,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_eq!(get_login.header("allow"), Some("POST"));
    assert_error(
        &delete_profile,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_eq!(delete_profile.header("allow"), Some("GET, HEAD, PATCH"));
}

/// The methods a client may try on any path.
const METHODS: [Method; 8] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
    Method::TRACE,
];

/// Every path of the served document, a parameter filled with a UUID, and its methods as
/// `Allow` should list them (`HEAD` wherever `GET` is).
async fn documented_paths(app: &TestApp) -> Vec<(String, BTreeSet<String>)> {
    let spec = app.get("/openapi.json", None).await;
    let paths = spec.body["paths"]
        .as_object()
        .expect("paths in the document");
    paths
        .iter()
        .map(|(template, operations)| {
            let path = template
                .split('/')
                .map(|s| {
                    if s.starts_with('{') {
                        "0190a0a0-0000-7000-8000-000000000000"
                    } else {
                        s
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let mut methods: BTreeSet<String> = operations
                .as_object()
                .expect("operations")
                .keys()
                .map(|m| m.to_ascii_uppercase())
                .collect();
            if methods.contains("GET") {
                methods.insert("HEAD".to_owned());
            }
            (path, methods)
        })
        .collect()
}

#[tokio::test]
async fn every_documented_path_names_its_methods_in_allow_on_every_other_method() {
    // Some 150 requests from one client: the global limit is not what this test is about.
    let app = TestApp::builder()
        .rate_limits(RateLimits::default().with(RateLimitBucket::Global, None))
        .build();
    let paths = documented_paths(&app).await;
    assert!(paths.len() >= 20, "only {} paths documented", paths.len());
    let mut checked = 0;

    for (path, allowed) in &paths {
        let expected = allowed.iter().cloned().collect::<Vec<_>>().join(", ");
        for method in METHODS.iter().filter(|m| !allowed.contains(m.as_str())) {
            let res = app.send(app.request(method.clone(), path)).await;

            assert_eq!(
                res.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(
                res.header("allow"),
                Some(expected.as_str()),
                "{method} {path}"
            );
            checked += 1;
        }
    }

    assert!(
        checked > 100,
        "only {checked} method and path pairs checked"
    );
}

#[tokio::test]
async fn a_malformed_or_unknown_id_is_not_found() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;
    let unknown = "0190a0a0-0000-7000-8000-000000000000";

    let session = app
        .call(
            Method::DELETE,
            "/api/v1/user/sessions/not-a-uuid",
            None,
            Some(&admin.access),
        )
        .await;
    let cache = app
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/users/{unknown}/cache"),
            None,
            Some(&admin.access),
        )
        .await;
    let user = app
        .update_user(
            &admin.access,
            "not-a-uuid",
            &serde_json::json!({"disabled": true}),
        )
        .await;

    for res in [&session, &cache, &user] {
        assert_error(res, StatusCode::NOT_FOUND, "not_found");
    }
}
