//! Redis Streams delivery against the real Redis: the publisher's routing, the consumer's
//! acknowledgement, retries with growing delays, dead letters and their replay, the take-over
//! of entries a dead consumer left pending, trimming, and the queue figures. Each test works
//! under a key prefix of its own, on the shared Redis server and on the Redis Cluster of this
//! test binary, where the transactions that span streams must stay in one hash slot.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fred::clients::Pool;
use fred::interfaces::StreamsInterface;
use fred::types::Value;
use postern_core::domain::{Event, EventData, UserId};
use postern_core::ports::{EventHandler, EventPublisher, EventQueues, PortError, PortResult};
use postern_redis::RedisSettings;
use postern_redis::streams::{
    ConsumerConfig, EventStream, HASH_TAG, StreamConsumer, StreamPublisher, StreamQueues,
};
use postern_tests::redis::{redis_url, unique_prefix};
use postern_tests::redis_cluster::shared_cluster;
use time::OffsetDateTime;
use uuid::Uuid;

/// Runs each named test, an `async fn(url: String)`, on the shared Redis server (module
/// `on_redis`) and on the Redis Cluster of this test binary (`on_redis_cluster`).
macro_rules! on_redis_and_cluster {
    ($($test:ident),+ $(,)?) => {
        mod on_redis {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::redis_url()).await;
                }
            )+
        }

        mod on_redis_cluster {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::shared_cluster().url()).await;
                }
            )+
        }
    };
}

on_redis_and_cluster!(
    mail_events_go_to_both_streams_and_the_others_to_audit_only,
    a_published_batch_reaches_the_handler_at_once_and_is_acknowledged,
    an_undecodable_entry_in_a_batch_is_dead_lettered_alone,
    a_handled_entry_is_acknowledged_and_not_handled_again,
    a_handler_failing_twice_is_retried_with_growing_delays,
    an_always_failing_entry_is_dead_lettered_and_succeeds_after_replay,
    entries_a_dead_consumer_left_pending_are_claimed_after_the_visibility_timeout,
    trimming_drops_acknowledged_entries_past_the_retention_and_keeps_pending_ones,
    an_entry_whose_dependency_stays_down_is_never_dead_lettered_and_is_handled_later,
);

/// A handler that records what it was given and when, failing the first `failures` calls of
/// each event (`u32::MAX`: always), as if a dependency were down, or for good when `broken`.
struct Recorder {
    failures: u32,
    broken: bool,
    calls: Mutex<Vec<(Uuid, Instant)>>,
    batches: Mutex<Vec<usize>>,
}

impl Recorder {
    fn failing(failures: u32) -> Arc<Self> {
        Arc::new(Self {
            failures,
            broken: false,
            calls: Mutex::new(Vec::new()),
            batches: Mutex::new(Vec::new()),
        })
    }

    fn broken() -> Arc<Self> {
        Arc::new(Self {
            failures: u32::MAX,
            broken: true,
            calls: Mutex::new(Vec::new()),
            batches: Mutex::new(Vec::new()),
        })
    }

    fn calls_of(&self, event: Uuid) -> Vec<Instant> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(id, _)| *id == event)
            .map(|(_, at)| *at)
            .collect()
    }

    /// The sizes of the batches it was handed at once.
    fn batches(&self) -> Vec<usize> {
        self.batches.lock().unwrap().clone()
    }
}

#[async_trait]
impl EventHandler for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    async fn handle(&self, event: &Event) -> PortResult<()> {
        let mut calls = self.calls.lock().unwrap();
        calls.push((event.id, Instant::now()));
        let made = calls.iter().filter(|(id, _)| *id == event.id).count();
        if u32::try_from(made).unwrap() <= self.failures {
            return Err(if self.broken {
                PortError::unexpected("handler broken")
            } else {
                PortError::unavailable("handler down")
            });
        }
        Ok(())
    }

    async fn handle_batch(&self, events: &[Event]) -> PortResult<()> {
        self.batches.lock().unwrap().push(events.len());
        for event in events {
            self.handle(event).await?;
        }
        Ok(())
    }
}

