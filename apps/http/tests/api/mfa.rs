//! Multi-factor authentication over HTTP: enrolment and its confirmation, the login's second
//! step, recovery codes, removal and the admin reset, with their envelopes and error codes.

use poem::http::{Method, StatusCode};
use postern_core::ports::{RateLimitBucket, RateLimits};
use serde_json::{Value, json};
use totp_rs::{Builder, Secret};

use crate::support::{PASSWORD, Reply, Session, TestApp, assert_error};

/// The TOTP code of `secret` (base32) `steps` steps from now.
fn code(secret: &str, steps: i64) -> String {
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() + steps * 30;
    totp.generate(u64::try_from(now).unwrap()).to_string()
}

async fn enrol(app: &TestApp, session: &Session) -> Reply {
    let body = json!({"currentPassword": PASSWORD, "name": "Phone"});
    app.post("/api/v1/user/mfa/totp", &body, Some(&session.access))
        .await
}

async fn confirm(app: &TestApp, session: &Session, factor: &str, code: &str) -> Reply {
    let body = json!({"factorId": factor, "code": code});
    app.post(
        "/api/v1/user/mfa/totp/confirm",
        &body,
        Some(&session.access),
    )
    .await
}

async fn verify(app: &TestApp, token: &str, code: &str) -> Reply {
    let body = json!({"mfaToken": token, "code": code});
    app.post("/api/v1/auth/mfa/verify", &body, None).await
}

/// A signed-in user with a confirmed TOTP factor: the session, the secret and the recovery
/// codes.
async fn with_totp(app: &TestApp) -> (Session, String, Vec<String>) {
    let session = app.signed_in_user().await;
    let enrolled = enrol(app, &session).await;
    assert_eq!(enrolled.status, StatusCode::CREATED, "{}", enrolled.text);
    let data = &enrolled.body["data"];
    let secret = data["secret"].as_str().unwrap().to_owned();
    let factor = data["factorId"].as_str().unwrap();
    // The previous step's code: the step of the login code below is then a later one.
    let confirmed = confirm(app, &session, factor, &code(&secret, -1)).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.text);
    let codes = confirmed.body["data"]["recoveryCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (session, secret, codes)
}

