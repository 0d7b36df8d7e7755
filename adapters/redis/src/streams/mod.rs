//! Event delivery over Redis Streams (docs/http-api.md §7), for deployments of several instances.
//!
//! The outbox relay publishes each event with [`StreamPublisher`] to `audit-events` (every event)
//! and, when it sends mail, to `email-events`, in one transaction. Worker processes read a stream
//! as members of its consumer group with [`StreamConsumer`]: each entry goes to one consumer, is
//! acknowledged only after its handler succeeded, is retried with exponential backoff, and after
//! the last attempt moves to the stream's dead letters (`<stream>:dead-letters`), where it stays
//! until [`StreamQueues`]'
//! [`replay_dead_letters`](postern_core::ports::EventQueues::replay_dead_letters) puts it back.
//! Entries left pending by a consumer that died are claimed by another once they have been idle for
//! the visibility timeout. Delivery is at least once; handlers deduplicate by event id.
//!
//! Every key carries a prefix (empty in production) so that tests share one Redis without
//! sharing streams, then the hash tag [`HASH_TAG`]: `{prefix}{events}:email-events`,
//! `{prefix}{events}:audit-events` and their `:dead-letters`. On a Redis Cluster every key of
//! a `MULTI` must sit in one hash slot, and these transactions span streams: a batch is
//! appended to both streams at once, and a dead letter moves between a stream and its
//! dead-letter stream in one step. So the four share the slot of `events`, on one node; the
//! profiles, revocations and rate limits, which no transaction groups, spread over the
//! cluster.

mod consumer;
mod entry;
mod publisher;
mod queues;

use std::fmt;

pub use consumer::{ConsumerConfig, ConsumerReport, StreamConsumer};
pub use publisher::StreamPublisher;
pub use queues::StreamQueues;

/// The streams events travel on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventStream {
    /// `email-events`: the events that send mail, read by the email worker.
    Email,
    /// `audit-events`: every event, read by the audit worker.
    Audit,
}

impl EventStream {
    /// Both streams.
    pub const ALL: [Self; 2] = [Self::Email, Self::Audit];

    /// The stream's name, as in docs/http-api.md §7 and the admin API.
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email-events",
            Self::Audit => "audit-events",
        }
    }

    /// The stream named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|stream| stream.name() == name)
    }

    /// The consumer group that works the stream.
    pub fn group(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Audit => "audit",
        }
    }
}

impl fmt::Display for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The hash tag of every stream key: on a Redis Cluster the slot of a key holding `{…}` is
/// the slot of what the braces enclose, so all the streams share one.
pub const HASH_TAG: &str = "{events}";

/// The Redis keys of one stream under a prefix.
#[derive(Clone, Debug)]
struct StreamKeys {
    stream: EventStream,
    entries: String,
    dead_letters: String,
}

impl StreamKeys {
    fn new(prefix: &str, stream: EventStream) -> Self {
        Self {
            stream,
            entries: format!("{prefix}{HASH_TAG}:{}", stream.name()),
            dead_letters: format!("{prefix}{HASH_TAG}:{}:dead-letters", stream.name()),
        }
    }
}
