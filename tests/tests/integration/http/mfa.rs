//! Multi-factor authentication against the real server and storage: a TOTP login on SQLite and
//! PostgreSQL, its codes accepted once, ten wrong codes locking the account, recovery codes,
//! removal, the admin reset, a secret stored sealed; and, on PostgreSQL with Redis, a login
//! begun on one instance and completed on another.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use postern::server::ServeOptions;
use postern_core::domain::Role;
use postern_tests::app::{
    PASSWORD, Session, TestApp, TestResponse, spawn_app_serving, spawn_app_with,
};
use postern_tests::db::Backend;
use postern_tests::redis::{redis_url, unique_prefix};
use postern_tests::totp::code;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use totp_rs::Secret;

use super::support::assert_error;

on_both_backends!(
    a_totp_login_gives_tokens_with_otp_in_amr_and_each_code_works_once,
    ten_wrong_codes_lock_the_account,
    recovery_codes_work_once_and_new_ones_replace_them,
    removing_the_factor_and_an_admin_reset_remove_the_second_step,
    the_stored_secret_is_sealed,
    no_event_or_audit_entry_holds_a_secret_or_a_code,
);

/// A wrong code for `secret` now.
fn wrong(secret: &str) -> &'static str {
    if code(secret, 0) == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// A signed-in user with a confirmed TOTP factor: the session, its secret and recovery codes.
async fn with_totp(app: &TestApp) -> (Session, String, Vec<String>) {
    let session = app.signed_in_user().await;
    let body = json!({"currentPassword": PASSWORD});
    let enrolled = app
        .post("/api/v1/user/mfa/totp", body, Some(&session.access))
        .await;
    assert_eq!(enrolled.status, StatusCode::CREATED, "{}", enrolled.text);
    let secret = enrolled.body["data"]["secret"].as_str().unwrap().to_owned();
    let factor = enrolled.body["data"]["factorId"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"factorId": factor, "code": code(&secret, -1)});
    let confirmed = app
        .post("/api/v1/user/mfa/totp/confirm", body, Some(&session.access))
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let codes = confirmed.body["data"]["recoveryCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (session, secret, codes)
}

/// Logs in with the password: the login must ask for a code; its `mfaToken`.
async fn mfa_token(app: &TestApp, email: &str) -> String {
    let login = app.login(email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert_eq!(login.body["data"]["mfaRequired"], true, "{}", login.text);
    login.body["data"]["mfaToken"].as_str().unwrap().to_owned()
}

async fn verify(app: &TestApp, token: &str, code: &str) -> TestResponse {
    let body = json!({"mfaToken": token, "code": code});
    app.post("/api/v1/auth/mfa/verify", body, None).await
}

/// The `amr` claim of an access token, read from its payload.
fn amr(access: &str) -> Value {
    let payload = access.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["amr"].clone()
}

async fn a_totp_login_gives_tokens_with_otp_in_amr_and_each_code_works_once(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "off")]).await;
    let (session, secret, _) = with_totp(&app).await;
    let now = code(&secret, 0);

    let verified = verify(&app, &mfa_token(&app, &session.email).await, &now).await;
    let replayed = verify(&app, &mfa_token(&app, &session.email).await, &now).await;

    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    let access = verified.body["data"]["accessToken"].as_str().unwrap();
    assert_eq!(amr(access), json!(["pwd", "otp", "mfa"]));
    assert_eq!(amr(&session.access), json!(["pwd"]));
    assert_error(&replayed, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
}

async fn ten_wrong_codes_lock_the_account(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("RATE_LIMIT_LOGIN", "off"),
            ("RATE_LIMIT_MFA_VERIFY", "off"),
        ],
    )
    .await;
    let (session, secret, _) = with_totp(&app).await;
    let token = mfa_token(&app, &session.email).await;
    for _ in 0..10 {
        let res = verify(&app, &token, wrong(&secret)).await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
    }

    let right = verify(&app, &token, &code(&secret, 0)).await;
    let password = app.login(&session.email, PASSWORD).await;

    assert_error(&right, StatusCode::LOCKED, "account_locked");
    assert_error(&password, StatusCode::LOCKED, "account_locked");
}

async fn recovery_codes_work_once_and_new_ones_replace_them(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "off")]).await;
    let (session, _, old) = with_totp(&app).await;

    let first = verify(&app, &mfa_token(&app, &session.email).await, &old[0]).await;
    let again = verify(&app, &mfa_token(&app, &session.email).await, &old[0]).await;
    let body = json!({"currentPassword": PASSWORD});
    let renewed = app
        .post(
            "/api/v1/user/mfa/recovery-codes",
            body,
            Some(&session.access),
        )
        .await;
    let new = renewed.body["data"]["recoveryCodes"][0].as_str().unwrap();
    let with_old = verify(&app, &mfa_token(&app, &session.email).await, &old[1]).await;
    let with_new = verify(&app, &mfa_token(&app, &session.email).await, new).await;

    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_error(&again, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text);
    assert_error(&with_old, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
    assert_eq!(with_new.status, StatusCode::OK, "{}", with_new.text);
}