struct Streams {
    url: String,
    pool: Pool,
    prefix: String,
}

impl Streams {
    /// The streams on the Redis `url` names, under a fresh prefix.
    async fn on(url: String) -> Self {
        Self {
            pool: postern_redis::connect(&RedisSettings::new(url.clone()))
                .await
                .unwrap(),
            url,
            prefix: unique_prefix(),
        }
    }

    /// The Redis key of stream `name` (such as `audit-events:dead-letters`).
    fn key(&self, name: &str) -> String {
        format!("{}{HASH_TAG}:{name}", self.prefix)
    }

    fn publisher(&self) -> StreamPublisher {
        StreamPublisher::new(self.pool.clone(), &self.prefix)
    }

    fn queues(&self) -> StreamQueues {
        StreamQueues::new(self.pool.clone(), &self.prefix)
    }

    async fn consumer(
        &self,
        name: &str,
        handler: Arc<dyn EventHandler>,
        config: ConsumerConfig,
    ) -> StreamConsumer {
        let mut settings = RedisSettings::new(self.url.clone());
        settings.command_timeout = Duration::from_secs(5);
        let client = postern_redis::connect_client(&settings).await.unwrap();
        let consumer = StreamConsumer::new(
            client,
            &self.prefix,
            EventStream::Audit,
            name,
            handler,
            config,
        );
        consumer.join_group().await.unwrap();
        consumer
    }

    async fn length(&self, key: &str) -> u64 {
        self.pool.xlen(self.key(key)).await.unwrap()
    }
}

fn fast() -> ConsumerConfig {
    ConsumerConfig {
        retry_base: Duration::from_millis(100),
        block: Duration::from_millis(100),
        ..ConsumerConfig::default()
    }
}

fn signed_up() -> Event {
    Event::new(
        EventData::SignedUp {
            email: "ada@example.com".to_owned(),
            name: None,
        },
        Some(UserId::generate()),
        OffsetDateTime::now_utc(),
    )
}

fn profile_updated() -> Event {
    Event::new(
        EventData::ProfileUpdated { name: None },
        Some(UserId::generate()),
        OffsetDateTime::now_utc(),
    )
}

async fn mail_events_go_to_both_streams_and_the_others_to_audit_only(url: String) {
    let streams = Streams::on(url).await;
    let publisher = streams.publisher();

    publisher.publish(&signed_up()).await.unwrap();
    publisher.publish(&profile_updated()).await.unwrap();

    assert_eq!(streams.length("audit-events").await, 2);
    assert_eq!(streams.length("email-events").await, 1);
}

async fn a_published_batch_reaches_the_handler_at_once_and_is_acknowledged(url: String) {
    let streams = Streams::on(url).await;
    let handler = Recorder::failing(0);
    let consumer = streams.consumer("one", handler.clone(), fast()).await;
    let events = [signed_up(), profile_updated(), profile_updated()];
    streams.publisher().publish_batch(&events).await.unwrap();

    let report = consumer.process_batch().await.unwrap();

    assert_eq!(report.handled, 3);
    assert_eq!(handler.batches(), [3]);
    for event in &events {
        assert_eq!(handler.calls_of(event.id).len(), 1);
    }
    assert_eq!(streams.length("email-events").await, 1);
    let stats = &streams.queues().stats().await.unwrap()[1];
    assert_eq!((stats.length, stats.pending), (3, 0));
}

