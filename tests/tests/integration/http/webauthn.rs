//! Security keys and passkeys against the real server and storage, answered by a software
//! authenticator that really signs: a key registered, then completing a login's second step
//! and signing in without a password, each challenge answered once, on SQLite and PostgreSQL;
//! and, on PostgreSQL with Redis, ceremonies started on one instance and finished on another.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use postern::server::ServeOptions;
use postern_core::ports::JsonText;
use postern_tests::app::{PASSWORD, Session, TestApp, TestResponse, spawn_app_serving};
use postern_tests::db::Backend;
use postern_tests::redis::{redis_url, unique_prefix};
use postern_webauthn::testing::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::assert_error;

on_both_backends!(
    a_key_completes_a_second_step_once_and_a_passkey_signs_in_once,
    a_key_whose_counter_was_stored_refuses_an_assertion_checked_before_it,
);

/// Where the tests' pages are: every instance is told so, since each listens on a port of
/// its own and the default origin would follow it.
const ORIGIN: &str = "http://localhost:8080";

async fn spawn(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("WEBAUTHN_ORIGIN", ORIGIN),
        ("RATE_LIMIT_LOGIN", "off"),
        ("RATE_LIMIT_MFA_VERIFY", "off"),
    ];
    vars.extend_from_slice(extra);
    spawn_app_serving(backend, &vars, ServeOptions::default()).await
}

fn public_key(res: &TestResponse) -> JsonText {
    JsonText::new(res.body["data"]["publicKey"].to_string())
}

fn as_value(credential: &JsonText) -> Value {
    serde_json::from_str(credential.as_str()).unwrap()
}