/// Logs in with the password and returns the `mfaToken` the answer asks for.
async fn mfa_token(app: &TestApp, session: &Session) -> String {
    let login = app.login(&session.email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let data = &login.body["data"];
    assert_eq!(data["mfaRequired"], true, "{}", login.text);
    assert!(data.get("accessToken").is_none(), "{}", login.text);
    data["mfaToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_enrolled_account_needs_a_code_at_login_and_a_code_works_once() {
    let app = TestApp::new();
    let (session, secret, codes) = with_totp(&app).await;
    assert_eq!(codes.len(), 10);

    let login = app.login(&session.email, PASSWORD).await;
    let data = &login.body["data"];
    assert_eq!(data["factors"], json!(["totp", "recovery_code"]));
    assert_eq!(data["expiresIn"], 300);
    let token = data["mfaToken"].as_str().unwrap();
    let now = code(&secret, 0);
    let verified = verify(&app, token, &now).await;
    let again = verify(&app, &mfa_token(&app, &session).await, &now).await;

    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    assert!(verified.body["data"]["accessToken"].is_string());
    assert_eq!(
        verified.body["data"]["user"]["email"],
        session.email.as_str()
    );
    assert_error(&again, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
}

/// The `amr` of `access`, as the server reads its own token.
async fn amr(app: &TestApp, access: &str) -> Vec<&'static str> {
    let claims = app
        .state
        .accounts
        .authenticate
        .execute(access)
        .await
        .unwrap();
    claims.amr.iter().map(|method| method.as_str()).collect()
}

#[tokio::test]
async fn a_session_started_with_a_code_says_so_in_amr_and_keeps_it_when_refreshed() {
    let app = TestApp::new();
    let (session, secret, _) = with_totp(&app).await;

    let verified = verify(&app, &mfa_token(&app, &session).await, &code(&secret, 0)).await;
    let data = &verified.body["data"];
    let refreshed = app.refresh(data["refreshToken"].as_str().unwrap()).await;

    assert_eq!(amr(&app, &session.access).await, ["pwd"]);
    assert_eq!(
        amr(&app, data["accessToken"].as_str().unwrap()).await,
        ["pwd", "otp", "mfa"]
    );
    let rotated = refreshed.body["data"]["accessToken"].as_str().unwrap();
    assert_eq!(amr(&app, rotated).await, ["pwd", "otp", "mfa"]);
}

#[tokio::test]
async fn a_completed_login_token_cannot_start_a_second_session() {
    let app = TestApp::new();
    let (session, secret, _) = with_totp(&app).await;
    let token = mfa_token(&app, &session).await;
    let first = verify(&app, &token, &code(&secret, 0)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);

    let reused = verify(&app, &token, &code(&secret, 1)).await;

    assert_error(&reused, StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn the_secret_shows_only_in_the_enrolment_answer() {
    let app = TestApp::new();
    let (session, secret, _) = with_totp(&app).await;

    let listed = app.get("/api/v1/user/mfa", Some(&session.access)).await;

    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let factors = listed.body["data"].as_array().unwrap();
    assert_eq!(factors.len(), 1);
    assert_eq!(factors[0]["type"], "totp");
    assert_eq!(factors[0]["name"], "Phone");
    assert_eq!(listed.body["meta"]["limit"], 1);
    assert!(!listed.text.contains(&secret), "{}", listed.text);
}

#[tokio::test]
async fn enrolment_with_a_wrong_password_is_refused_and_stores_nothing() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let body = json!({"currentPassword": "not the password"});

    let refused = app
        .post("/api/v1/user/mfa/totp", &body, Some(&session.access))
        .await;
    let listed = app.get("/api/v1/user/mfa", Some(&session.access)).await;

    assert_error(&refused, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(listed.body["data"], json!([]));
}

#[tokio::test]
async fn a_wrong_confirmation_code_is_400_and_leaves_logins_unchanged() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let enrolled = enrol(&app, &session).await;
    let factor = enrolled.body["data"]["factorId"].as_str().unwrap();
    let secret = enrolled.body["data"]["secret"].as_str().unwrap();
    let wrong = if code(secret, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };

    let refused = confirm(&app, &session, factor, wrong).await;
    let login = app.login(&session.email, PASSWORD).await;

    assert_error(&refused, StatusCode::BAD_REQUEST, "invalid_mfa_code");
    assert!(
        login.body["data"]["accessToken"].is_string(),
        "{}",
        login.text
    );
}

#[tokio::test]
async fn malformed_second_steps_are_validation_errors_naming_each_field() {
    let app = TestApp::new();

    let missing = app.post("/api/v1/auth/mfa/verify", &json!({}), None).await;
    let bad_code = verify(&app, "some-token", "12ab").await;
    let unknown_token = verify(&app, "some-token", "123456").await;

    assert_error(&missing, StatusCode::BAD_REQUEST, "validation_error");
    let fields: Vec<&str> = missing.body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["mfaToken", "code"]);
    assert_error(&bad_code, StatusCode::BAD_REQUEST, "validation_error");
    assert_error(&unknown_token, StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn ten_wrong_codes_lock_the_account_like_wrong_passwords() {
    let app = TestApp::builder()
        .rate_limits(
            RateLimits::default()
                .with(RateLimitBucket::Login, None)
                .with(RateLimitBucket::MfaVerify, None),
        )
        .build();
    let (session, secret, _) = with_totp(&app).await;
    let token = mfa_token(&app, &session).await;
    let right = code(&secret, 0);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..10 {
        let res = verify(&app, &token, wrong).await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
    }

    let locked = verify(&app, &token, &right).await;
    let password = app.login(&session.email, PASSWORD).await;

    assert_error(&locked, StatusCode::LOCKED, "account_locked");
    assert!(locked.header("retry-after").is_some());
    assert_error(&password, StatusCode::LOCKED, "account_locked");
}

#[tokio::test]
async fn a_recovery_code_completes_a_login_once() {
    let app = TestApp::new();
    let (session, _, codes) = with_totp(&app).await;

    let first = verify(&app, &mfa_token(&app, &session).await, &codes[0]).await;
    let again = verify(&app, &mfa_token(&app, &session).await, &codes[0]).await;
    let lower_case = verify(
        &app,
        &mfa_token(&app, &session).await,
        &codes[1].to_lowercase(),
    )
    .await;

    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_error(&again, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
    assert_eq!(lower_case.status, StatusCode::OK, "{}", lower_case.text);
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_set() {
    let app = TestApp::new();
    let (session, _, old) = with_totp(&app).await;
    let body = json!({"currentPassword": PASSWORD});

    let renewed = app
        .post(
            "/api/v1/user/mfa/recovery-codes",
            &body,
            Some(&session.access),
        )
        .await;
    let new: Vec<String> = renewed.body["data"]["recoveryCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let with_old = verify(&app, &mfa_token(&app, &session).await, &old[0]).await;
    let with_new = verify(&app, &mfa_token(&app, &session).await, &new[0]).await;

    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text);
    assert_eq!(new.len(), 10);
    assert_error(&with_old, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
    assert_eq!(with_new.status, StatusCode::OK, "{}", with_new.text);
}

#[tokio::test]
async fn recovery_codes_without_a_factor_are_409_mfa_not_enabled() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let body = json!({"currentPassword": PASSWORD});

    let refused = app
        .post(
            "/api/v1/user/mfa/recovery-codes",
            &body,
            Some(&session.access),
        )
        .await;

    assert_error(&refused, StatusCode::CONFLICT, "mfa_not_enabled");
}

async fn delete(app: &TestApp, path: &str, body: Option<&Value>, bearer: &str) -> Reply {
    app.call(Method::DELETE, path, body, Some(bearer)).await
}

#[tokio::test]
async fn removing_the_factor_removes_the_second_step() {
    let app = TestApp::new();
    let (session, _, _) = with_totp(&app).await;
    let listed = app.get("/api/v1/user/mfa", Some(&session.access)).await;
    let id = listed.body["data"][0]["id"].as_str().unwrap().to_owned();
    let body = json!({"currentPassword": PASSWORD});

    let removed = delete(
        &app,
        &format!("/api/v1/user/mfa/{id}"),
        Some(&body),
        &session.access,
    )
    .await;
    let again = delete(
        &app,
        &format!("/api/v1/user/mfa/{id}"),
        Some(&body),
        &session.access,
    )
    .await;
    let malformed = delete(
        &app,
        "/api/v1/user/mfa/not-a-uuid",
        Some(&body),
        &session.access,
    )
    .await;
    let login = app.login(&session.email, PASSWORD).await;

    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert_error(&again, StatusCode::NOT_FOUND, "not_found");
    assert_error(&malformed, StatusCode::NOT_FOUND, "not_found");
    assert!(
        login.body["data"]["accessToken"].is_string(),
        "{}",
        login.text
    );
}

#[tokio::test]
async fn only_an_admin_resets_a_users_factors() {
    let app = TestApp::new();
    let (user, _, _) = with_totp(&app).await;
    let admin = app.signed_in_admin().await;
    let path = format!("/api/v1/admin/users/{}/mfa", user.user_id);

    let by_user = delete(&app, &path, None, &user.access).await;
    let by_admin = delete(&app, &path, None, &admin.access).await;
    let unknown = delete(
        &app,
        "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/mfa",
        None,
        &admin.access,
    )
    .await;
    let login = app.login(&user.email, PASSWORD).await;

    assert_error(&by_user, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(by_admin.status, StatusCode::OK, "{}", by_admin.text);
    assert_error(&unknown, StatusCode::NOT_FOUND, "not_found");
    assert!(
        login.body["data"]["accessToken"].is_string(),
        "{}",
        login.text
    );
}