async fn an_undecodable_entry_in_a_batch_is_dead_lettered_alone(url: String) {
    let streams = Streams::on(url).await;
    let handler = Recorder::failing(0);
    let consumer = streams.consumer("one", handler.clone(), fast()).await;
    let (before, after) = (profile_updated(), profile_updated());
    streams.publisher().publish(&before).await.unwrap();
    let _: Value = streams
        .pool
        .xadd(
            streams.key("audit-events"),
            false,
            None,
            "*",
            vec![("event", "{not json")],
        )
        .await
        .unwrap();
    streams.publisher().publish(&after).await.unwrap();

    let report = consumer.process_batch().await.unwrap();

    assert_eq!((report.handled, report.dead_lettered), (2, 1));
    assert!(
        handler.batches().is_empty(),
        "no batch call with a bad entry"
    );
    assert_eq!(handler.calls_of(before.id).len(), 1);
    assert_eq!(handler.calls_of(after.id).len(), 1);
    assert_eq!(streams.length("audit-events:dead-letters").await, 1);
    assert_eq!(streams.queues().stats().await.unwrap()[1].pending, 0);
}

async fn a_handled_entry_is_acknowledged_and_not_handled_again(url: String) {
    let streams = Streams::on(url).await;
    let handler = Recorder::failing(0);
    let consumer = streams.consumer("one", handler.clone(), fast()).await;
    let event = profile_updated();
    streams.publisher().publish(&event).await.unwrap();

    let first = consumer.process_batch().await.unwrap();
    let second = consumer.process_batch().await.unwrap();

    assert_eq!(first.handled, 1);
    assert!(second.is_idle());
    assert_eq!(handler.calls_of(event.id).len(), 1);
    let stats = &streams.queues().stats().await.unwrap()[1];
    assert_eq!(
        (stats.name.as_str(), stats.length, stats.pending),
        ("audit-events", 1, 0)
    );
    assert_eq!(stats.consumers, 1);
}

async fn a_handler_failing_twice_is_retried_with_growing_delays(url: String) {
    let streams = Streams::on(url).await;
    let handler = Recorder::failing(2);
    let consumer = streams.consumer("one", handler.clone(), fast()).await;
    let event = profile_updated();
    streams.publisher().publish(&event).await.unwrap();

    let report = consumer.process_batch().await.unwrap();

    assert_eq!(report.handled, 1);
    let calls = handler.calls_of(event.id);
    assert_eq!(calls.len(), 3);
    let (first_wait, second_wait) = (calls[1] - calls[0], calls[2] - calls[1]);
    assert!(first_wait >= Duration::from_millis(100), "{first_wait:?}");
    assert!(second_wait >= Duration::from_millis(200), "{second_wait:?}");
    assert!(second_wait > first_wait);
    assert_eq!(streams.length("audit-events:dead-letters").await, 0);
}

async fn an_always_failing_entry_is_dead_lettered_and_succeeds_after_replay(url: String) {
    let streams = Streams::on(url).await;
    let failing = Recorder::broken();
    let consumer = streams.consumer("one", failing.clone(), fast()).await;
    let event = profile_updated();
    streams.publisher().publish(&event).await.unwrap();

    let report = consumer.process_batch().await.unwrap();

    assert_eq!(report.dead_lettered, 1);
    assert_eq!(failing.calls_of(event.id).len(), 3);
    assert_eq!(streams.length("audit-events:dead-letters").await, 1);
    let dead: Vec<(String, std::collections::HashMap<String, String>)> = streams
        .pool
        .xrange_values(streams.key("audit-events:dead-letters"), "-", "+", None)
        .await
        .unwrap();
    assert!(dead[0].1["error"].contains("handler broken"));

    let queues = streams.queues();
    assert_eq!(
        queues.replay_dead_letters("audit-events").await.unwrap(),
        Some(1)
    );
    let healthy = Recorder::failing(0);
    let replayed = streams.consumer("two", healthy.clone(), fast()).await;
    let after = replayed.process_batch().await.unwrap();

    assert_eq!(after.handled, 1);
    assert_eq!(healthy.calls_of(event.id).len(), 1);
    assert_eq!(streams.length("audit-events:dead-letters").await, 0);
    assert_eq!(queues.replay_dead_letters("nowhere").await.unwrap(), None);
}

