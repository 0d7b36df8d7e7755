//! Event delivery: move committed outbox events to their publisher, one batch at a time. A
//! background loop calls it; tests call it until the outbox is empty instead of sleeping.

use std::sync::Arc;

use tracing::{debug, warn};

use crate::domain::{Event, EventId};
use crate::error::error_chain;
use crate::ports::{EventPublisher, Outbox, PortError, PortResult};

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

/// A batch published and not yet marked so, as [`DeliverEvents::publish_next`] leaves it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishedBatch {
    /// What the batch did; its published events are those of `unmarked`.
    pub report: DeliveryReport,
    /// The events published, for [`DeliverEvents::mark_published`].
    pub unmarked: Vec<EventId>,
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

    /// Publishes one batch of claimed events, oldest first, and marks them published: what
    /// [`Self::publish_next`] and [`Self::mark_published`] do one after the other.
    ///
    /// # Errors
    /// Only when the outbox itself cannot be read or updated.
    pub async fn deliver_batch(&self) -> PortResult<DeliveryReport> {
        let batch = self.publish_next().await?;
        self.mark_published(&batch.unmarked).await?;
        Ok(batch.report)
    }

    /// Publishes one batch of claimed events, oldest first, in one call to the publisher, and
    /// leaves marking them published to the caller, so that a relay can mark one batch while it
    /// claims and publishes the next. Until they are marked the events stay claimed; if they
    /// never are (the process died), they go out again when their lease ends, which delivery at
    /// least once allows.
    ///
    /// If the batch call fails for a reason other than an outage, the batch goes out again one
    /// event at a time (so an event of a failed batch is published twice per attempt), so that
    /// the failure is recorded against its event and does not hold back the others. An
    /// unreachable publisher leaves the events waiting: they are released, to go out in order
    /// once it is back.
    ///
    /// # Errors
    /// Only when the outbox itself cannot be read or updated.
    pub async fn publish_next(&self) -> PortResult<PublishedBatch> {
        let events = self.outbox.claim(self.batch_size).await?;
        // A lone event has nothing to gain from the batch call, and would be tried twice.
        if events.len() < 2 {
            return self.deliver_one_by_one(&events).await;
        }
        match self.publisher.publish_batch(&events).await {
            Ok(()) => {
                let unmarked: Vec<EventId> = events.iter().map(Event::event_id).collect();
                Ok(PublishedBatch {
                    report: DeliveryReport {
                        published: unmarked.len(),
                        ..DeliveryReport::default()
                    },
                    unmarked,
                })
            }
            Err(PortError::Unavailable(cause)) => {
                let report = self
                    .release(&events, &cause, DeliveryReport::default())
                    .await?;
                Ok(PublishedBatch {
                    report,
                    unmarked: Vec::new(),
                })
            }
            Err(error) => {
                debug!(
                    events = events.len(),
                    error = &error as &dyn std::error::Error,
                    "batch publication failed; publishing its events one at a time"
                );
                self.deliver_one_by_one(&events).await
            }
        }
    }

    /// Marks published events so, ending their claim for good.
    ///
    /// # Errors
    /// When the outbox cannot be updated; the events stay claimed until their lease ends.
    pub async fn mark_published(&self, ids: &[EventId]) -> PortResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.outbox.mark_published(ids).await
    }

    async fn deliver_one_by_one(&self, events: &[Event]) -> PortResult<PublishedBatch> {
        let mut published: Vec<EventId> = Vec::with_capacity(events.len());
        let mut report = DeliveryReport::default();
        for (position, event) in events.iter().enumerate() {
            match self.publisher.publish(event).await {
                Ok(()) => published.push(event.event_id()),
                Err(PortError::Unavailable(cause)) => {
                    report = self.release(&events[position..], &cause, report).await?;
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
        report.published = published.len();
        Ok(PublishedBatch {
            report,
            unmarked: published,
        })
    }

    /// Hands `waiting` back to the outbox without counting an attempt: the publisher is
    /// unreachable because of `cause`.
    async fn release(
        &self,
        waiting: &[Event],
        cause: &(dyn std::fmt::Display + Sync),
        report: DeliveryReport,
    ) -> PortResult<DeliveryReport> {
        debug!(events = waiting.len(), error = %cause, "publisher unreachable; events wait in the outbox");
        let ids: Vec<EventId> = waiting.iter().map(Event::event_id).collect();
        self.outbox.release(&ids).await?;
        Ok(DeliveryReport {
            deferred: ids.len(),
            ..report
        })
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

    fn three_events() -> ([Event; 3], Vec<EventId>) {
        let events = [event(), event(), event()];
        let ids = events.iter().map(Event::event_id).collect();
        (events, ids)
    }

    #[tokio::test]
    async fn a_batch_is_published_and_marked_in_one_call_each() {
        let (events, ids) = three_events();
        let claimed = events.to_vec();
        let mut outbox = MockOutbox::new();
        outbox
            .expect_claim()
            .returning(move |_| Ok(claimed.clone()));
        let marked = ids.clone();
        outbox
            .expect_mark_published()
            .withf(move |published| published == marked.as_slice())
            .times(1)
            .returning(|_| Ok(()));
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish_batch()
            .withf(move |batch| batch == events.as_slice())
            .times(1)
            .returning(|_| Ok(()));
        publisher.expect_publish().never();

        let report = DeliverEvents::new(Arc::new(outbox), Arc::new(publisher), 50)
            .deliver_batch()
            .await
            .unwrap();

        assert_eq!(report.published, 3);
        assert!(!report.is_blocked());
    }

    #[tokio::test]
    async fn an_unreachable_publisher_leaves_the_whole_batch_waiting() {
        let (events, ids) = three_events();
        let mut outbox = MockOutbox::new();
        outbox
            .expect_claim()
            .returning(move |_| Ok(events.to_vec()));
        outbox
            .expect_release()
            .withf(move |released| released == ids.as_slice())
            .times(1)
            .returning(|_| Ok(()));
        outbox.expect_mark_published().never();
        outbox.expect_record_failure().never();
        let mut publisher = MockEventPublisher::new();
        publisher
            .expect_publish_batch()
            .returning(|_| Err(PortError::unavailable("broker down")));
        publisher.expect_publish().never();

        let report = DeliverEvents::new(Arc::new(outbox), Arc::new(publisher), 50)
            .deliver_batch()
            .await
            .unwrap();

        assert_eq!(report.deferred, 3);
        assert!(report.is_blocked());
    }

    #[tokio::test]
    async fn a_failed_batch_goes_out_one_event_at_a_time_and_only_the_successes_are_marked() {
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
        publisher
            .expect_publish_batch()
            .times(1)
            .returning(|_| Err(PortError::unexpected("handler down")));
        publisher.expect_publish().returning(move |e| {
            if e.event_id() == bad_id {
                Err(PortError::unexpected("handler down"))
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
    async fn losing_the_publisher_during_the_one_at_a_time_retry_releases_the_rest() {
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
        publisher
            .expect_publish_batch()
            .returning(|_| Err(PortError::unexpected("first event rejected")));
        publisher.expect_publish().times(2).returning(move |e| {
            if e.event_id() == first_id {
                Ok(())
            } else {
                Err(PortError::unavailable("broker down"))
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
    async fn publishing_the_next_batch_leaves_its_marking_to_the_caller() {
        let (events, ids) = three_events();
        let mut outbox = MockOutbox::new();
        outbox
            .expect_claim()
            .returning(move |_| Ok(events.to_vec()));
        outbox.expect_mark_published().never();
        let mut publisher = MockEventPublisher::new();
        publisher.expect_publish_batch().returning(|_| Ok(()));

        let batch = DeliverEvents::new(Arc::new(outbox), Arc::new(publisher), 50)
            .publish_next()
            .await
            .unwrap();

        assert_eq!(batch.unmarked, ids);
        assert_eq!(batch.report.published, 3);
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
