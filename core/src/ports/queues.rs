//! The event queues as operators see them (docs/http-api.md §5 `GET /admin/queues`): how much
//! waits, how much failed, and a way to send the dead letters round again once their cause is
//! fixed.

use async_trait::async_trait;

use super::PortResult;

/// One queue of event delivery: the outbox, or a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueStats {
    /// The queue's name (`outbox`, `email-events`, `audit-events`).
    pub name: String,
    /// Entries in the queue, whether waiting or in hand.
    pub length: u64,
    /// Entries handed to a consumer and not yet acknowledged.
    pub pending: u64,
    /// Consumers attached to the queue.
    pub consumers: u64,
    /// Entries that failed their last attempt and wait for a replay.
    pub dead_letters: u64,
}

/// Reports on event queues and replays their dead letters.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventQueues: Send + Sync {
    /// The queues this adapter knows, with their figures now.
    async fn stats(&self) -> PortResult<Vec<QueueStats>>;

    /// Puts the dead letters of `queue` back for delivery, each with a fresh set of attempts,
    /// and returns how many went back. `Ok(None)` when this adapter has no queue of that name.
    async fn replay_dead_letters(&self, queue: &str) -> PortResult<Option<u64>>;
}
