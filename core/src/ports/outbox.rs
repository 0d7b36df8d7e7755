//! Ports of event delivery (docs/http-api.md §7): the transactional outbox that keeps events until
//! they are delivered or dead-lettered, the publisher that hands them on, and the handlers that
//! react.

use async_trait::async_trait;

use super::PortResult;
use crate::domain::{Event, EventId};

/// How every [`Outbox`] adapter retries: the same attempt limit, lease and backoff, so that the
/// in-memory fake and the databases dead-letter and re-deliver alike.
pub mod retry {
    use time::Duration;

    /// Failed attempts after which an event is dead-lettered, unless configured otherwise.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

    /// How long a claimed event is withheld from other relays, unless configured otherwise: far
    /// longer than publishing a batch takes, short enough that a dead relay's batch is soon
    /// published by another.
    pub const DEFAULT_LEASE: Duration = Duration::seconds(30);

    /// The longest wait between two attempts.
    pub const MAX_BACKOFF: Duration = Duration::minutes(5);

    /// How much of a failure's description an outbox keeps.
    pub const MAX_ERROR_CHARS: usize = 2000;

    /// How long an event waits after its `attempts`-th failure: 1 s, doubling, at most
    /// [`MAX_BACKOFF`].
    pub fn backoff(attempts: i32) -> Duration {
        // 2^9 s already exceeds the cap, so larger exponents need not be computed.
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 9)).unwrap_or(0);
        Duration::seconds(1_i64 << doublings).min(MAX_BACKOFF)
    }

    /// `reason` cut to what an outbox keeps of a failure's description.
    pub fn truncated(reason: &str) -> String {
        reason.chars().take(MAX_ERROR_CHARS).collect()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn backoff_doubles_from_one_second_up_to_five_minutes() {
            assert_eq!(backoff(1), Duration::seconds(1));
            assert_eq!(backoff(2), Duration::seconds(2));
            assert_eq!(backoff(9), Duration::seconds(256));
            assert_eq!(backoff(10), MAX_BACKOFF);
            assert_eq!(backoff(i32::MAX), MAX_BACKOFF);
        }

        #[test]
        fn truncated_keeps_at_most_the_limit_in_characters() {
            assert_eq!(
                truncated("é".repeat(MAX_ERROR_CHARS + 5).as_str())
                    .chars()
                    .count(),
                MAX_ERROR_CHARS
            );
            assert_eq!(truncated("short"), "short");
        }
    }
}

/// The transactional outbox: events written with their changes, waiting to be published.
///
/// A failed event is retried with exponential backoff ([`retry::backoff`]); after the adapter's
/// maximum number of attempts ([`retry::DEFAULT_MAX_ATTEMPTS`] by default) it is dead-lettered: no
/// longer pending, but kept in the outbox, with its last error, until it is replayed.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Writes an event that accompanies no other change (e.g. a failed login for an unknown
    /// email).
    async fn append(&self, event: &Event) -> PortResult<()>;

    /// Claims up to `limit` unpublished events that are due, oldest first: neither waiting out
    /// the backoff of a failed attempt, nor dead-lettered, nor claimed by another relay whose
    /// lease still runs.
    ///
    /// A claim is a lease: the events are handed to no relay, this one included, until they
    /// are published, their failure is recorded, they are released, or the lease (set by the
    /// adapter, long enough to publish a batch) runs out. So several relays may run at once
    /// without publishing the same event twice in normal operation, and the events of a relay
    /// that died mid-batch go out again once its lease ends.
    ///
    /// A stored event that can no longer be read (a renamed type, a row written by a newer
    /// version) is left out and recorded as a failed attempt with the reason, as
    /// [`Self::record_failure`] would, so that it ends among the dead letters instead of
    /// blocking the events behind it.
    ///
    /// # Errors
    /// Only when the outbox itself cannot be read or updated, never because of one event.
    async fn claim(&self, limit: u64) -> PortResult<Vec<Event>>;

    /// Ends the claim on events that were not published because the publisher could not be
    /// reached, without counting an attempt: they are due again at once.
    async fn release(&self, ids: &[EventId]) -> PortResult<()>;

    /// Marks events published, so they are not handed out again. MUST erase, in the same step,
    /// the personal data of those that keep their address only until delivered
    /// ([`EventData::keeps_address_until_delivered`](crate::domain::EventData::keeps_address_until_delivered)).
    async fn mark_published(&self, ids: &[EventId]) -> PortResult<()>;

    /// Records a failed publication attempt of one event, with `reason` as its last error. The
    /// event stays pending, due again after its backoff, unless this was its last allowed
    /// attempt: then it is dead-lettered and stays in the outbox until replayed. A failure of an
    /// event already dead-lettered changes nothing.
    async fn record_failure(&self, id: EventId, reason: &str) -> PortResult<()>;
}

/// Hands an event on from the outbox: to in-process handlers in the embedded default, to a
/// stream when a broker is configured. Delivery is at least once, so receivers deduplicate by
/// event id.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes one event.
    ///
    /// # Errors
    /// [`super::PortError::Unavailable`] when the destination cannot be reached: the event waits in
    /// the outbox, no attempt counted, until it can. Any other error is a failed attempt of
    /// this event, retried with backoff and dead-lettered after the last attempt.
    async fn publish(&self, event: &Event) -> PortResult<()>;

    /// Publishes a batch of events, in order. `Ok` means every event went out. After any
    /// error some of them may have gone out: the caller publishes the batch again one event at
    /// a time, which delivery at least once allows, so the failure is pinned on its event.
    ///
    /// The default calls [`Self::publish`] for each event; a publisher that can hand on a batch
    /// in one round trip (a broker) overrides it, since that is where throughput comes from.
    ///
    /// # Errors
    /// As [`Self::publish`]; [`super::PortError::Unavailable`] leaves the whole batch waiting.
    async fn publish_batch(&self, events: &[Event]) -> PortResult<()> {
        for event in events {
            self.publish(event).await?;
        }
        Ok(())
    }
}

/// Reacts to delivered events: the audit log, the mailer. Must be idempotent by event id,
/// because an event can arrive more than once.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// A short name for logs and metrics, e.g. `audit`.
    fn name(&self) -> &'static str;

    /// Whether the handler acts on `event` at all. Wrappers use it to skip their own work
    /// (deduplication records) for events the handler would ignore. The default, every
    /// event, is right for handlers that act on every event.
    fn handles(&self, _event: &Event) -> bool {
        true
    }

    /// Handles one event; events the handler does not care about succeed at once.
    async fn handle(&self, event: &Event) -> PortResult<()>;

    /// Handles a batch of events, in order. `Ok` means every event was handled. After any
    /// error some of them may have been: the caller hands them over again one at a time, which
    /// idempotence allows, so that retries and dead letters concern only the failing event.
    ///
    /// The default calls [`Self::handle`] for each event; a handler that can act on a batch at
    /// once (one multi-row insert) overrides it.
    ///
    /// # Errors
    /// As [`Self::handle`].
    async fn handle_batch(&self, events: &[Event]) -> PortResult<()> {
        for event in events {
            self.handle(event).await?;
        }
        Ok(())
    }
}

/// Remembers which handler has handled which event, for handlers whose effects cannot be
/// repeated harmlessly (a mail), so that an event delivered twice is acted on once.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait HandledEvents: Send + Sync {
    /// Whether `handler` has already handled `event`.
    async fn was_handled(&self, handler: &str, event: EventId) -> PortResult<bool>;

    /// Records that `handler` has handled `event`; recording it twice is not an error.
    async fn record_handled(&self, handler: &str, event: EventId) -> PortResult<()>;
}
