//! docs/http-api.md §8 metrics as requests record them. Each test records into a recorder of its
//! own, set for its thread (the tests' runtime polls every request on it), so that tests running at
//! the same time do not add to its counts.

use metrics_exporter_prometheus::PrometheusBuilder;
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

/// The `postern_login_attempts_total` line of `outcome` in `rendered`.
fn logins<'a>(rendered: &'a str, outcome: &str) -> Option<&'a str> {
    let series = format!("postern_login_attempts_total{{outcome=\"{outcome}\"}} ");
    rendered
        .lines()
        .find_map(|line| line.strip_prefix(series.as_str()))
}

#[tokio::test]
async fn every_login_is_counted_once_under_the_outcome_that_ended_it() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;
    let recorder = PrometheusBuilder::new().build_recorder();
    let rendered = recorder.handle();
    let _recording = metrics::set_default_local_recorder(&recorder);

    let invalid = json!({"email": "not an email", "password": PASSWORD});
    app.post("/api/v1/auth/login", &invalid, None).await;
    app.login(&user.email, "not the password").await;
    for _ in 0..3 {
        app.login(&user.email, PASSWORD).await;
    }
    app.login(&user.email, PASSWORD).await;

    let rendered = rendered.render();
    assert_eq!(
        logins(&rendered, "invalid_request"),
        Some("1"),
        "{rendered}"
    );
    assert_eq!(
        logins(&rendered, "invalid_credentials"),
        Some("1"),
        "{rendered}"
    );
    assert_eq!(logins(&rendered, "success"), Some("3"), "{rendered}");
    assert_eq!(logins(&rendered, "rate_limited"), Some("1"), "{rendered}");
}
