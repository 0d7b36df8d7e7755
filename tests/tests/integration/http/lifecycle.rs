//! docs/http-api.md §4 account lifecycle against real servers: email change end to end through a
//! real SMTP server, the export, and deletion by the user and by an admin, with the database
//! inspected afterwards for anything still holding the old address or hash. On both backends in
//! the embedded default, and on PostgreSQL with two instances sharing Redis, where every session
//! must end on both instances at once.

use std::time::{Duration, Instant};

use postern::server::ServeOptions;
use postern_core::domain::Role;
use postern_tests::app::{PASSWORD, Session, TestApp, TestResponse, spawn_app_serving};
use postern_tests::db::Backend;
use postern_tests::redis::{redis_url, unique_prefix};
use postern_tests::smtp::{ReceivedMail, SmtpSink};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use super::recovery::{APP_URL, MAIL_WAIT, app_with_mail, token_in};
use super::support::assert_error;

on_both_backends!(
    an_email_change_goes_through_the_link_mailed_to_the_new_address,
    an_address_taken_before_the_link_is_opened_is_409_at_confirmation,
    the_export_holds_the_user_sessions_and_events_and_no_secret,
    self_deletion_erases_the_account_and_frees_its_address,
    admin_deletion_erases_the_account_and_frees_its_address,
);

/// How long event delivery may take before a test gives up.
const DEADLINE: Duration = Duration::from_secs(20);

async fn change_email(app: &TestApp, access: &str, new_email: &str) -> TestResponse {
    let body = json!({"newEmail": new_email, "currentPassword": PASSWORD});
    app.post("/api/v1/user/email", body, Some(access)).await
}

async fn confirm(app: &TestApp, token: &str) -> TestResponse {
    let body = json!({ "token": token });
    app.post("/api/v1/auth/email/change/confirm", body, None)
        .await
}

async fn delete_own(app: &TestApp, access: &str) -> TestResponse {
    let request = app
        .request(Method::DELETE, "/api/v1/user/account")
        .bearer_auth(access)
        .json(&json!({ "currentPassword": PASSWORD }));
    app.execute(request).await
}

async fn delete_user(app: &TestApp, access: &str, id: &str) -> TestResponse {
    let request = app
        .request(Method::DELETE, &format!("/api/v1/admin/users/{id}"))
        .bearer_auth(access);
    app.execute(request).await
}

/// The mail among `mails` sent to `to` whose subject mentions `about`.
fn mail_to<'a>(mails: &'a [ReceivedMail], to: &str, about: &str) -> &'a ReceivedMail {
    mails
        .iter()
        .filter(|mail| mail.envelope_to == [to])
        .find(|mail| mail.subject.as_deref().is_some_and(|s| s.contains(about)))
        .unwrap_or_else(|| panic!("no mail to {to} about {about}"))
}

async fn an_email_change_goes_through_the_link_mailed_to_the_new_address(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in_user().await;
    let taken = app.signed_in_user().await;
    sink.wait_for(2, MAIL_WAIT).await;

    let refused = change_email(&app, &user.access, &taken.email).await;
    assert_error(&refused, StatusCode::CONFLICT, "email_taken");
    let asked = change_email(&app, &user.access, "moved@example.com").await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.text);

    let mails = sink.wait_for(4, MAIL_WAIT).await;
    let link = mail_to(&mails, "moved@example.com", "new email address");
    let notice = mail_to(&mails, &user.email, "change of your Postern email address");
    assert!(
        notice
            .text
            .as_deref()
            .is_some_and(|t| !t.contains(&format!("{APP_URL}/"))),
        "the notice carries no link"
    );
    let token = token_in(link, "confirm-email");
    let confirmed = confirm(&app, &token).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(confirmed.body["data"]["email"], "moved@example.com");
    assert_eq!(confirmed.body["data"]["emailVerified"], true);
    assert_error(
        &confirm(&app, &token).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
    );

    assert_error(
        &app.login(&user.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    let moved = app.login_as("moved@example.com").await;
    let profile = app.profile(&moved.access).await;
    assert_eq!(profile.body["data"]["email"], "moved@example.com");
    assert_eq!(profile.body["data"]["emailVerified"], true);
    let earlier = app.profile(&user.access).await;
    assert_eq!(earlier.body["data"]["email"], "moved@example.com", "cache");
}

async fn an_address_taken_before_the_link_is_opened_is_409_at_confirmation(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in_user().await;
    sink.wait_for(1, MAIL_WAIT).await;
    let asked = change_email(&app, &user.access, "wanted@example.com").await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.text);
    let mails = sink.wait_for(3, MAIL_WAIT).await;
    let token = token_in(
        mail_to(&mails, "wanted@example.com", "new email address"),
        "confirm-email",
    );

    let signup = app.signup("wanted@example.com", PASSWORD).await;
    assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.text);

    assert_error(
        &confirm(&app, &token).await,
        StatusCode::CONFLICT,
        "email_taken",
    );
    let profile = app.profile(&user.access).await;
    assert_eq!(profile.body["data"]["email"], user.email.as_str());
}

