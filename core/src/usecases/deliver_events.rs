//! Event delivery: move committed outbox events to their publisher, one batch at a time. A
//! background loop calls it; tests call it until the outbox is empty instead of sleeping.

use std::sync::Arc;

use tracing::{debug, warn};

use crate::Error;
use crate::domain::{Event, EventId};
use crate::error::{Result, error_chain};
use crate::ports::{EventPublisher, Outbox};

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Events published and marked so.
    pub published: usize,
    /// Events whose publication failed; they stay in the outbox, one attempt counted.
    pub failed: usize,
    /// Events not published because the publisher was unreachable; they wait in the outbox,
    /// no attempt counted.
    pub deferred: usize,
}

impl DeliveryReport {
    /// Whether the batch found nothing to do, so the caller may wait before the next one.
    pub fn is_idle(&self) -> bool {
        self.published == 0 && self.failed == 0 && self.deferred == 0
    }

    /// Whether the publisher was unreachable, so the caller should wait before trying again.
    pub fn is_blocked(&self) -> bool {
        self.deferred > 0
    }
}

/// Delivers outbox events.
pub struct DeliverEvents {
    outbox: Arc<dyn Outbox>,
    publisher: Arc<dyn EventPublisher>,
    batch_size: u64,
}

impl DeliverEvents {
    /// Delivers from `outbox` to `publisher`, `batch_size` events at a time.
    pub fn new(
        outbox: Arc<dyn Outbox>,
        publisher: Arc<dyn EventPublisher>,
        batch_size: u64,
    ) -> Self {
        Self {
            outbox,
            publisher,
            batch_size,
        }
    }

    /// Publishes one batch of claimed events, oldest first. A failed event is recorded and left
    /// for a later batch; it does not hold back the others. An unreachable publisher ends the
    /// batch: the rest of it is released, to go out in order once the publisher is back.
    ///
    /// # Errors
    /// Only when the outbox itself cannot be read or updated.
    pub async fn deliver_batch(&self) -> Result<DeliveryReport> {
        let events = self.outbox.claim(self.batch_size).await?;
        let mut published: Vec<EventId> = Vec::with_capacity(events.len());
        let mut report = DeliveryReport::default();
        for (position, event) in events.iter().enumerate() {
            match self.publisher.publish(event).await {
                Ok(()) => published.push(event.event_id()),
                Err(Error::Unavailable(cause)) => {
                    let waiting: Vec<EventId> =
                        events[position..].iter().map(Event::event_id).collect();
                    debug!(events = waiting.len(), error = %cause, "publisher unreachable; events wait in the outbox");
                    self.outbox.release(&waiting).await?;
                    report.deferred = waiting.len();
                    break;
                }
                Err(error) => {
                    report.failed += 1;
                    warn!(event_id = %event.id, event_type = event.data.type_name(), error = &error as &dyn std::error::Error, "event delivery failed; will retry");
                    self.outbox
                        .record_failure(event.event_id(), &error_chain(&error))
                        .await?;
                }
            }
        }
        if !published.is_empty() {
            self.outbox.mark_published(&published).await?;
        }
        report.published = published.len();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventData;
    use crate::ports::{MockEventPublisher, MockOutbox};
    use crate::usecases::testkit::NOW;

    fn event() -> Event {
        Event::new(EventData::ProfileUpdated { name: None }, None, NOW)
    }

    #[tokio::test]
    async fn publishes_a_batch_and_marks_only_the_successes() {
        let (ok, bad) = (event(), event());
        let (ok_id, bad_id) = (ok.event_id(), bad.event_id());
        let mut outbox = MockOutbox::new();
        outbox
            .expect_claim()
            .withf(|limit| *limit == 50)
            .returning(move |_| Ok(vec![ok.clone(), bad.clone()]));
        outbox
            .expect_record_failure()
            .withf(move |id, reason| *id == bad_id && reason.contains("handler down"))
            .times(1)
            .returning(|_, _| Ok(()));
        outbox
            .expect_mark_published()
            .withf(move |ids| ids == [ok_id])
            .times(1)
            .returning(|_| Ok(()));
        let mut publisher = MockEventPublisher::new();
        publisher.expect_publish().returning(move |e| {
            if e.event_id() == bad_id {
                Err(Error::unexpected("handler down"))
            } else {
                Ok(())
            }
        });

        let report = DeliverEvents::new(Arc::new(outbox), Arc::new(publisher), 50)
            .deliver_batch()
            .await
            .unwrap();

        assert_eq!(
            report,
            DeliveryReport {
                published: 1,
                failed: 1,
                deferred: 0
            }
        );
    }

    #[tokio::test]
    async fn an_unreachable_publisher_releases_the_rest_of_the_batch_without_counting_attempts() {
        let (first, second, third) = (event(), event(), event());
        let (first_id, second_id, third_id) =
            (first.event_id(), second.event_id(), third.event_id());
        let mut outbox = MockOutbox::new();
        outbox
            .expect_claim()
            .returning(move |_| Ok(vec![first.clone(), second.clone(), third.clone()]));
        outbox.expect_record_failure().never();
        outbox
            .expect_release()
            .withf(move |ids| ids == [second_id, third_id])
            .times(1)
            .returning(|_| Ok(()));
        outbox
            .expect_mark_published()
            .withf(move |ids| ids == [first_id])
            .times(1)
            .returning(|_| Ok(()));
        let mut publisher = MockEventPublisher::new();
        publisher.expect_publish().times(2).returning(move |e| {
            if e.event_id() == first_id {
                Ok(())
            } else {
                Err(Error::unavailable("broker down"))
            }
        });

        let report = DeliverEvents::new(Arc::new(outbox), Arc::new(publisher), 50)
            .deliver_batch()
            .await
            .unwrap();

        assert_eq!(
            report,
            DeliveryReport {
                published: 1,
                failed: 0,
                deferred: 2
            }
        );
        assert!(report.is_blocked());
    }

    #[tokio::test]
    async fn an_empty_outbox_is_idle() {
        let mut outbox = MockOutbox::new();
        outbox.expect_claim().returning(|_| Ok(vec![]));

        let report = DeliverEvents::new(Arc::new(outbox), Arc::new(MockEventPublisher::new()), 10)
            .deliver_batch()
            .await
            .unwrap();

        assert!(report.is_idle());
    }
}
