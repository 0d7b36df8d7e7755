//! docs/http-api.md §3 email verification and password recovery over HTTP, with mail delivered to a
//! real SMTP server the test starts: the links in the mail carry the tokens that the endpoints
//! spend.

use std::time::Duration;

use postern_tests::app::{PASSWORD, TestApp, spawn_app_with};
use postern_tests::db::Backend;
use postern_tests::smtp::{ReceivedMail, SinkOptions, SmtpSink};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::support::assert_error;

on_both_backends!(
    the_welcome_mail_link_verifies_the_address_once,
    an_expired_verification_token_is_invalid,
    resend_mails_a_new_link_until_the_address_is_verified,
    forgot_answers_alike_for_unknown_emails_and_mails_only_real_accounts,
    a_reset_sets_the_password_ends_every_session_and_works_once,
    a_recipient_refused_for_now_holds_back_no_one_elses_mail,
);

pub(super) const APP_URL: &str = "https://accounts.example.test";
pub(super) const MAIL_WAIT: Duration = Duration::from_secs(10);

pub(super) async fn app_with_mail(backend: Backend) -> (TestApp, SmtpSink) {
    app_mailing_through(backend, SinkOptions::default()).await
}

async fn app_mailing_through(backend: Backend, options: SinkOptions) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start_with(options).await;
    let app = spawn_app_with(
        backend,
        &[
            ("SMTP_URL", &sink.url()),
            ("MAIL_FROM", "Postern <no-reply@example.test>"),
            ("APP_URL", APP_URL),
        ],
    )
    .await;
    (app, sink)
}

/// The token of the `page` link in a mail's text part.
pub(super) fn token_in(mail: &ReceivedMail, page: &str) -> String {
    let text = mail.text.as_deref().expect("a text part");
    let start = text
        .find(&format!("{APP_URL}/{page}?token="))
        .unwrap_or_else(|| panic!("no {page} link in {text}"));
    text[start..]
        .split_once("token=")
        .unwrap()
        .1
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

async fn verify(app: &TestApp, token: &str) -> postern_tests::app::TestResponse {
    app.post("/api/v1/auth/email/verify", json!({ "token": token }), None)
        .await
}

async fn the_welcome_mail_link_verifies_the_address_once(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let signup = app.signup("ada@example.com", PASSWORD).await;
    assert_eq!(signup.status, StatusCode::CREATED);
    assert_eq!(signup.body["data"]["emailVerified"], false);

    let mail = sink.wait_for(1, MAIL_WAIT).await.remove(0);
    assert_eq!(mail.envelope_to, ["ada@example.com"]);
    assert!(mail.html.is_some());
    let token = token_in(&mail, "verify-email");

    let verified = verify(&app, &token).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    assert_eq!(verified.body["data"]["emailVerified"], true);
    let again = verify(&app, &token).await;
    assert_error(&again, StatusCode::BAD_REQUEST, "invalid_token");
    let session = app.login_as("ada@example.com").await;
    assert_eq!(
        app.profile(&session.access).await.body["data"]["emailVerified"],
        true
    );
}

async fn an_expired_verification_token_is_invalid(backend: Backend) {
    let (app, _sink) = app_with_mail(backend).await;
    let user = app.signed_in_user().await;
    let token = "an-expired-token-of-forty-three-characters-x";
    let digest = hex(&Sha256::digest(token.as_bytes()));
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "INSERT INTO account_tokens (id, user_id, purpose, token_hash, created_at, expires_at) \
             VALUES ($1, $2, 'verify_email', $3, $4, $5)",
            [
                uuid::Uuid::now_v7().into(),
                uuid::Uuid::parse_str(&user.user_id).unwrap().into(),
                digest.into(),
                (time::OffsetDateTime::now_utc() - time::Duration::days(2)).into(),
                (time::OffsetDateTime::now_utc() - time::Duration::days(1)).into(),
            ],
        ))
        .await
        .unwrap();

    assert_error(
        &verify(&app, token).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );
    assert_error(
        &verify(&app, "never-issued").await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );
    let profile = app.profile(&user.access).await;
    assert_eq!(profile.body["data"]["emailVerified"], false);
}

