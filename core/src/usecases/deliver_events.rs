//! Event delivery: move committed outbox events to their publisher, one batch at a time. A
//! background loop calls it; tests call it until the outbox is empty instead of sleeping.

use std::sync::Arc;

use tracing::warn;

use crate::domain::EventId;
use crate::error::{Result, error_chain};
use crate::ports::{EventPublisher, Outbox};

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Events published and marked so.
    pub published: usize,
    /// Events whose publication failed; they stay in the outbox.
    pub failed: usize,
}

impl DeliveryReport {
    /// Whether the batch found nothing to do, so the caller may wait before the next one.
    pub fn is_idle(&self) -> bool {
        self.published == 0 && self.failed == 0
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

    /// Publishes one batch of pending events, oldest first. A failed event is recorded and left
    /// for a later batch; it does not hold back the others.
    ///
    /// # Errors
    /// Only when the outbox itself cannot be read or updated.
    pub async fn deliver_batch(&self) -> Result<DeliveryReport> {
        let events = self.outbox.pending(self.batch_size).await?;
        let mut published: Vec<EventId> = Vec::with_capacity(events.len());
        let mut failed = 0;
        for event in &events {
            match self.publisher.publish(event).await {
                Ok(()) => published.push(event.event_id()),
                Err(error) => {
                    failed += 1;
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
        Ok(DeliveryReport {
            published: published.len(),
            failed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::domain::{Event, EventData};
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
            .expect_pending()
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
                Err(Error::unavailable("handler down"))
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
                failed: 1
            }
        );
    }

    #[tokio::test]
    async fn an_empty_outbox_is_idle() {
        let mut outbox = MockOutbox::new();
        outbox.expect_pending().returning(|_| Ok(vec![]));

        let report = DeliverEvents::new(Arc::new(outbox), Arc::new(MockEventPublisher::new()), 10)
            .deliver_batch()
            .await
            .unwrap();

        assert!(report.is_idle());
    }
}
