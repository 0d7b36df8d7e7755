//! Ports of event delivery (§7): the transactional outbox that keeps events until they are
//! delivered or dead-lettered, the publisher that hands them on, and the handlers that react.

use async_trait::async_trait;

use crate::domain::{Event, EventId};
use crate::error::Result;

/// The transactional outbox: events written with their changes, waiting to be published.
///
/// A failed event is retried with exponential backoff; after the adapter's maximum number of
/// attempts (3 by default, §7) it is dead-lettered: no longer pending, but kept in the outbox,
/// with its last error, until it is replayed.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Writes an event that accompanies no other change (e.g. a failed login for an unknown
    /// email).
    async fn append(&self, event: &Event) -> Result<()>;

    /// Up to `limit` unpublished events that are due, oldest first: neither waiting out the
    /// backoff of a failed attempt nor dead-lettered.
    ///
    /// A stored event that can no longer be read (a renamed type, a row written by a newer
    /// version) is left out and recorded as a failed attempt with the reason, as
    /// [`Self::record_failure`] would, so that it ends among the dead letters instead of
    /// blocking the events behind it.
    ///
    /// # Errors
    /// Only when the outbox itself cannot be read or updated, never because of one event.
    async fn pending(&self, limit: u64) -> Result<Vec<Event>>;

    /// Marks events published, so they are not handed out again.
    async fn mark_published(&self, ids: &[EventId]) -> Result<()>;

    /// Records a failed publication attempt of one event, with `reason` as its last error. The
    /// event stays pending, due again after its backoff, unless this was its last allowed
    /// attempt: then it is dead-lettered and stays in the outbox until replayed. A failure of an
    /// event already dead-lettered changes nothing.
    async fn record_failure(&self, id: EventId, reason: &str) -> Result<()>;
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
    /// An error leaves the event in the outbox for the next attempt.
    async fn publish(&self, event: &Event) -> Result<()>;
}

/// Reacts to delivered events: the audit log, the mailer. Must be idempotent by event id,
/// because an event can arrive more than once.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// A short name for logs and metrics, e.g. `audit`.
    fn name(&self) -> &'static str;

    /// Handles one event; events the handler does not care about succeed at once.
    async fn handle(&self, event: &Event) -> Result<()>;
}
