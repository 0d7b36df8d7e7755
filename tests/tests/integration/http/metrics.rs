//! docs/http-api.md §8 `GET /metrics` (issue 5): Prometheus text whose request series are labelled
//! by route template, never by raw path, and which counts login outcomes.
//!
//! The recorder is global to the test process, so tests assert that series exist, not exact
//! counts.

use postern_tests::app::{PASSWORD, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;

on_both_backends!(metrics_report_requests_by_route_template_and_login_outcomes,);

async fn metrics_report_requests_by_route_template_and_login_outcomes(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    assert_eq!(
        app.login(&session.email, "wrong password!").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.profile(&session.access).await.status, StatusCode::OK);
    let unknown_session = "0190a0a0-0000-7000-8000-000000000000";
    app.revoke_session(&session.access, unknown_session).await;
    app.get("/no/such/route/4711", None).await;

    let res = app.get("/metrics", None).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(
        res.header("content-type")
            .is_some_and(|ct| ct.starts_with("text/plain")),
        "{:?}",
        res.header("content-type")
    );
    let text = &res.text;
    for expected in [
        r#"postern_http_requests_total{method="POST",route="/api/v1/auth/signup",status="201"}"#,
        r#"postern_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"}"#,
        r#"postern_http_requests_total{method="POST",route="/api/v1/auth/login",status="401"}"#,
        r#"postern_http_requests_total{method="GET",route="/api/v1/user/profile",status="200"}"#,
        r#"route="/api/v1/user/sessions/:id""#,
        r#"route="unmatched""#,
        r#"postern_http_request_duration_seconds_bucket{method="POST",route="/api/v1/auth/login""#,
        r#"postern_login_attempts_total{outcome="success"}"#,
        r#"postern_login_attempts_total{outcome="invalid_credentials"}"#,
        r#"postern_profile_cache_lookups_total{result="#,
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    assert!(
        !text.contains("4711"),
        "a raw path leaked into a label:\n{text}"
    );
    assert!(
        !text.contains(unknown_session),
        "a raw path leaked into a label:\n{text}"
    );
    assert!(!text.contains(PASSWORD));
}
