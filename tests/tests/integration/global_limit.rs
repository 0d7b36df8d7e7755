//! The global per-client limit of docs/http-api.md §6 across processes: two `postern serve`
//! processes on one Redis admit exactly the limit between them, and a flood of distinct invalid
//! requests leaves a bounded number of Redis keys.

use std::time::Instant;

use fred::prelude::{ClientLike, Pool};
use fred::types::{ClusterHash, CustomCommand};
use futures::StreamExt;
use postern_redis::RedisSettings;
use postern_tests::process::ServeProcess;
use postern_tests::redis::{redis_url, unique_prefix};
use reqwest::StatusCode;
use serde_json::json;

/// The keys under `prefix`.
async fn keys_under(redis: &Pool, prefix: &str) -> Vec<String> {
    redis
        .next()
        .custom(
            CustomCommand::new_static("KEYS", ClusterHash::Random, false),
            vec![format!("{prefix}*")],
        )
        .await
        .unwrap()
}

/// Two processes of one deployment on the shared Redis under `prefix`, each on SQLite of its
/// own (the database plays no part in the limit), with `env` on top.
fn two_processes(
    dirs: &[tempfile::TempDir; 2],
    prefix: &str,
    env: &[(&str, &str)],
) -> [ServeProcess; 2] {
    let url = redis_url();
    let mut vars = vec![("REDIS_URL", url.as_str()), ("REDIS_KEY_PREFIX", prefix)];
    vars.extend_from_slice(env);
    dirs.each_ref()
        .map(|dir| ServeProcess::start(dir.path(), &vars))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_redis_admit_exactly_the_global_limit_between_them() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let servers = two_processes(&dirs, &unique_prefix(), &[("RATE_LIMIT_GLOBAL", "30/1m")]);
    let http = reqwest::Client::new();

    let statuses: Vec<StatusCode> = futures::stream::iter(0..120)
        .map(|n| {
            let url = servers[n % 2].url("/api/v1/auth/me");
            let http = http.clone();
            async move { http.get(url).send().await.unwrap().status() }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let health = http.get(servers[0].url("/health")).send().await.unwrap();

    let served = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((served, refused), (30, 90));
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_thousand_distinct_logins_leave_a_bounded_number_of_redis_keys() {
    let prefix = unique_prefix();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    // The global limit at its default of 100 a minute; cheap hashing for the logins it admits.
    let env = [
        ("RATE_LIMIT_GLOBAL", "100/1m"),
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
    ];
    let servers = two_processes(&dirs, &prefix, &env);
    let http = reqwest::Client::new();

    let started = Instant::now();
    let statuses: Vec<StatusCode> = futures::stream::iter(0..100_000)
        .map(|n| {
            let url = servers[n % 2].url("/api/v1/auth/login");
            let body = json!({"email": format!("user{n}@example.com"), "password": "wrong one"});
            let http = http.clone();
            async move { http.post(url).json(&body).send().await.unwrap().status() }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let minutes_begun = started.elapsed().as_secs() / 60 + 1;

    let admitted = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    // The window slides: each minute the flood lasts admits another 100 at most.
    let most = 100 * usize::try_from(minutes_begun).unwrap();
    assert!((100..=most).contains(&admitted), "{admitted} admitted");
    let redis = postern_redis::connect(&RedisSettings::new(redis_url()))
        .await
        .unwrap();
    let limiter_keys: Vec<String> = keys_under(&redis, &prefix)
        .await
        .into_iter()
        .filter(|key| key.contains("ratelimit:"))
        .collect();
    // The client's global key, and a login key for each login admitted: none for the refused.
    assert!(
        limiter_keys.len() <= 1 + admitted,
        "{} keys for {admitted} admitted",
        limiter_keys.len()
    );
}
