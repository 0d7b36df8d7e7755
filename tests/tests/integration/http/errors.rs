//! §1 error envelope for everything the server refuses, including what the framework refuses
//! before a handler runs: unreadable JSON, wrong types, missing fields, oversized bodies
//! (declared or chunked), invalid fields, unknown routes and wrong methods.

use std::io;
use std::time::Duration;

use futures::{StreamExt, stream};
use postern_tests::app::{PASSWORD, spawn_app};
use postern_tests::db::Backend;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::sync::oneshot;

use super::support::{assert_error, assert_invalid_field, assert_malformed};

const SIGNUP: &str = "/api/v1/auth/signup";
/// A body well over the 64 KiB limit.
const ONE_MIB: usize = 1024 * 1024;
/// How much of an oversized body is sent before the rest is held back: twice the limit.
const HELD_BACK_AFTER: usize = 128 * 1024;

on_both_backends!(
    malformed_json_is_a_validation_error_without_details,
    wrong_json_types_are_validation_errors,
    missing_fields_are_validation_errors,
    a_body_over_64_kib_with_content_length_is_payload_too_large,
    a_chunked_body_over_64_kib_is_payload_too_large,
    an_invalid_email_is_a_validation_error_on_email,
    a_seven_character_password_is_a_validation_error_on_password,
    a_whitespace_only_password_is_a_validation_error_on_password,
    an_unknown_route_is_not_found,
    a_wrong_method_is_method_not_allowed,
    a_bodiless_request_with_a_non_json_content_type_is_a_validation_error,
);

async fn malformed_json_is_a_validation_error_without_details(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app
        .send_raw(
            Method::POST,
            SIGNUP,
            "application/json",
            r#"{"email": "ada@example.com", "password":"#,
        )
        .await;

    assert_malformed(&res);
}

async fn wrong_json_types_are_validation_errors(backend: Backend) {
    let app = spawn_app(backend).await;

    let numeric_password = app
        .post(
            SIGNUP,
            json!({"email": "ada@example.com", "password": 12_345_678}),
            None,
        )
        .await;
    let array_body = app
        .post(SIGNUP, json!(["ada@example.com", PASSWORD]), None)
        .await;

    assert_error(
        &numeric_password,
        StatusCode::BAD_REQUEST,
        "validation_error",
    );
    assert_error(&array_body, StatusCode::BAD_REQUEST, "validation_error");
}

async fn missing_fields_are_validation_errors(backend: Backend) {
    let app = spawn_app(backend).await;

    let no_password = app
        .post(SIGNUP, json!({"email": "ada@example.com"}), None)
        .await;
    let empty_object = app.post("/api/v1/auth/login", json!({}), None).await;

    assert_error(&no_password, StatusCode::BAD_REQUEST, "validation_error");
    assert_error(&empty_object, StatusCode::BAD_REQUEST, "validation_error");
}

/// A syntactically valid signup body of about `size` bytes.
fn oversized_signup(size: usize) -> Vec<u8> {
    let mut body = br#"{"email": "ada@example.com", "password": "x", "name": ""#.to_vec();
    body.resize(size, b'a');
    body.extend_from_slice(br#""}"#);
    body
}

/// `body` as a stream of 16 KiB chunks that holds back everything after the first
/// [`HELD_BACK_AFTER`] bytes until the returned sender is dropped. The server must answer as
/// soon as it has seen too much, without the rest; holding it back keeps the client from
/// writing into a connection the server has already closed, which would lose the response.
fn streamed(body: Vec<u8>) -> (reqwest::Body, oneshot::Sender<()>) {
    let (release, released) = oneshot::channel::<()>();
    let chunk = |part: &[u8]| -> Vec<Result<Vec<u8>, io::Error>> {
        part.chunks(16 * 1024).map(|c| Ok(c.to_vec())).collect()
    };
    let head = stream::iter(chunk(&body[..HELD_BACK_AFTER]));
    let tail = chunk(&body[HELD_BACK_AFTER..]);
    let rest = stream::once(async move {
        // Dropping the sender is the release; its error is the signal, not a failure.
        let _ = released.await;
        stream::iter(tail)
    })
    .flatten();
    (reqwest::Body::wrap_stream(head.chain(rest)), release)
}

/// The response to a request whose body is held back: the server must answer without the
/// rest, so a wait means it did not.
async fn answered_early<T>(response: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), response)
        .await
        .expect("the server waited for the whole oversized body")
}

async fn a_body_over_64_kib_with_content_length_is_payload_too_large(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = oversized_signup(ONE_MIB);
    let length = body.len();
    let (body, release) = streamed(body);

    let res = answered_early(
        app.execute(
            app.request(Method::POST, SIGNUP)
                .header("content-type", "application/json")
                .header("content-length", length)
                .body(body),
        ),
    )
    .await;
    drop(release);

    assert_error(&res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

async fn a_chunked_body_over_64_kib_is_payload_too_large(backend: Backend) {
    let app = spawn_app(backend).await;
    let (body, release) = streamed(oversized_signup(ONE_MIB));

    let res = answered_early(
        app.execute(
            app.request(Method::POST, SIGNUP)
                .header("content-type", "application/json")
                .body(body),
        ),
    )
    .await;
    drop(release);

    assert_error(&res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

async fn an_invalid_email_is_a_validation_error_on_email(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app.signup("not-an-email", PASSWORD).await;

    assert_invalid_field(&res, "email");
}

async fn a_seven_character_password_is_a_validation_error_on_password(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app.signup("ada@example.com", "1234567").await;

    assert_invalid_field(&res, "password");
}

async fn a_whitespace_only_password_is_a_validation_error_on_password(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app.signup("ada@example.com", "          ").await;

    assert_invalid_field(&res, "password");
}

async fn an_unknown_route_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;

    let api = app.get("/api/v1/no-such-thing", None).await;
    let root = app.get("/no-such-thing", None).await;

    assert_error(&api, StatusCode::NOT_FOUND, "not_found");
    assert_error(&root, StatusCode::NOT_FOUND, "not_found");
}

async fn a_wrong_method_is_method_not_allowed(backend: Backend) {
    let app = spawn_app(backend).await;

    let get_login = app.get("/api/v1/auth/login", None).await;
    let delete_signup = app.send(Method::DELETE, SIGNUP, None, None).await;

    assert_error(
        &get_login,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_error(
        &delete_signup,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}

async fn a_bodiless_request_with_a_non_json_content_type_is_a_validation_error(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app
        .send_raw(Method::POST, SIGNUP, "text/plain", Vec::new())
        .await;

    assert_malformed(&res);
}
