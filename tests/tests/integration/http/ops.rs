//! docs/http-api.md §8 operations: liveness, readiness, the interactive docs, and the OpenAPI
//! document, which must be the committed `openapi/openapi.json`. That last test is what keeps the
//! committed document honest: regenerate it with `make openapi` when the API changes.

use postern_tests::app::spawn_app;
use postern_tests::db::Backend;
use reqwest::StatusCode;
use serde_json::json;

/// The committed document, as clients and reviewers see it.
const COMMITTED_OPENAPI: &str = include_str!("../../../../openapi/openapi.json");

on_both_backends!(
    health_reports_ok_with_service_and_version,
    ready_reports_ready_when_the_database_answers,
    docs_serve_an_html_page,
    openapi_json_is_the_committed_document,
);

async fn health_reports_ok_with_service_and_version(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app.get("/health", None).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        res.body,
        json!({"status": "ok", "service": "postern", "version": env!("CARGO_PKG_VERSION")})
    );
}

async fn ready_reports_ready_when_the_database_answers(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app.get("/ready", None).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["status"], json!("ready"), "{}", res.text);
    assert_eq!(res.body["failed"], json!([]), "{}", res.text);
}

async fn docs_serve_an_html_page(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app.get("/docs", None).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(
        res.header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html")),
        "content type {:?}",
        res.header("content-type")
    );
    assert!(
        res.text.to_lowercase().contains("<html"),
        "not a page: {}",
        res.text
    );
}

async fn openapi_json_is_the_committed_document(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app.get("/openapi.json", None).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(
        res.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "content type {:?}",
        res.header("content-type")
    );
    assert!(
        res.text.trim_end_matches('\n') == COMMITTED_OPENAPI.trim_end_matches('\n'),
        "GET /openapi.json differs from the committed openapi/openapi.json; run `make openapi` \
         and commit the result"
    );
}
