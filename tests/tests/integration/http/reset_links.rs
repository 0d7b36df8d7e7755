//! docs/http-api.md §3 password recovery: a new password, set through one reset link or by a
//! password change, spends every reset link mailed before it, so that no older mail can set the
//! password again.

use postern_tests::app::{PASSWORD, TestApp, TestResponse};
use postern_tests::db::Backend;
use postern_tests::smtp::SmtpSink;
use reqwest::StatusCode;
use serde_json::json;

use super::recovery::{MAIL_WAIT, app_with_mail, token_in};
use super::support::assert_error;

on_both_backends!(
    a_reset_through_one_link_spends_the_older_links,
    a_password_change_spends_every_reset_link,
);

/// Asks for `count` reset links for `email` and returns them, the welcome mail (`mailed` mails
/// so far) left aside.
async fn reset_links(
    app: &TestApp,
    sink: &SmtpSink,
    email: &str,
    mailed: usize,
    count: usize,
) -> Vec<String> {
    for _ in 0..count {
        let asked = app
            .post(
                "/api/v1/auth/password/forgot",
                json!({"email": email}),
                None,
            )
            .await;
        assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.text);
    }
    sink.wait_for(mailed + count, MAIL_WAIT).await[mailed..]
        .iter()
        .map(|mail| token_in(mail, "reset-password"))
        .collect()
}

async fn reset(app: &TestApp, token: &str, password: &str) -> TestResponse {
    app.post(
        "/api/v1/auth/password/reset",
        json!({"token": token, "password": password}),
        None,
    )
    .await
}

async fn a_reset_through_one_link_spends_the_older_links(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in_user().await;
    let links = reset_links(&app, &sink, &user.email, 1, 2).await;
    let owners = "the owner's new passphrase";

    let first = reset(&app, &links[1], owners).await;
    let older = reset(&app, &links[0], "an attacker's passphrase").await;

    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_error(&older, StatusCode::BAD_REQUEST, "invalid_token");
    let login = app.login(&user.email, owners).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
}

async fn a_password_change_spends_every_reset_link(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in_user().await;
    let links = reset_links(&app, &sink, &user.email, 1, 2).await;
    let owners = "the owner's new passphrase";

    let changed = app.change_password(&user.access, PASSWORD, owners).await;

    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    for link in &links {
        let late = reset(&app, link, "an attacker's passphrase").await;
        assert_error(&late, StatusCode::BAD_REQUEST, "invalid_token");
    }
    let login = app.login(&user.email, owners).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
}
