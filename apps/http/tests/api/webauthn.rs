//! Security keys and passkeys over HTTP, answered by a software authenticator that really
//! signs: registration as a factor, the WebAuthn second step of a login, passwordless sign-in,
//! and the refusals of replayed, misdirected and malformed answers, each in the envelope.

use poem::http::StatusCode;
use postern_core::ports::{JsonText, RateLimitBucket, RateLimits};
use postern_webauthn::testing::Browser;
use serde_json::{Value, json};

use crate::support::builder::ORIGIN;
use crate::support::{PASSWORD, Reply, Session, TestApp, assert_error, assert_invalid_fields};

/// The `publicKey` options of `reply`, as the browser takes them.
fn public_key(reply: &Reply) -> JsonText {
    JsonText::new(reply.body["data"]["publicKey"].to_string())
}

/// A credential the browser made, as a JSON value for a body.
fn as_value(credential: &JsonText) -> Value {
    serde_json::from_str(credential.as_str()).unwrap()
}

async fn start_registration(app: &TestApp, session: &Session) -> Reply {
    let body = json!({"currentPassword": PASSWORD, "name": "Yubikey"});
    app.post(
        "/api/v1/user/mfa/webauthn/register/start",
        &body,
        Some(&session.access),
    )
    .await
}

async fn finish_registration(app: &TestApp, session: &Session, body: &Value) -> Reply {
    app.post(
        "/api/v1/user/mfa/webauthn/register/finish",
        body,
        Some(&session.access),
    )
    .await
}

/// A signed-in user whose browser's authenticator holds a key registered as a factor, and
/// the finish's answer.
async fn with_key(app: &TestApp) -> (Session, Browser, Reply) {
    let session = app.signed_in_user().await;
    let mut browser = Browser::on(ORIGIN);
    let started = start_registration(app, &session).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let credential = browser.create(&public_key(&started));
    let body = json!({
        "registrationId": started.body["data"]["registrationId"],
        "credential": as_value(&credential),
    });
    let finished = finish_registration(app, &session, &body).await;
    assert_eq!(finished.status, StatusCode::CREATED, "{}", finished.text);
    (session, browser, finished)
}

