//! Several instances sharing Redis (issue 3): one rate limit across instances, a logout seen
//! by every instance at once, the profile cache in Redis, events through the streams to the
//! audit log, and requests that keep working while Redis is down; each of them but the
//! outage both on one Redis server and on a Redis Cluster. PostgreSQL only: the database's
//! part is covered on both backends elsewhere; here Redis is under test.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fred::interfaces::KeysInterface;
use postern::server::ServeOptions;
use postern_redis::RedisSettings;
use postern_tests::app::{PASSWORD, TestApp, spawn_app_serving};
use postern_tests::db::Backend;
use postern_tests::redis::{RedisServer, unique_prefix};
use postern_tests::smtp::SmtpSink;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

/// How long event delivery may take before a test gives up.
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs each named test, an `async fn(url: String)`, on the shared Redis server (module
/// `on_redis`) and on the Redis Cluster of this test binary (`on_redis_cluster`).
macro_rules! on_redis_and_cluster {
    ($($test:ident),+ $(,)?) => {
        mod on_redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(postern_tests::redis::redis_url()).await;
                }
            )+
        }

        mod on_redis_cluster {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    super::$test(postern_tests::redis_cluster::shared_cluster().url()).await;
                }
            )+
        }
    };
}

on_redis_and_cluster!(
    fifty_concurrent_logins_over_two_instances_let_exactly_five_through,
    a_logout_on_one_instance_is_rejected_on_the_other_at_once,
    the_profile_is_cached_in_redis_and_replaced_by_an_update,
    events_reach_the_audit_log_through_the_streams_exactly_once,
    a_signup_on_one_instance_mails_one_welcome_and_writes_one_audit_row,
);

/// An instance on PostgreSQL sharing `url` under `prefix`, with or without workers.
async fn instance(url: &str, prefix: &str, with_workers: bool) -> TestApp {
    instance_with(url, prefix, with_workers, &[]).await
}

async fn instance_with(
    url: &str,
    prefix: &str,
    with_workers: bool,
    overrides: &[(&str, &str)],
) -> TestApp {
    let mut vars = vec![("REDIS_URL", url), ("REDIS_KEY_PREFIX", prefix)];
    vars.extend_from_slice(overrides);
    spawn_app_serving(Backend::Postgres, &vars, ServeOptions { with_workers }).await
}

/// Audit rows per event type.
async fn audited(app: &TestApp) -> BTreeMap<String, usize> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT event_type FROM audit_log",
        ))
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for row in rows {
        *counts
            .entry(row.try_get::<String>("", "event_type").unwrap())
            .or_default() += 1;
    }
    counts
}

