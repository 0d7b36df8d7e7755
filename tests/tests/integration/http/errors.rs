//! docs/http-api.md §1 oversized bodies over a real connection: the server answers 413 as soon as
//! it has seen more than 64 KiB, declared or chunked, without waiting for the rest. The other
//! refusals and their envelopes are tested in process, in `postern-http`'s own tests.

use std::io;
use std::time::Duration;

use futures::{StreamExt, stream};
use postern_tests::app::spawn_app;
use postern_tests::db::Backend;
use reqwest::{Method, StatusCode};
use tokio::sync::oneshot;

use super::support::assert_error;

const SIGNUP: &str = "/api/v1/auth/signup";
/// A body well over the 64 KiB limit.
const ONE_MIB: usize = 1024 * 1024;
/// How much of an oversized body is sent before the rest is held back: twice the limit.
const HELD_BACK_AFTER: usize = 128 * 1024;

on_both_backends!(
    a_body_over_64_kib_with_content_length_is_payload_too_large,
    a_chunked_body_over_64_kib_is_payload_too_large,
);

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