/// A password login of `session`'s account that waits for a second factor: its `mfaToken`.
async fn mfa_token(app: &TestApp, session: &Session) -> String {
    let login = app.login(&session.email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert_eq!(
        login.body["data"]["mfaRequired"],
        json!(true),
        "{}",
        login.text
    );
    login.body["data"]["mfaToken"].as_str().unwrap().to_owned()
}

async fn start_step(app: &TestApp, token: &str) -> Reply {
    let body = json!({"mfaToken": token});
    app.post("/api/v1/auth/mfa/webauthn/start", &body, None)
        .await
}

async fn verify(app: &TestApp, token: &str, credential: &JsonText) -> Reply {
    let body = json!({"mfaToken": token, "credential": as_value(credential)});
    app.post("/api/v1/auth/mfa/verify", &body, None).await
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

fn access_token(reply: &Reply) -> &str {
    reply.body["data"]["accessToken"].as_str().unwrap()
}

#[tokio::test]
async fn a_key_registered_as_the_first_factor_is_active_at_once_with_recovery_codes() {
    let app = TestApp::new();

    let (session, _, finished) = with_key(&app).await;

    let data = &finished.body["data"];
    assert_eq!(
        data["factor"]["type"],
        json!("webauthn"),
        "{}",
        finished.text
    );
    assert_eq!(data["factor"]["name"], json!("Yubikey"));
    assert_eq!(data["recoveryCodes"].as_array().map(Vec::len), Some(10));
    let listed = app.get("/api/v1/user/mfa", Some(&session.access)).await;
    assert_eq!(
        listed.body["data"][0]["type"],
        json!("webauthn"),
        "{}",
        listed.text
    );
    let login = app.login(&session.email, PASSWORD).await;
    let factors = &login.body["data"]["factors"];
    assert!(
        factors.as_array().unwrap().contains(&json!("webauthn")),
        "{}",
        login.text
    );
}

#[tokio::test]
async fn a_login_completed_by_a_key_says_pwd_the_key_and_mfa_in_amr() {
    let app = TestApp::new();
    let (session, mut browser, _) = with_key(&app).await;
    let token = mfa_token(&app, &session).await;

    let challenge = start_step(&app, &token).await;
    assert_eq!(challenge.status, StatusCode::OK, "{}", challenge.text);
    let assertion = browser.get(&public_key(&challenge));
    let verified = verify(&app, &token, &assertion).await;

    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    let methods = amr(&app, access_token(&verified)).await;
    assert!(
        methods == ["pwd", "hwk", "mfa"] || methods == ["pwd", "swk", "mfa"],
        "{methods:?}"
    );
}

#[tokio::test]
async fn an_assertion_replayed_on_another_login_is_refused_as_a_wrong_code() {
    let app = TestApp::new();
    let (session, mut browser, _) = with_key(&app).await;
    let first = mfa_token(&app, &session).await;
    let challenge = start_step(&app, &first).await;
    let assertion = browser.get(&public_key(&challenge));
    let verified = verify(&app, &first, &assertion).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);

    let second = mfa_token(&app, &session).await;
    let without_challenge = verify(&app, &second, &assertion).await;
    start_step(&app, &second).await;
    let with_challenge = verify(&app, &second, &assertion).await;

    assert_error(
        &without_challenge,
        StatusCode::UNAUTHORIZED,
        "invalid_mfa_code",
    );
    assert_error(
        &with_challenge,
        StatusCode::UNAUTHORIZED,
        "invalid_mfa_code",
    );
}

#[tokio::test]
async fn a_challenge_answers_once_so_the_same_assertion_cannot_pass_twice() {
    let app = TestApp::new();
    let (session, mut browser, _) = with_key(&app).await;
    let token = mfa_token(&app, &session).await;
    let challenge = start_step(&app, &token).await;
    let assertion = browser.get(&public_key(&challenge));
    // Spent by a wrong answer first: a challenge is answered once, right or wrong.
    let refused = verify(&app, &token, &json_text(json!({"id": "x"}))).await;

    let late = verify(&app, &token, &assertion).await;

    assert_error(&refused, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
    assert_error(&late, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
}

fn json_text(value: Value) -> JsonText {
    JsonText::new(value.to_string())
}

#[tokio::test]
async fn ten_wrong_assertions_lock_the_account_like_wrong_codes() {
    let app = TestApp::builder()
        .rate_limits(
            RateLimits::default()
                .with(RateLimitBucket::Login, None)
                .with(RateLimitBucket::MfaVerify, None),
        )
        .build();
    let (session, mut browser, _) = with_key(&app).await;
    let token = mfa_token(&app, &session).await;
    for _ in 0..10 {
        start_step(&app, &token).await;
        let wrong = verify(&app, &token, &json_text(json!({"id": "x"}))).await;
        assert_error(&wrong, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
    }
    let challenge = start_step(&app, &token).await;
    let right = browser.get(&public_key(&challenge));

    let locked = verify(&app, &token, &right).await;

    assert_error(&locked, StatusCode::LOCKED, "account_locked");
}

#[tokio::test]
async fn an_assertion_made_on_another_origin_is_refused() {
    let app = TestApp::new();
    let (session, mut browser, _) = with_key(&app).await;
    let token = mfa_token(&app, &session).await;
    let challenge = start_step(&app, &token).await;

    // Same RP id, so the authenticator signs; another port, so another origin.
    browser.visit("http://localhost:9999");
    let assertion = browser.get(&public_key(&challenge));
    let refused = verify(&app, &token, &assertion).await;

    assert_error(&refused, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
}

#[tokio::test]
async fn a_webauthn_challenge_needs_a_working_login_token() {
    let app = TestApp::new();

    let unknown = start_step(&app, "not-a-login-token").await;

    assert_error(&unknown, StatusCode::UNAUTHORIZED, "invalid_token");
}

async fn start_sign_in(app: &TestApp) -> Reply {
    app.post("/api/v1/auth/passkey/start", &json!({}), None)
        .await
}

async fn finish_sign_in(app: &TestApp, challenge: &Reply, credential: &JsonText) -> Reply {
    let body = json!({
        "challengeId": challenge.body["data"]["challengeId"],
        "credential": as_value(credential),
    });
    app.post("/api/v1/auth/passkey/finish", &body, None).await
}

#[tokio::test]
async fn a_passkey_signs_in_with_no_password_and_no_second_step() {
    let app = TestApp::new();
    let (session, mut browser, _) = with_key(&app).await;

    let challenge = start_sign_in(&app).await;
    assert_eq!(challenge.status, StatusCode::OK, "{}", challenge.text);
    let assertion = browser.get(&public_key(&challenge));
    let signed_in = finish_sign_in(&app, &challenge, &assertion).await;

    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    assert_eq!(
        signed_in.body["data"]["user"]["id"],
        json!(session.user_id),
        "{}",
        signed_in.text
    );
    let methods = amr(&app, access_token(&signed_in)).await;
    assert!(methods == ["hwk"] || methods == ["swk"], "{methods:?}");
}

#[tokio::test]
async fn a_passkey_challenge_answers_once_and_a_bad_answer_is_invalid_credentials() {
    let app = TestApp::new();
    let (_, mut browser, _) = with_key(&app).await;
    let challenge = start_sign_in(&app).await;
    let assertion = browser.get(&public_key(&challenge));
    let first = finish_sign_in(&app, &challenge, &assertion).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);

    let replayed = finish_sign_in(&app, &challenge, &assertion).await;
    let other = start_sign_in(&app).await;
    let garbage = finish_sign_in(&app, &other, &json_text(json!({"id": "x"}))).await;

    assert_error(&replayed, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_error(&garbage, StatusCode::UNAUTHORIZED, "invalid_credentials");
}

#[tokio::test]
async fn malformed_webauthn_requests_are_400_in_the_envelope() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let started = start_registration(&app, &session).await;
    let registration = &started.body["data"]["registrationId"];

    let not_an_object = finish_registration(
        &app,
        &session,
        &json!({"registrationId": registration, "credential": "x"}),
    )
    .await;
    let bad_id = finish_registration(
        &app,
        &session,
        &json!({"registrationId": "nope", "credential": {}}),
    )
    .await;
    let bad_credential = finish_registration(
        &app,
        &session,
        &json!({"registrationId": registration, "credential": {"id": "x"}}),
    )
    .await;
    let both = app
        .post(
            "/api/v1/auth/mfa/verify",
            &json!({"mfaToken": "t", "code": "123456", "credential": {}}),
            None,
        )
        .await;
    let neither = app
        .post("/api/v1/auth/mfa/verify", &json!({"mfaToken": "t"}), None)
        .await;
    let sign_in = app
        .post(
            "/api/v1/auth/passkey/finish",
            &json!({"challengeId": 5, "credential": []}),
            None,
        )
        .await;

    assert_invalid_fields(&not_an_object, &["credential"]);
    assert_invalid_fields(&bad_id, &["registrationId"]);
    assert_error(
        &bad_credential,
        StatusCode::BAD_REQUEST,
        "invalid_webauthn_credential",
    );
    assert_invalid_fields(&both, &["credential"]);
    assert_invalid_fields(&neither, &["code"]);
    assert_invalid_fields(&sign_in, &["challengeId", "credential"]);
}

#[tokio::test]
async fn a_new_registration_tells_the_authenticator_the_keys_of_the_account() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let mut browser = Browser::on(ORIGIN);
    let first = start_registration(&app, &session).await;
    let credential = as_value(&browser.create(&public_key(&first)));
    let body = json!({
        "registrationId": first.body["data"]["registrationId"],
        "credential": credential,
    });
    let finished = finish_registration(&app, &session, &body).await;
    assert_eq!(finished.status, StatusCode::CREATED, "{}", finished.text);

    let second = start_registration(&app, &session).await;

    let excluded: Vec<&Value> = second.body["data"]["publicKey"]["excludeCredentials"]
        .as_array()
        .expect("excludeCredentials")
        .iter()
        .map(|excluded| &excluded["id"])
        .collect();
    assert_eq!(excluded, [&credential["id"]], "{}", second.text);
}

#[tokio::test]
async fn a_registration_is_the_callers_and_finishes_once() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let other = app.signed_in_user().await;
    let mut browser = Browser::on(ORIGIN);
    let started = start_registration(&app, &session).await;
    let credential = browser.create(&public_key(&started));
    let body = json!({
        "registrationId": started.body["data"]["registrationId"],
        "credential": as_value(&credential),
    });

    let by_other = finish_registration(&app, &other, &body).await;
    let after = finish_registration(&app, &session, &body).await;

    assert_error(&by_other, StatusCode::BAD_REQUEST, "invalid_token");
    assert_error(&after, StatusCode::BAD_REQUEST, "invalid_token");
}
