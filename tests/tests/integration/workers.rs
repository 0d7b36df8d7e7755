//! Worker processes (issue 3): a `postern worker audit` killed with SIGKILL halfway through
//! 1,000 events loses none of them: another worker claims what the dead one held after the
//! visibility timeout, and every event is in the audit log exactly once.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use postern_core::domain::{Event, EventData, UserId};
use postern_core::ports::EventPublisher;
use postern_redis::RedisSettings;
use postern_redis::streams::StreamPublisher;
use postern_tests::cli::postern_binary;
use postern_tests::db::{Backend, TestDb, fresh_database};
use postern_tests::redis::{redis_url, unique_prefix};
use sea_orm::{ConnectionTrait, Statement};
use time::OffsetDateTime;

const EVENTS: usize = 1_000;
const DEADLINE: Duration = Duration::from_secs(60);

/// A worker process; killed (SIGKILL) when dropped, so a failing test leaves none behind.
struct Worker(Child);

impl Worker {
    fn start(db: &TestDb, prefix: &str, data_dir: &std::path::Path) -> Self {
        Self::start_with(db, prefix, data_dir, &[])
    }

    fn start_with(
        db: &TestDb,
        prefix: &str,
        data_dir: &std::path::Path,
        extra: &[(&str, &str)],
    ) -> Self {
        let child = Command::new(postern_binary())
            .args(["worker", "audit"])
            .env_clear()
            .env("DATABASE_URL", db.url())
            .env("REDIS_URL", redis_url())
            .env("REDIS_KEY_PREFIX", prefix)
            .env("POSTERN_DATA_DIR", data_dir)
            .env("MIGRATE_ON_START", "false")
            .env("WORKER_VISIBILITY_TIMEOUT", "2s")
            .env("RUST_LOG", "warn")
            .envs(extra.iter().copied())
            .stdout(postern_tests::log::child_output())
            .stderr(postern_tests::log::child_output())
            .spawn()
            .unwrap();
        Self(child)
    }

    fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn audited(db: &TestDb) -> (i64, i64) {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS distinct_ids FROM audit_log",
        ))
        .await
        .unwrap()
        .unwrap();
    (
        row.try_get("", "n").unwrap(),
        row.try_get("", "distinct_ids").unwrap(),
    )
}

async fn wait_for(db: &TestDb, at_least: i64) -> i64 {
    let started = Instant::now();
    loop {
        let (count, _) = audited(db).await;
        if count >= at_least || started.elapsed() > DEADLINE {
            return count;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_halfway_loses_no_event_and_duplicates_none() {
    let db = fresh_database(Backend::Postgres).await;
    let prefix = unique_prefix();
    let data_dir = tempfile::tempdir().unwrap();
    let redis = postern_redis::connect(&RedisSettings::new(redis_url()))
        .await
        .unwrap();
    let publisher = StreamPublisher::new(redis, &prefix);
    let mut ids = Vec::with_capacity(EVENTS);
    for _ in 0..EVENTS {
        let event = Event::new(
            EventData::ProfileUpdated { name: None },
            Some(UserId::generate()),
            OffsetDateTime::now_utc(),
        );
        publisher.publish(&event).await.unwrap();
        ids.push(event.id);
    }

    let mut first = Worker::start(&db, &prefix, data_dir.path());
    let at_kill = wait_for(&db, 200).await;
    first.kill();
    assert!(
        (200..EVENTS as i64).contains(&at_kill),
        "the first worker was killed after {at_kill} events, not halfway"
    );
    let _second = Worker::start(&db, &prefix, data_dir.path());
    let total = wait_for(&db, EVENTS as i64).await;
    // Give a duplicate the chance to show itself.
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(total, EVENTS as i64);
    assert_eq!(audited(&db).await, (EVENTS as i64, EVENTS as i64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_reports_what_it_handled_at_its_metrics_port() {
    let db = fresh_database(Backend::Postgres).await;
    let prefix = unique_prefix();
    let data_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redis = postern_redis::connect(&RedisSettings::new(redis_url()))
        .await
        .unwrap();
    let publisher = StreamPublisher::new(redis, &prefix);
    for _ in 0..3 {
        let event = Event::new(
            EventData::ProfileUpdated { name: None },
            Some(UserId::generate()),
            OffsetDateTime::now_utc(),
        );
        publisher.publish(&event).await.unwrap();
    }

    let _worker = Worker::start_with(
        &db,
        &prefix,
        data_dir.path(),
        &[("WORKER_METRICS_PORT", &port.to_string())],
    );

    let url = format!("http://127.0.0.1:{port}/metrics");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < DEADLINE {
        if let Ok(response) = http.get(&url).send().await {
            last = response.text().await.unwrap_or_default();
            let processed = last.lines().any(|line| {
                line.starts_with("postern_worker_entries_total")
                    && line.contains("audit-events")
                    && line.contains("outcome=\"processed\"")
                    && line.ends_with(" 3")
            });
            if processed {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no count of 3 processed entries at {url}:\n{last}");
}
