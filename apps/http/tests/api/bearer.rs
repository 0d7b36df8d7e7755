//! docs/http-api.md §1/§2 bearer authentication: only a token signed with the
//! server's key, of a live session and not expired, is accepted. Tokens are crafted from a real
//! session's claims, so that each one differs from a valid token in exactly one way.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::http::{Method, StatusCode};
use postern_core::domain::AccessClaims;
use postern_core::ports::TokenIssuer;
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::support::builder::issuer;
use crate::support::{Session, TestApp, assert_error};

/// The claims of `session`'s access token, with a fresh `jti` and the given lifetime.
async fn claims_like(
    app: &TestApp,
    session: &Session,
    issued: OffsetDateTime,
    expires: OffsetDateTime,
) -> AccessClaims {
    let mut claims = app
        .state
        .accounts
        .authenticate
        .execute(&session.access)
        .await
        .expect("a valid access token");
    claims.issued_at = issued;
    claims.expires_at = expires;
    claims.token_id = Uuid::new_v4();
    claims
}

/// `claims` as an access token signed by `signer`.
fn signed(signer: &dyn TokenIssuer, claims: &AccessClaims) -> String {
    signer
        .issue(claims)
        .expect("a signed token")
        .expose()
        .to_owned()
}

/// The parts of `token` with its header replaced by an unsecured one (`alg: none`) and its
/// signature dropped.
fn unsigned(token: &str) -> String {
    let claims = token.split('.').nth(1).expect("a JWT");
    let header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": "hs256-1"}).to_string());
    format!("{header}.{claims}.")
}

#[tokio::test]
async fn a_missing_garbage_or_non_bearer_authorization_is_unauthorized() {
    let app = TestApp::new();

    let missing = app.get("/api/v1/auth/me", None).await;
    let garbage = app.me("this-is-not-a-jwt").await;
    let basic = app
        .send(
            app.request(Method::GET, "/api/v1/auth/me")
                .header("authorization", "Basic YWRhOnNlY3JldA=="),
        )
        .await;

    for res in [&missing, &garbage, &basic] {
        assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    assert_eq!(basic.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        garbage.header("www-authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
}

#[tokio::test]
async fn every_401_challenges_for_a_bearer_token() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let logout = app.logout(&session.access).await;
    assert_eq!(logout.status, StatusCode::OK, "{}", logout.text);

    let revoked = app.me(&session.access).await;
    let wrong_password = app.login(&session.email, "not the password").await;

    assert_error(&revoked, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        revoked.header("www-authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
    assert_error(
        &wrong_password,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_eq!(wrong_password.header("www-authenticate"), Some("Bearer"));
}

#[tokio::test]
async fn a_token_signed_with_another_key_or_unsigned_is_unauthorized() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let now = OffsetDateTime::now_utc();
    let claims = claims_like(&app, &session, now, now + Duration::minutes(15)).await;
    let forger = issuer("another secret of at least thirty-two bytes");

    let forged = app.me(&signed(&forger, &claims)).await;
    let unsecured = app
        .me(&unsigned(&signed(app.tokens.as_ref(), &claims)))
        .await;

    assert_error(&forged, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_error(&unsecured, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn an_expired_token_is_token_expired() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let now = OffsetDateTime::now_utc();
    let claims = claims_like(
        &app,
        &session,
        now - Duration::minutes(20),
        now - Duration::minutes(5),
    )
    .await;

    let res = app.me(&signed(app.tokens.as_ref(), &claims)).await;

    assert_error(&res, StatusCode::UNAUTHORIZED, "token_expired");
}

/// The control for the tests above: the crafting itself yields tokens the server accepts, so
/// their refusals are for the one thing each changes.
#[tokio::test]
async fn a_crafted_token_signed_with_the_server_key_is_accepted() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let now = OffsetDateTime::now_utc();
    let claims = claims_like(&app, &session, now, now + Duration::minutes(15)).await;

    let res = app.me(&signed(app.tokens.as_ref(), &claims)).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["data"]["id"], json!(session.user_id));
}

#[tokio::test]
async fn a_logged_out_sessions_token_is_unauthorized() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;
    let logout = app.logout(&session.access).await;
    assert_eq!(logout.status, StatusCode::OK, "{}", logout.text);

    let res = app.me(&session.access).await;

    assert_error(&res, StatusCode::UNAUTHORIZED, "unauthorized");
}
