//! docs/http-api.md §9 token introspection: only configured clients may ask; an active token
//! is answered with its claims and the account's current role, anything else with exactly
//! `{"active": false}`, in RFC 7662 JSON rather than the envelope.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use poem::http::{Method, StatusCode};
use postern_core::domain::{AccessChange, Actor, Role, UserId};
use postern_core::ports::{Quota, RateLimitBucket, RateLimits, TokenIssuer};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::support::{Reply, TestApp, assert_error};

const PATH: &str = "/api/v1/auth/introspect";
const CLIENT: &str = "orders";
const SECRET: &str = "an introspection secret of 32 bytes or more";

/// An application with one introspection client.
fn app() -> TestApp {
    TestApp::builder()
        .introspection_client(CLIENT, SECRET)
        .build()
}

/// `POST /auth/introspect` for `token`, with Basic credentials `id:secret` when given.
async fn introspect(app: &TestApp, token: &str, credentials: Option<(&str, &str)>) -> Reply {
    // Tokens are base64url with dots, which a form carries as they are.
    let form = format!("token={token}");
    let mut request = app
        .request(Method::POST, PATH)
        .content_type("application/x-www-form-urlencoded")
        .body(form);
    if let Some((id, secret)) = credentials {
        let basic = STANDARD.encode(format!("{id}:{secret}"));
        request = request.header("authorization", format!("Basic {basic}"));
    }
    app.send(request).await
}

async fn as_client(app: &TestApp, token: &str) -> Reply {
    introspect(app, token, Some((CLIENT, SECRET))).await
}

fn assert_inactive(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body, json!({"active": false}), "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn a_request_without_or_with_wrong_client_credentials_is_401_with_a_basic_challenge() {
    let app = app();
    let session = app.signed_in_user().await;

    let missing = introspect(&app, &session.access, None).await;
    let wrong = introspect(&app, &session.access, Some((CLIENT, "not the secret"))).await;
    let unknown = introspect(&app, &session.access, Some(("billing", SECRET))).await;
    let bearer = app
        .send(
            app.request(Method::POST, PATH)
                .content_type("application/x-www-form-urlencoded")
                .header("authorization", format!("Bearer {}", session.access))
                .body(format!("token={}", session.access)),
        )
        .await;

    for reply in [&missing, &wrong, &unknown, &bearer] {
        assert_error(reply, StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Basic realm=\"postern\""),
            "{reply:?}"
        );
    }
}

#[tokio::test]
async fn without_configured_clients_the_route_is_not_found() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;

    let reply = introspect(&app, &session.access, Some((CLIENT, SECRET))).await;

    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_valid_access_token_is_active_with_its_claims_not_in_an_envelope() {
    let app = app();
    let session = app.signed_in_user().await;
    let claims = app
        .state
        .accounts
        .authenticate
        .execute(&session.access)
        .await
        .unwrap();

    let reply = as_client(&app, &session.access).await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(
        reply.body,
        json!({
            "active": true,
            "sub": session.user_id,
            "sid": claims.session_id.to_string(),
            "role": "user",
            "amr": ["pwd"],
            "exp": claims.expires_at.unix_timestamp(),
            "iat": claims.issued_at.unix_timestamp(),
            "iss": "postern",
            "aud": "postern",
            "token_type": "access_token",
        })
    );
}

#[tokio::test]
async fn the_role_is_the_accounts_role_now_not_the_one_in_the_token() {
    let app = app();
    let session = app.signed_in_user().await;
    // A role change revokes the account's sessions, so the token of another role is crafted:
    // signed by the server for this live session, claiming admin.
    let mut claims = app
        .state
        .accounts
        .authenticate
        .execute(&session.access)
        .await
        .unwrap();
    claims.role = Role::Admin;
    let claiming_admin = app.tokens.issue(&claims).unwrap().expose().to_owned();

    let reply = as_client(&app, &claiming_admin).await;

    assert_eq!(reply.body["active"], Value::Bool(true), "{}", reply.text);
    assert_eq!(reply.body["role"], "user");
}

#[tokio::test]
async fn a_logged_out_sessions_token_is_inactive_at_once() {
    let app = app();
    let session = app.signed_in_user().await;
    assert_eq!(as_client(&app, &session.access).await.body["active"], true);

    app.logout(&session.access).await;

    assert_inactive(&as_client(&app, &session.access).await);
}

#[tokio::test]
async fn a_disabled_accounts_token_is_inactive() {
    let app = app();
    let session = app.signed_in_user().await;
    let id = UserId::parse(&session.user_id).unwrap();
    let disable = AccessChange {
        role: None,
        disabled: Some(true),
    };
    app.state
        .accounts
        .change_access
        .execute(Actor::Operator, id, disable)
        .await
        .unwrap();

    assert_inactive(&as_client(&app, &session.access).await);
}

#[tokio::test]
async fn an_expired_garbage_empty_or_refresh_token_is_exactly_inactive() {
    let app = app();
    let session = app.signed_in_user().await;
    let mut claims = app
        .state
        .accounts
        .authenticate
        .execute(&session.access)
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    claims.issued_at = now - Duration::minutes(20);
    claims.expires_at = now - Duration::minutes(5);
    let expired = app.tokens.issue(&claims).unwrap().expose().to_owned();

    for token in [expired.as_str(), "garbage", "", session.refresh.as_str()] {
        assert_inactive(&as_client(&app, token).await);
    }
}

#[tokio::test]
async fn a_body_without_a_token_is_a_validation_error() {
    let app = app();
    let basic = STANDARD.encode(format!("{CLIENT}:{SECRET}"));

    let reply = app
        .send(
            app.request(Method::POST, PATH)
                .content_type("application/x-www-form-urlencoded")
                .header("authorization", format!("Basic {basic}"))
                .body("token_type_hint=access_token"),
        )
        .await;

    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_error");
}

#[tokio::test]
async fn a_body_that_is_not_a_form_is_415_in_the_envelope() {
    let app = app();
    let basic = STANDARD.encode(format!("{CLIENT}:{SECRET}"));
    let request = || {
        app.request(Method::POST, PATH)
            .header("authorization", format!("Basic {basic}"))
    };

    let without_type = app.send(request()).await;
    let json = app
        .send(
            request()
                .content_type("application/json")
                .body(r#"{"token":"x"}"#),
        )
        .await;

    for reply in [&without_type, &json] {
        assert_error(
            reply,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        );
    }
}

#[tokio::test]
async fn each_client_has_its_own_quota_and_none_is_counted_in_the_global_bucket() {
    let one_a_minute = Quota {
        limit: 1,
        period: std::time::Duration::from_secs(60),
    };
    let limits = RateLimits::default()
        .with(RateLimitBucket::Introspect, Some(one_a_minute))
        .with(RateLimitBucket::Global, Some(one_a_minute));
    let app = TestApp::builder()
        .rate_limits(limits)
        .introspection_client(CLIENT, SECRET)
        .introspection_client("billing", SECRET)
        .build();

    let first = as_client(&app, "garbage").await;
    let second = as_client(&app, "garbage").await;
    let other_client = introspect(&app, "garbage", Some(("billing", SECRET))).await;

    assert_inactive(&first);
    assert_eq!(first.header("ratelimit-limit"), Some("1"));
    assert_error(&second, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_inactive(&other_client);
}
