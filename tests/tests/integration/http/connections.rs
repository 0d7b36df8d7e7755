//! Connection limits over real sockets (docs/http-api.md §8): a head must arrive within
//! `HTTP_HEADER_TIMEOUT`, however slowly it trickles; a connection that moves nothing for
//! `HTTP_IDLE_TIMEOUT` is closed; past `HTTP_MAX_CONNECTIONS` new clients wait until a slot
//! frees, and are then served. And a head too large for the application, though not for the
//! server, is refused in the envelope.

use std::time::{Duration, Instant};

use postern_tests::app::{TestApp, spawn_app_with};
use postern_tests::db::Backend;
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::support::assert_error;

/// A server whose limits are short enough to watch them act.
async fn app_with_limits(header: &str, idle: &str, max_connections: &str) -> TestApp {
    spawn_app_with(
        Backend::Sqlite,
        &[
            ("HTTP_HEADER_TIMEOUT", header),
            ("HTTP_IDLE_TIMEOUT", idle),
            ("HTTP_MAX_CONNECTIONS", max_connections),
        ],
    )
    .await
}

/// Reads until the server closes the connection, or fails the test after `deadline`; returns
/// how long the server took.
async fn closed_by_server_within(stream: &mut TcpStream, deadline: Duration) -> Duration {
    let started = Instant::now();
    let mut sink = [0; 4096];
    let closed = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(deadline, closed)
        .await
        .expect("the server kept the connection open");
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_that_never_sends_a_request_is_closed_after_the_header_timeout() {
    let app = app_with_limits("1s", "60s", "64").await;
    let mut silent = TcpStream::connect(app.addr).await.unwrap();

    let took = closed_by_server_within(&mut silent, Duration::from_secs(5)).await;

    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_head_trickled_a_byte_at_a_time_is_cut_off_at_the_header_timeout() {
    let app = app_with_limits("1s", "60s", "64").await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: postern\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = slow.into_split();
    // A byte every 200 ms keeps any inactivity timer happy, and never finishes the head.
    let trickle = tokio::spawn(async move {
        while writer.write_all(b"X").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });

    let started = Instant::now();
    let mut sink = [0; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while matches!(reader.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
    trickle.abort();

    assert!(
        closed.is_ok(),
        "the trickled head was still being read after 5 s"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_keep_alive_connection_left_idle_is_closed_after_the_header_timeout() {
    let app = app_with_limits("1s", "60s", "64").await;
    let mut idle = TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: postern\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0; 12];
    idle.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");

    closed_by_server_within(&mut idle, Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_body_that_stops_arriving_is_cut_off_at_the_idle_timeout() {
    let app = app_with_limits("10s", "1s", "64").await;
    let mut stalled = TcpStream::connect(app.addr).await.unwrap();
    stalled
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: postern\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
        )
        .await
        .unwrap();

    let took = closed_by_server_within(&mut stalled, Duration::from_secs(5)).await;

    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_connection_cap_a_client_waits_for_a_free_slot_and_is_then_served() {
    let app = app_with_limits("3s", "60s", "4").await;
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(TcpStream::connect(app.addr).await.unwrap());
    }
    // Let the server accept all four before the fifth arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let fifth = tokio::spawn({
        let url = app.url("/health");
        async move {
            let started = Instant::now();
            let res = reqwest::Client::new().get(url).send().await.unwrap();
            (res.status(), started.elapsed())
        }
    });
    let (status, waited) = tokio::time::timeout(Duration::from_secs(10), fifth)
        .await
        .expect("the fifth client was never served")
        .unwrap();

    assert_eq!(status, StatusCode::OK);
    assert!(
        waited >= Duration::from_secs(1),
        "served after {waited:?}, while the four silent connections held every slot"
    );
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_one_megabyte_authorization_header_is_refused_in_the_envelope_with_431() {
    let app = spawn_app_with(Backend::Sqlite, &[]).await;
    let bearer = format!("Bearer {}", "a".repeat(1_000_000));

    let res = app
        .execute(
            app.request(Method::GET, "/api/v1/auth/me")
                .header("authorization", bearer),
        )
        .await;

    assert_error(
        &res,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
    );
    assert!(res.header("x-request-id").is_some(), "{:?}", res.headers);
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
}
