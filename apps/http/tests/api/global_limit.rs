//! The per-client rate limits of docs/http-api.md §6 as HTTP shows them: the global limit,
//! counted on every route but the probes, checked before anything else and holding a bounded
//! number of keys however many distinct requests it refuses; the client's address as the key
//! (an IPv6 client by its /64, in every bucket); and the reset answer keyed by client and email.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::http::{Method, StatusCode};
use postern_core::ports::{Quota, RateLimitBucket, RateLimits};
use postern_memory::MemoryRateLimiter;
use serde_json::json;

use crate::support::{PASSWORD, TestApp, assert_error};

fn peer(addr: &str) -> SocketAddr {
    addr.parse().unwrap()
}

/// Only the global bucket, at `limit` a minute.
fn global_only(limit: u32) -> RateLimits {
    let quota = Quota {
        limit,
        period: Duration::from_secs(60),
    };
    RateLimits::off().with(RateLimitBucket::Global, Some(quota))
}

/// `POST path` with `body` from the client `client`, through the trusted proxy.
async fn post_from(app: &TestApp, client: &str, path: &str, body: serde_json::Value) -> u16 {
    let request = app
        .request(Method::POST, path)
        .header("x-forwarded-for", client)
        .body_json(&body);
    app.send(request).await.status.as_u16()
}

#[tokio::test]
async fn the_101st_request_of_a_client_within_a_minute_is_refused_on_every_route_but_the_probes() {
    let app = TestApp::builder()
        .peer(peer("192.0.2.1:40000"), false)
        .build();
    for n in 1..=100_u64 {
        let res = app.get("/api/v1/auth/me", None).await;
        assert_error(&res, StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(res.header("ratelimit-limit"), Some("100"));
        assert_eq!(
            res.header("ratelimit-remaining"),
            Some((100 - n).to_string().as_str())
        );
    }

    let unknown_route = app.get("/api/v1/no-such-thing", None).await;
    let invalid_login = app.post("/api/v1/auth/login", &json!({}), None).await;
    let probes = [
        app.get("/health", None).await,
        app.get("/ready", None).await,
        app.get("/metrics", None).await,
    ];

    for refused in [&unknown_route, &invalid_login] {
        assert_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
        let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    }
    for probe in &probes {
        assert_eq!(probe.status, StatusCode::OK, "{}", probe.text);
        assert_eq!(probe.header("ratelimit-limit"), None);
    }
}

#[tokio::test]
async fn an_operations_own_bucket_sets_the_headers_it_shares_with_the_global_one() {
    let app = TestApp::builder()
        .peer(peer("192.0.2.1:40000"), false)
        .build();

    let signup = app.signup("ada@example.com", PASSWORD).await;

    assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.text);
    assert_eq!(signup.header("ratelimit-limit"), Some("3"));
    assert_eq!(signup.header("ratelimit-remaining"), Some("2"));
}

#[tokio::test]
async fn an_ipv6_client_is_counted_globally_by_its_64_whatever_address_it_takes() {
    let app = TestApp::builder()
        .rate_limits(global_only(3))
        .peer(peer("127.0.0.1:40000"), true)
        .build();
    let same_64 = [
        "2001:db8:0:1::1",
        "2001:db8:0:1::2",
        "2001:db8:0:1:ffff:ffff:ffff:fffe",
    ];
    for client in same_64 {
        let status = post_from(&app, client, "/api/v1/auth/login", json!({})).await;
        assert_eq!(status, 400, "{client}");
    }

    let fourth = post_from(
        &app,
        "2001:db8:0:1:abcd::9",
        "/api/v1/auth/login",
        json!({}),
    )
    .await;
    let next_64 = post_from(&app, "2001:db8:0:2::1", "/api/v1/auth/login", json!({})).await;

    assert_eq!(fourth, 429);
    assert_eq!(next_64, 400);
}

#[tokio::test]
async fn an_ipv6_client_is_counted_by_its_64_in_an_operations_bucket_too() {
    let app = TestApp::builder()
        .rate_limits(RateLimits::default().with(RateLimitBucket::Global, None))
        .peer(peer("127.0.0.1:40000"), true)
        .build();
    for n in 1..=3 {
        let client = format!("2001:db8:0:1::{n}");
        let body = json!({"email": format!("user{n}@example.com"), "password": PASSWORD});
        let status = post_from(&app, &client, "/api/v1/auth/signup", body).await;
        assert_eq!(status, 201, "{client}");
    }

    let body = json!({"email": "user4@example.com", "password": PASSWORD});
    let fourth = post_from(&app, "2001:db8:0:1:beef::4", "/api/v1/auth/signup", body).await;

    assert_eq!(fourth, 429);
}

#[tokio::test]
async fn a_hundred_thousand_distinct_refused_logins_leave_a_bounded_number_of_limiter_keys() {
    let limiter = Arc::new(MemoryRateLimiter::new(RateLimits::default()).unwrap());
    let app = TestApp::builder()
        .rate_limiter(limiter.clone())
        .peer(peer("127.0.0.1:40000"), true)
        .build();

    let started = Instant::now();
    let mut admitted: usize = 0;
    for n in 0..100_000_u32 {
        // One host rotating through its /64, a fresh email and a wrong password each time.
        let client = format!("2001:db8:0:1:{:x}:{:x}::1", n >> 16, n & 0xffff);
        let email = format!("user{n}@example.com");
        let body = json!({"email": email, "password": "not the password"});
        if post_from(&app, &client, "/api/v1/auth/login", body).await != 429 {
            admitted += 1;
        }
    }
    let minutes_begun = usize::try_from(started.elapsed().as_secs() / 60 + 1).unwrap();

    // The window slides: each minute the flood lasts admits another 100 at most.
    assert!(
        (100..=100 * minutes_begun).contains(&admitted),
        "{admitted} admitted"
    );
    // The global key of the /64, and a login key for each login admitted: none for the refused.
    let keys = limiter.tracked_keys();
    assert!(keys <= 1 + admitted, "{keys} keys for {admitted} admitted");
}

#[tokio::test]
async fn another_client_spending_an_emails_reset_quota_does_not_block_its_owner() {
    let app = TestApp::builder()
        .peer(peer("127.0.0.1:40000"), true)
        .build();
    let forgot = json!({"email": "ada@example.com"});
    for _ in 0..3 {
        let status = post_from(
            &app,
            "198.51.100.66",
            "/api/v1/auth/password/forgot",
            forgot.clone(),
        )
        .await;
        assert_eq!(status, 202);
    }

    let attacker = post_from(
        &app,
        "198.51.100.66",
        "/api/v1/auth/password/forgot",
        forgot.clone(),
    )
    .await;
    let owner = post_from(&app, "203.0.113.7", "/api/v1/auth/password/forgot", forgot).await;

    assert_eq!(attacker, 429);
    assert_eq!(owner, 202);
}