async fn resend_mails_a_new_link_until_the_address_is_verified(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in_user().await;
    sink.wait_for(1, MAIL_WAIT).await;

    let resend = app
        .post("/api/v1/auth/email/resend", json!({}), Some(&user.access))
        .await;
    assert_eq!(resend.status, StatusCode::ACCEPTED, "{}", resend.text);
    let mails = sink.wait_for(2, MAIL_WAIT).await;
    let token = token_in(&mails[1], "verify-email");
    assert_eq!(verify(&app, &token).await.status, StatusCode::OK);

    let after = app
        .post("/api/v1/auth/email/resend", json!({}), Some(&user.access))
        .await;
    assert_eq!(after.status, StatusCode::ACCEPTED);
    let unauthenticated = app.post("/api/v1/auth/email/resend", json!({}), None).await;
    assert_error(&unauthenticated, StatusCode::UNAUTHORIZED, "unauthorized");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 2, "no link for a verified address");
}

async fn forgot_answers_alike_for_unknown_emails_and_mails_only_real_accounts(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    app.signup("ada@example.com", PASSWORD).await;
    sink.wait_for(1, MAIL_WAIT).await;

    let unknown = app
        .post(
            "/api/v1/auth/password/forgot",
            json!({"email": "nobody@example.com"}),
            None,
        )
        .await;
    let known = app
        .post(
            "/api/v1/auth/password/forgot",
            json!({"email": " ADA@example.com "}),
            None,
        )
        .await;

    assert_eq!(unknown.status, StatusCode::ACCEPTED);
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!(unknown.body, known.body);
    let mails = sink.wait_for(2, MAIL_WAIT).await;
    assert_eq!(mails[1].envelope_to, ["ada@example.com"]);
    token_in(&mails[1], "reset-password");
    let invalid = app
        .post(
            "/api/v1/auth/password/forgot",
            json!({"email": "not-an-email"}),
            None,
        )
        .await;
    assert_error(&invalid, StatusCode::BAD_REQUEST, "validation_error");
}

async fn a_reset_sets_the_password_ends_every_session_and_works_once(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in_user().await;
    app.post(
        "/api/v1/auth/password/forgot",
        json!({"email": user.email}),
        None,
    )
    .await;
    let mails = sink.wait_for(2, MAIL_WAIT).await;
    let token = token_in(&mails[1], "reset-password");
    let new_password = "a brand new passphrase";

    let reset = app
        .post(
            "/api/v1/auth/password/reset",
            json!({"token": token, "password": new_password}),
            None,
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);

    assert_eq!(
        app.profile(&user.access).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_error(
        &app.refresh(&user.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    assert_error(
        &app.login(&user.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_eq!(
        app.login(&user.email, new_password).await.status,
        StatusCode::OK
    );
    let twice = app
        .post(
            "/api/v1/auth/password/reset",
            json!({"token": token, "password": "yet another passphrase"}),
            None,
        )
        .await;
    assert_error(&twice, StatusCode::BAD_REQUEST, "invalid_token");
    let notice = sink.wait_for(3, MAIL_WAIT).await;
    assert!(
        notice[2]
            .subject
            .as_deref()
            .unwrap_or_default()
            .contains("password")
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Embedded delivery: the event of a mail the server refuses for now is that event's failure,
/// retried later, and the events behind it go out meanwhile.
async fn a_recipient_refused_for_now_holds_back_no_one_elses_mail(backend: Backend) {
    let (app, sink) = app_mailing_through(
        backend,
        SinkOptions {
            refuse_recipients_with: Some(450),
            refused_recipient: Some("full-mailbox@example.com".into()),
            ..SinkOptions::default()
        },
    )
    .await;

    let stuck = app.signup("full-mailbox@example.com", PASSWORD).await;
    let free = app.signup("ada@example.com", PASSWORD).await;

    assert_eq!(stuck.status, StatusCode::CREATED, "{}", stuck.text);
    assert_eq!(free.status, StatusCode::CREATED, "{}", free.text);
    let mails = sink.wait_for(1, MAIL_WAIT).await;
    assert_eq!(mails[0].envelope_to, ["ada@example.com"]);
}
