//! §1/§2 bearer authentication on `GET /api/v1/auth/me`: only a token signed with the
//! configured algorithm and secret, not expired, is accepted. Tokens are crafted from a real
//! login's claims, so each one differs from a valid token in exactly one way.

use postern_tests::app::{TEST_JWT_SECRET, spawn_app};
use postern_tests::db::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::support::{assert_error, claims_like, signed, unsigned};

const ME: &str = "/api/v1/auth/me";

on_both_backends!(
    me_without_authorization_is_unauthorized,
    me_with_a_garbage_token_is_unauthorized,
    me_with_a_token_signed_with_another_secret_is_unauthorized,
    me_with_an_unsigned_alg_none_token_is_unauthorized,
    me_with_an_expired_token_is_token_expired,
    me_with_a_crafted_token_signed_with_the_server_secret_is_accepted,
);

async fn me_without_authorization_is_unauthorized(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app.get(ME, None).await;

    assert_error(&res, StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn me_with_a_garbage_token_is_unauthorized(backend: Backend) {
    let app = spawn_app(backend).await;

    let garbage = app.me("this-is-not-a-jwt").await;
    let not_bearer = app
        .execute(
            app.request(Method::GET, ME)
                .header("authorization", "Basic YWRhOnNlY3JldA=="),
        )
        .await;

    assert_error(&garbage, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_error(&not_bearer, StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn me_with_a_token_signed_with_another_secret_is_unauthorized(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let now = OffsetDateTime::now_utc();
    let claims = claims_like(&session.access, now, now + Duration::minutes(15));
    let forged = signed(&claims, "another-secret-another-secret-0123456789");

    let res = app.me(&forged).await;

    assert_error(&res, StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn me_with_an_unsigned_alg_none_token_is_unauthorized(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let now = OffsetDateTime::now_utc();
    let token = unsigned(&claims_like(
        &session.access,
        now,
        now + Duration::minutes(15),
    ));

    let res = app.me(&token).await;

    assert_error(&res, StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn me_with_an_expired_token_is_token_expired(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let now = OffsetDateTime::now_utc();
    let claims = claims_like(
        &session.access,
        now - Duration::minutes(20),
        now - Duration::minutes(5),
    );
    let expired = signed(&claims, TEST_JWT_SECRET);

    let res = app.me(&expired).await;

    assert_error(&res, StatusCode::UNAUTHORIZED, "token_expired");
}

/// The control for the tests above: the crafting itself yields tokens the server accepts, so
/// their rejections are for the one thing each changes.
async fn me_with_a_crafted_token_signed_with_the_server_secret_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_in_user().await;
    let now = OffsetDateTime::now_utc();
    let token = signed(
        &claims_like(&session.access, now, now + Duration::minutes(15)),
        TEST_JWT_SECRET,
    );

    let res = app.me(&token).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["data"]["id"], json!(session.user_id));
}
