//! docs/http-api.md §3 refresh: a session lives at most `SESSION_MAX_LIFETIME` from its login,
//! however often it is refreshed; each refresh slides only within that bound.

use std::time::Duration;

use postern_tests::app::spawn_app_with;
use postern_tests::db::Backend;
use reqwest::StatusCode;

use super::support::assert_error;

on_both_backends!(a_session_ends_at_its_maximum_lifetime_however_often_it_is_refreshed);

async fn a_session_ends_at_its_maximum_lifetime_however_often_it_is_refreshed(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("SESSION_MAX_LIFETIME", "3s"),
            ("JWT_REFRESH_EXPIRES_IN", "3s"),
            ("JWT_EXPIRES_IN", "1s"),
        ],
    )
    .await;
    let session = app.signed_in_user().await;
    let mut token = session.refresh.clone();
    // Refreshed every 1.1 s, each token would live 3 s more if expiry only slid.
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let res = app.refresh(&token).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        token = res.body["data"]["refreshToken"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let past_lifetime = app.refresh(&token).await;

    assert_error(&past_lifetime, StatusCode::UNAUTHORIZED, "invalid_token");
}