async fn the_export_holds_the_user_sessions_and_events_and_no_secret(backend: Backend) {
    let (app, _sink) = app_with_mail(backend).await;
    let user = app.signed_in_user().await;
    let hash = stored_hash(&app, &user.user_id).await;

    let export = wait_for_export_events(&app, &user.access, 2).await;

    let data = &export.body["data"];
    assert_eq!(data["user"]["id"], user.user_id.as_str());
    assert_eq!(data["user"]["email"], user.email.as_str());
    assert_eq!(data["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(data["identities"], json!([]));
    assert_eq!(data["factors"], json!([]));
    let types: Vec<&str> = data["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(types.contains(&"user.signed_up"), "{types:?}");
    assert!(types.contains(&"user.logged_in"), "{types:?}");
    for secret in [
        hash.as_str(),
        "$argon2",
        &user.refresh,
        "tokenHash",
        "token_hash",
    ] {
        assert!(!export.text.contains(secret), "{secret} in {}", export.text);
    }
}

/// The export once the audit log holds at least `events` events about the caller.
async fn wait_for_export_events(app: &TestApp, access: &str, events: usize) -> TestResponse {
    let started = Instant::now();
    loop {
        let export = app.get("/api/v1/user/export", Some(access)).await;
        assert_eq!(export.status, StatusCode::OK, "{}", export.text);
        let held = export.body["data"]["events"].as_array().map_or(0, Vec::len);
        if held >= events || started.elapsed() > DEADLINE {
            return export;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn self_deletion_erases_the_account_and_frees_its_address(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let user = app.signed_in_user().await;
    let other_session = app.login_as(&user.email).await;
    sink.wait_for(1, MAIL_WAIT).await;
    let hash = stored_hash(&app, &user.user_id).await;

    let deleted = delete_own(&app, &user.access).await;

    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_deleted(&app, &sink, &user, &[&user, &other_session], &hash).await;
}

async fn admin_deletion_erases_the_account_and_frees_its_address(backend: Backend) {
    let (app, sink) = app_with_mail(backend).await;
    let admin = app.signed_in_as(Role::Admin).await;
    let user = app.signed_in_user().await;
    sink.wait_for(2, MAIL_WAIT).await;
    let hash = stored_hash(&app, &user.user_id).await;

    let deleted = delete_user(&app, &admin.access, &user.user_id).await;

    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_deleted(&app, &sink, &user, &[&user], &hash).await;
    let again = delete_user(&app, &admin.access, &user.user_id).await;
    assert_error(&again, StatusCode::NOT_FOUND, "not_found");
}

/// What a deletion must leave: every session refused, the notice mailed, the audit log keeping
/// the account's events and `user.deleted` without the address, no row holding the address or
/// `hash`, and the address free for a new signup.
async fn assert_deleted(
    app: &TestApp,
    sink: &SmtpSink,
    user: &Session,
    sessions: &[&Session],
    hash: &str,
) {
    for session in sessions {
        assert_error(
            &app.me(&session.access).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        );
        assert_eq!(
            app.refresh(&session.refresh).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let notice = wait_for_mail_to(sink, &user.email).await;
    assert!(
        notice
            .subject
            .as_deref()
            .is_some_and(|s| s.contains("deleted")),
        "{:?}",
        notice.subject
    );
    let audited = wait_for_audit(app, &user.user_id, "user.deleted").await;
    assert!(
        audited.contains(&"user.signed_up".to_owned()),
        "{audited:?}"
    );
    assert!(
        audited.contains(&"user.deletion_notice".to_owned()),
        "{audited:?}"
    );
    assert_no_row_holds(app, &user.email, hash).await;
    assert_error(
        &app.login(&user.email, PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    let again = app.signup(&user.email, PASSWORD).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
}

async fn wait_for_mail_to(sink: &SmtpSink, to: &str) -> ReceivedMail {
    let started = Instant::now();
    loop {
        let mails = sink.received();
        let found = mails
            .into_iter()
            .filter(|mail| mail.envelope_to == [to])
            .find(|mail| {
                mail.subject
                    .as_deref()
                    .is_some_and(|s| s.contains("deleted"))
            });
        if let Some(mail) = found {
            return mail;
        }
        assert!(started.elapsed() < DEADLINE, "no deletion notice to {to}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The stored password hash of `user`.
async fn stored_hash(app: &TestApp, user: &str) -> String {
    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT password_hash FROM users WHERE id = $1",
            [uuid::Uuid::parse_str(user).unwrap().into()],
        ))
        .await
        .unwrap()
        .expect("the account's row");
    let hash: String = row.try_get("", "password_hash").unwrap();
    assert!(hash.starts_with("$argon2"), "{hash}");
    hash
}

/// The audit log's event types about `user`, once it holds one of type `last`.
async fn wait_for_audit(app: &TestApp, user: &str, last: &str) -> Vec<String> {
    let started = Instant::now();
    loop {
        let rows = app
            .db
            .query_all_raw(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                "SELECT event_type FROM audit_log WHERE user_id = $1",
                [uuid::Uuid::parse_str(user).unwrap().into()],
            ))
            .await
            .unwrap();
        let types: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<String>("", "event_type").unwrap())
            .collect();
        if types.iter().any(|t| t == last) {
            return types;
        }
        assert!(started.elapsed() < DEADLINE, "no {last} in {types:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every text column that could hold an address or a hash, in every table: none holds `email`
/// or `hash`, once the outbox has published everything (a deletion notice keeps its address
/// until then).
async fn assert_no_row_holds(app: &TestApp, email: &str, hash: &str) {
    let columns = [
        ("users", "email"),
        ("users", "name"),
        ("users", "password_hash"),
        ("outbox", "CAST(payload AS TEXT)"),
        ("audit_log", "CAST(payload AS TEXT)"),
        ("account_tokens", "new_email"),
        ("login_counts", "email"),
    ];
    let started = Instant::now();
    loop {
        let mut holding = Vec::new();
        for (table, column) in columns {
            for needle in [email, hash] {
                let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} LIKE $1");
                let row = app
                    .db
                    .query_one_raw(Statement::from_sql_and_values(
                        app.db.get_database_backend(),
                        &sql,
                        [format!("%{needle}%").into()],
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                if row.try_get::<i64>("", "n").unwrap() > 0 {
                    holding.push(format!("{table}.{column}"));
                }
            }
        }
        if holding.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "rows still holding the address or hash: {holding:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Two instances on PostgreSQL sharing Redis, with stream workers in the first, and mail to a
/// real SMTP server.
async fn two_instances() -> (TestApp, TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let prefix = unique_prefix();
    let url = redis_url();
    let smtp = sink.url();
    let vars = [
        ("REDIS_URL", url.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("SMTP_URL", smtp.as_str()),
        ("MAIL_FROM", "Postern <no-reply@example.test>"),
        ("APP_URL", APP_URL),
        // Each round signs an address up twice: the signup limit is not under test.
        ("RATE_LIMIT_SIGNUP", "off"),
    ];
    let a = spawn_app_serving(
        Backend::Postgres,
        &vars,
        ServeOptions { with_workers: true },
    )
    .await;
    let b = a.another_instance(ServeOptions::default()).await;
    (a, b, sink)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_two_instances_an_email_change_goes_through_the_mailed_link() {
    let (a, b, sink) = two_instances().await;
    let user = a.signed_in_user().await;
    sink.wait_for(1, MAIL_WAIT).await;

    let asked = change_email(&b, &user.access, "moved@example.com").await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.text);
    let mails = sink.wait_for(3, MAIL_WAIT).await;
    let token = token_in(
        mail_to(&mails, "moved@example.com", "new email address"),
        "confirm-email",
    );
    let confirmed = confirm(&a, &token).await;

    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    assert_eq!(confirmed.body["data"]["emailVerified"], true);
    let seen_by_b = b.profile(&user.access).await;
    assert_eq!(seen_by_b.body["data"]["email"], "moved@example.com");
    assert_eq!(
        a.login(&user.email, PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    b.login_as("moved@example.com").await;
    assert_error(
        &change_email(&a, &user.access, &a.signed_in_user().await.email).await,
        StatusCode::CONFLICT,
        "email_taken",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_two_instances_deletion_ends_every_session_on_both_at_once() {
    let (a, b, sink) = two_instances().await;
    let admin = a.signed_in_as(Role::Admin).await;
    for by_admin in [false, true] {
        let user = a.signed_in_user().await;
        let on_b = b.login_as(&user.email).await;
        for (app, session) in [(&a, &user), (&b, &on_b), (&a, &on_b), (&b, &user)] {
            assert_eq!(app.me(&session.access).await.status, StatusCode::OK);
        }
        let hash = stored_hash(&a, &user.user_id).await;

        let deleted = if by_admin {
            delete_user(&b, &admin.access, &user.user_id).await
        } else {
            delete_own(&b, &on_b.access).await
        };

        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
        for app in [&a, &b] {
            for session in [&user, &on_b] {
                assert_error(
                    &app.me(&session.access).await,
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                );
            }
        }
        let export = a.get("/api/v1/user/export", Some(&user.access)).await;
        assert_eq!(export.status, StatusCode::UNAUTHORIZED);
        wait_for_mail_to(&sink, &user.email).await;
        wait_for_audit(&a, &user.user_id, "user.deleted").await;
        assert_no_row_holds(&a, &user.email, &hash).await;
        let again = b.signup(&user.email, PASSWORD).await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    }
}