/// Waits until the audit log holds `expected` events in all, then returns its counts.
async fn audited_when(app: &TestApp, expected: usize) -> BTreeMap<String, usize> {
    let started = Instant::now();
    loop {
        let counts = audited(app).await;
        if counts.values().sum::<usize>() >= expected || started.elapsed() > DEADLINE {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn fifty_concurrent_logins_over_two_instances_let_exactly_five_through(url: String) {
    let prefix = unique_prefix();
    let a = instance(&url, &prefix, false).await;
    let b = a.another_instance(ServeOptions::default()).await;
    let user = a.signed_in_user().await;

    let attempts = (0..50).map(|n| {
        let app = if n % 2 == 0 { &a } else { &b };
        app.login(&user.email, PASSWORD)
    });
    let responses = futures::future::join_all(attempts).await;

    // signed_in_user logged in once already: 4 more of the 5 pass.
    let passed = responses
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let limited = responses
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((passed, limited), (4, 46));
}

async fn a_logout_on_one_instance_is_rejected_on_the_other_at_once(url: String) {
    let prefix = unique_prefix();
    let a = instance(&url, &prefix, false).await;
    let b = a.another_instance(ServeOptions::default()).await;
    let user = a.signed_in_user().await;
    assert_eq!(b.profile(&user.access).await.status, StatusCode::OK);

    assert_eq!(a.logout(&user.access).await.status, StatusCode::OK);

    assert_eq!(
        b.profile(&user.access).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn the_profile_is_cached_in_redis_and_replaced_by_an_update(url: String) {
    let prefix = unique_prefix();
    let app = instance(&url, &prefix, false).await;
    let user = app.signed_in_user().await;
    let redis = postern_redis::connect(&RedisSettings::new(url.clone()))
        .await
        .unwrap();
    let key = format!("{prefix}user:profile:v1:{}", user.user_id);
    let cached = |redis: fred::clients::Pool, key: String| async move {
        let value: Option<String> = redis.get(&key).await.unwrap();
        value
    };
    assert_eq!(
        cached(redis.clone(), key.clone()).await,
        None,
        "a miss first"
    );

    assert_eq!(app.profile(&user.access).await.status, StatusCode::OK);
    let stored = cached(redis.clone(), key.clone()).await.expect("cached");
    let ttl: i64 = redis.ttl(&key).await.unwrap();
    assert!((590..=600).contains(&ttl), "ttl {ttl}");
    assert!(stored.contains(&user.email));

    let updated = app
        .update_profile(&user.access, json!({"name": "Grace"}))
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    let replaced = cached(redis.clone(), key.clone())
        .await
        .expect("the update stores the account as it now is");
    assert!(replaced.contains("Grace"), "{replaced}");
    let read = app.profile(&user.access).await;
    assert_eq!(read.body["data"]["name"], "Grace");
}

async fn events_reach_the_audit_log_through_the_streams_exactly_once(url: String) {
    let prefix = unique_prefix();
    let a = instance(&url, &prefix, true).await;
    let b = a
        .another_instance(ServeOptions { with_workers: true })
        .await;

    let user = a.signed_in_user().await;
    assert_eq!(b.logout(&user.access).await.status, StatusCode::OK);

    let counts = audited_when(&a, 3).await;
    // Let a late duplicate show itself before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(counts, audited(&a).await);
    let expected: BTreeMap<String, usize> = [
        ("user.logged_in", 1),
        ("user.logged_out", 1),
        ("user.signed_up", 1),
    ]
    .into_iter()
    .map(|(kind, n)| (kind.to_owned(), n))
    .collect();
    assert_eq!(counts, expected);
}

async fn a_signup_on_one_instance_mails_one_welcome_and_writes_one_audit_row(url: String) {
    let sink = SmtpSink::start().await;
    let mail = mail_settings(&sink);
    let mail: Vec<(&str, &str)> = mail.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = instance_with(&url, &unique_prefix(), true, &mail).await;
    let _b = a
        .another_instance(ServeOptions { with_workers: true })
        .await;

    let signup = a.signup("welcome@example.com", PASSWORD).await;
    assert_eq!(signup.status, StatusCode::CREATED);

    let mails = sink.wait_for(1, DEADLINE).await;
    let counts = audited_when(&a, 1).await;
    // Two relays and two email workers: give a duplicate the time to show itself.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.received().len(), 1);
    assert_eq!(mails[0].envelope_to, ["welcome@example.com"]);
    assert_eq!(counts, audited(&a).await);
    assert_eq!(counts.get("user.signed_up"), Some(&1));
}

fn mail_settings(sink: &SmtpSink) -> [(&'static str, String); 2] {
    [
        ("SMTP_URL", sink.url()),
        ("MAIL_FROM", "Postern <no-reply@example.test>".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signups_while_redis_is_down_succeed_and_their_events_arrive_when_it_returns() {
    let mut server = RedisServer::start().await;
    let sink = SmtpSink::start().await;
    let [smtp, from] = mail_settings(&sink);
    // More signups than docs/http-api.md §6 lets one address make in a minute.
    let app = instance_with(
        &server.url(),
        &unique_prefix(),
        true,
        &[
            ("RATE_LIMIT_SIGNUP", "off"),
            (smtp.0, &smtp.1),
            (from.0, &from.1),
        ],
    )
    .await;
    let before = app.signed_in_user().await;
    // Nothing in flight: this Redis keeps nothing on disk, so what it held would be lost.
    assert_eq!(audited_when(&app, 2).await.values().sum::<usize>(), 2);

    server.kill();
    for n in 0..5 {
        let res = app.signup(&format!("down{n}@example.com"), PASSWORD).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    }
    // Requests keep working: the token is checked against the session table.
    assert_eq!(app.profile(&before.access).await.status, StatusCode::OK);
    let ready = app.get("/ready", None).await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.text
    );
    assert!(ready.text.contains("redis"), "{}", ready.text);
    server.restart().await;

    let counts = audited_when(&app, 7).await;
    assert_eq!(counts.get("user.signed_up"), Some(&6), "{counts:?}");
    assert_eq!(counts.get("user.logged_in"), Some(&1), "{counts:?}");
    let mails = sink.wait_for(6, DEADLINE).await;
    let mut recipients: Vec<&str> = mails.iter().map(|m| m.envelope_to[0].as_str()).collect();
    recipients.sort_unstable();
    recipients.dedup();
    assert_eq!(
        recipients.len(),
        6,
        "one welcome per signup: {recipients:?}"
    );
}