async fn removing_the_factor_and_an_admin_reset_remove_the_second_step(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "off")]).await;
    let (session, _, _) = with_totp(&app).await;
    let listed = app.get("/api/v1/user/mfa", Some(&session.access)).await;
    let id = listed.body["data"][0]["id"].as_str().unwrap().to_owned();
    let request = app
        .request(Method::DELETE, &format!("/api/v1/user/mfa/{id}"))
        .bearer_auth(&session.access)
        .json(&json!({"currentPassword": PASSWORD}));

    let removed = app.execute(request).await;
    let login = app.login(&session.email, PASSWORD).await;

    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert!(
        login.body["data"]["accessToken"].is_string(),
        "{}",
        login.text
    );

    let (other, _, _) = with_totp(&app).await;
    let admin = app.signed_in_as(Role::Admin).await;
    let request = app
        .request(
            Method::DELETE,
            &format!("/api/v1/admin/users/{}/mfa", other.user_id),
        )
        .bearer_auth(&admin.access);
    let reset = app.execute(request).await;
    let login = app.login(&other.email, PASSWORD).await;

    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    assert!(
        login.body["data"]["accessToken"].is_string(),
        "{}",
        login.text
    );
}

async fn the_stored_secret_is_sealed(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let (_, secret, _) = with_totp(&app).await;
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT credential FROM mfa_factors",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: Vec<u8> = row.try_get("", "credential").unwrap();
    let plain = Secret::try_from_base32(&secret)
        .unwrap()
        .as_bytes()
        .to_vec();

    assert!(!stored.windows(plain.len()).any(|w| w == plain.as_slice()));
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_bytes()));
    assert!(
        stored.len() > plain.len(),
        "not sealed: {} bytes",
        stored.len()
    );
}

/// How long the relay may take to bring the outbox's events into the audit log.
const AUDIT_DEADLINE: Duration = Duration::from_secs(10);

/// The text of every outbox payload and every audit entry about `user`, once the audit log
/// holds an entry of type `last`.
async fn events_once_audited(app: &TestApp, user: &str, last: &str) -> Vec<String> {
    let user = uuid::Uuid::parse_str(user).unwrap();
    let started = Instant::now();
    loop {
        let rows = app
            .db
            .query_all_raw(Statement::from_sql_and_values(
                app.db.get_database_backend(),
                "SELECT event_type, CAST(payload AS TEXT) AS text FROM audit_log WHERE user_id = $1
                 UNION ALL SELECT event_type, CAST(payload AS TEXT) AS text FROM outbox",
                [user.into()],
            ))
            .await
            .unwrap();
        let audited_last = rows
            .iter()
            .any(|row| row.try_get::<String>("", "event_type").unwrap() == last);
        if audited_last {
            return rows
                .iter()
                .map(|row| row.try_get::<String>("", "text").unwrap())
                .collect();
        }
        assert!(started.elapsed() < AUDIT_DEADLINE, "no {last} audited");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn no_event_or_audit_entry_holds_a_secret_or_a_code(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "off")]).await;
    let (session, secret, codes) = with_totp(&app).await;
    let now = code(&secret, 0);
    let by_code = verify(&app, &mfa_token(&app, &session.email).await, &now).await;
    assert_eq!(by_code.status, StatusCode::OK, "{}", by_code.text);
    let by_recovery = verify(&app, &mfa_token(&app, &session.email).await, &codes[0]).await;
    assert_eq!(by_recovery.status, StatusCode::OK, "{}", by_recovery.text);

    let texts = events_once_audited(&app, &session.user_id, "user.recovery_code_used").await;

    assert!(
        texts.len() >= 4,
        "enabled, two logins and a recovery code at least: {texts:?}"
    );
    let undashed: Vec<String> = codes.iter().map(|c| c.replace('-', "")).collect();
    // Not the six digits of a code: a timestamp's microseconds could hold them by chance.
    let forbidden = std::iter::once(secret.as_str())
        .chain(codes.iter().map(String::as_str))
        .chain(undashed.iter().map(String::as_str));
    for needle in forbidden {
        assert!(
            texts.iter().all(|text| !text.contains(needle)),
            "{needle} in {texts:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_begun_on_one_instance_completes_on_another_once_on_postgres_with_redis() {
    let (url, prefix) = (redis_url(), unique_prefix());
    let vars = [
        ("REDIS_URL", url.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("RATE_LIMIT_LOGIN", "off"),
    ];
    let one = spawn_app_serving(Backend::Postgres, &vars, ServeOptions::default()).await;
    let two = one.another_instance(ServeOptions::default()).await;
    let (session, secret, _) = with_totp(&one).await;
    let now = code(&secret, 0);

    let token = mfa_token(&one, &session.email).await;
    let on_two = verify(&two, &token, &now).await;
    let replayed_on_one = verify(&one, &mfa_token(&two, &session.email).await, &now).await;
    let token_again_on_one = verify(&one, &token, &code(&secret, 1)).await;

    assert_eq!(on_two.status, StatusCode::OK, "{}", on_two.text);
    assert_error(
        &replayed_on_one,
        StatusCode::UNAUTHORIZED,
        "invalid_mfa_code",
    );
    assert_error(
        &token_again_on_one,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
}