async fn entries_a_dead_consumer_left_pending_are_claimed_after_the_visibility_timeout(
    url: String,
) {
    let streams = Streams::on(url).await;
    let config = ConsumerConfig {
        visibility_timeout: Duration::from_millis(300),
        ..fast()
    };
    let _dead = streams.consumer("dead", Recorder::failing(0), config).await;
    let event = profile_updated();
    streams.publisher().publish(&event).await.unwrap();
    // "dead" reads the entry and dies before acknowledging it.
    let _: Value = streams
        .pool
        .xreadgroup(
            "audit",
            "dead",
            None,
            None,
            false,
            streams.key("audit-events"),
            ">",
        )
        .await
        .unwrap();
    let handler = Recorder::failing(0);
    let survivor = streams.consumer("survivor", handler.clone(), config).await;

    let early = survivor.process_batch().await.unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    let late = survivor.process_batch().await.unwrap();

    assert!(early.is_idle(), "claimed before the visibility timeout");
    assert_eq!((late.claimed, late.handled), (1, 1));
    assert_eq!(handler.calls_of(event.id).len(), 1);
    assert_eq!(streams.queues().stats().await.unwrap()[1].pending, 0);
}

async fn trimming_drops_acknowledged_entries_past_the_retention_and_keeps_pending_ones(
    url: String,
) {
    let streams = Streams::on(url).await;
    let config = ConsumerConfig {
        retention: Duration::from_millis(1),
        ..fast()
    };
    let consumer = streams.consumer("one", Recorder::failing(0), config).await;
    for _ in 0..3 {
        streams
            .publisher()
            .publish(&profile_updated())
            .await
            .unwrap();
    }
    consumer.process_batch().await.unwrap();
    streams
        .publisher()
        .publish(&profile_updated())
        .await
        .unwrap();
    // Read by another consumer and never acknowledged: pending.
    let _: Value = streams
        .pool
        .xreadgroup(
            "audit",
            "reader",
            None,
            None,
            false,
            streams.key("audit-events"),
            ">",
        )
        .await
        .unwrap();
    streams
        .publisher()
        .publish(&profile_updated())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;

    let trimmed = consumer.trim().await.unwrap();

    assert_eq!(trimmed, 3, "the three acknowledged entries go");
    assert_eq!(
        streams.length("audit-events").await,
        2,
        "the pending and the unread stay"
    );
}

async fn an_entry_whose_dependency_stays_down_is_never_dead_lettered_and_is_handled_later(
    url: String,
) {
    let streams = Streams::on(url).await;
    let config = ConsumerConfig {
        visibility_timeout: Duration::from_millis(300),
        ..fast()
    };
    let down = Recorder::failing(u32::MAX);
    let consumer = streams.consumer("one", down.clone(), config).await;
    let (first, second) = (profile_updated(), profile_updated());
    streams.publisher().publish(&first).await.unwrap();
    streams.publisher().publish(&second).await.unwrap();

    let report = consumer.process_batch().await.unwrap();

    assert_eq!(
        (report.handled, report.dead_lettered, report.deferred),
        (0, 0, 2)
    );
    // One try as part of the batch, then the three attempts alone.
    assert_eq!(down.calls_of(first.id).len(), 4);
    assert!(
        down.calls_of(second.id).is_empty(),
        "the batch stops at the outage"
    );
    assert_eq!(streams.length("audit-events:dead-letters").await, 0);
    assert_eq!(streams.queues().stats().await.unwrap()[1].pending, 2);

    tokio::time::sleep(Duration::from_millis(350)).await;
    let back = Recorder::failing(0);
    let recovered = streams.consumer("two", back.clone(), config).await;
    let later = recovered.process_batch().await.unwrap();

    assert_eq!((later.claimed, later.handled), (2, 2));
    assert_eq!(streams.queues().stats().await.unwrap()[1].pending, 0);
}