/// A signed-in user whose browser holds a key registered as a factor.
async fn with_key(app: &TestApp) -> (Session, Browser) {
    let session = app.signed_in_user().await;
    let mut browser = Browser::on(ORIGIN);
    let body = json!({"currentPassword": PASSWORD});
    let started = app
        .post(
            "/api/v1/user/mfa/webauthn/register/start",
            body,
            Some(&session.access),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let credential = browser.create(&public_key(&started));
    let body = json!({
        "registrationId": started.body["data"]["registrationId"],
        "credential": as_value(&credential),
    });
    let finished = app
        .post(
            "/api/v1/user/mfa/webauthn/register/finish",
            body,
            Some(&session.access),
        )
        .await;
    assert_eq!(finished.status, StatusCode::CREATED, "{}", finished.text);
    (session, browser)
}

/// A password login that waits for a second factor, with `webauthn` among them: its token.
async fn mfa_token(app: &TestApp, email: &str) -> String {
    let login = app.login(email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let factors = login.body["data"]["factors"].as_array().unwrap();
    assert!(factors.contains(&json!("webauthn")), "{}", login.text);
    login.body["data"]["mfaToken"].as_str().unwrap().to_owned()
}

async fn start_step(app: &TestApp, token: &str) -> TestResponse {
    let res = app
        .post(
            "/api/v1/auth/mfa/webauthn/start",
            json!({"mfaToken": token}),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res
}

async fn verify(app: &TestApp, token: &str, credential: &JsonText) -> TestResponse {
    let body = json!({"mfaToken": token, "credential": as_value(credential)});
    app.post("/api/v1/auth/mfa/verify", body, None).await
}

async fn start_sign_in(app: &TestApp) -> TestResponse {
    let res = app
        .post("/api/v1/auth/passkey/start", json!({}), None)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res
}

async fn finish_sign_in(
    app: &TestApp,
    challenge: &TestResponse,
    credential: &JsonText,
) -> TestResponse {
    let body = json!({
        "challengeId": challenge.body["data"]["challengeId"],
        "credential": as_value(credential),
    });
    app.post("/api/v1/auth/passkey/finish", body, None).await
}

/// The `amr` claim of the access token of a login answer.
fn amr(res: &TestResponse) -> Value {
    let access = res.body["data"]["accessToken"].as_str().unwrap();
    let payload = access.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["amr"].clone()
}

fn is_key_then_mfa(amr: &Value) -> bool {
    *amr == json!(["pwd", "hwk", "mfa"]) || *amr == json!(["pwd", "swk", "mfa"])
}

fn is_key_alone(amr: &Value) -> bool {
    *amr == json!(["hwk"]) || *amr == json!(["swk"])
}

async fn a_key_completes_a_second_step_once_and_a_passkey_signs_in_once(backend: Backend) {
    let app = spawn(backend, &[]).await;
    let (session, mut browser) = with_key(&app).await;

    let token = mfa_token(&app, &session.email).await;
    let assertion = browser.get(&public_key(&start_step(&app, &token).await));
    let verified = verify(&app, &token, &assertion).await;
    let another = mfa_token(&app, &session.email).await;
    start_step(&app, &another).await;
    let replayed = verify(&app, &another, &assertion).await;
    let challenge = start_sign_in(&app).await;
    let passkey = browser.get(&public_key(&challenge));
    let signed_in = finish_sign_in(&app, &challenge, &passkey).await;
    let signed_in_again = finish_sign_in(&app, &challenge, &passkey).await;

    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    assert!(is_key_then_mfa(&amr(&verified)), "{}", amr(&verified));
    assert_error(&replayed, StatusCode::UNAUTHORIZED, "invalid_mfa_code");
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    assert_eq!(signed_in.body["data"]["user"]["id"], json!(session.user_id));
    assert!(is_key_alone(&amr(&signed_in)), "{}", amr(&signed_in));
    assert_error(
        &signed_in_again,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
}

/// Two assertions signed one after the other, presented in the opposite order: the stored
/// counter has moved past the earlier one, which is then refused as a cloned key's would be.
async fn a_key_whose_counter_was_stored_refuses_an_assertion_checked_before_it(backend: Backend) {
    let app = spawn(backend, &[]).await;
    let (_, mut browser) = with_key(&app).await;
    let first_challenge = start_sign_in(&app).await;
    let second_challenge = start_sign_in(&app).await;
    let earlier = browser.get(&public_key(&first_challenge));
    let later = browser.get(&public_key(&second_challenge));

    let with_later = finish_sign_in(&app, &second_challenge, &later).await;
    let with_earlier = finish_sign_in(&app, &first_challenge, &earlier).await;

    assert_eq!(with_later.status, StatusCode::OK, "{}", with_later.text);
    assert_error(
        &with_earlier,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ceremonies_started_on_one_instance_finish_on_another_once_on_postgres_with_redis() {
    let (url, prefix) = (redis_url(), unique_prefix());
    let one = spawn(
        Backend::Postgres,
        &[
            ("REDIS_URL", url.as_str()),
            ("REDIS_KEY_PREFIX", prefix.as_str()),
        ],
    )
    .await;
    let two = one.another_instance(ServeOptions::default()).await;
    let (session, mut browser) = with_key(&one).await;

    let token = mfa_token(&one, &session.email).await;
    let assertion = browser.get(&public_key(&start_step(&one, &token).await));
    let second_step_on_two = verify(&two, &token, &assertion).await;
    let challenge = start_sign_in(&two).await;
    let passkey = browser.get(&public_key(&challenge));
    let sign_in_on_one = finish_sign_in(&one, &challenge, &passkey).await;
    let again_on_two = finish_sign_in(&two, &challenge, &passkey).await;

    assert_eq!(
        second_step_on_two.status,
        StatusCode::OK,
        "{}",
        second_step_on_two.text
    );
    assert!(is_key_then_mfa(&amr(&second_step_on_two)));
    assert_eq!(
        sign_in_on_one.status,
        StatusCode::OK,
        "{}",
        sign_in_on_one.text
    );
    assert!(is_key_alone(&amr(&sign_in_on_one)));
    assert_error(
        &again_on_two,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
}
