//! Exactly-once effects on at-least-once delivery: a handler wrapped in [`Deduplicated`] skips
//! events it has already handled. The record is written after the handler succeeded, so a
//! crash between the two can repeat an effect once; never can one be lost.

use std::sync::Arc;

use async_trait::async_trait;
use tracing::debug;

use crate::domain::Event;
use crate::ports::{EventHandler, HandledEvents, PortResult};

/// A handler that acts on each event id once.
pub struct Deduplicated {
    inner: Arc<dyn EventHandler>,
    handled: Arc<dyn HandledEvents>,
}

impl Deduplicated {
    /// Wraps `inner`, remembering what it handled in `handled` under its name.
    pub fn new(inner: Arc<dyn EventHandler>, handled: Arc<dyn HandledEvents>) -> Self {
        Self { inner, handled }
    }
}

#[async_trait]
impl EventHandler for Deduplicated {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn handles(&self, event: &Event) -> bool {
        self.inner.handles(event)
    }

    /// Events the inner handler ignores pass at once: recording them would cost a read and a
    /// write per event, and fill the record with events nothing acted on.
    async fn handle(&self, event: &Event) -> PortResult<()> {
        if !self.inner.handles(event) {
            return Ok(());
        }
        let name = self.inner.name();
        if self.handled.was_handled(name, event.event_id()).await? {
            debug!(handler = name, event_id = %event.id, "event already handled; skipped");
            return Ok(());
        }
        self.inner.handle(event).await?;
        self.handled.record_handled(name, event.event_id()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventData;
    use crate::ports::PortError;
    use crate::ports::{MockEventHandler, MockHandledEvents};
    use crate::usecases::testkit::NOW;

    fn event() -> Event {
        Event::new(EventData::ProfileUpdated { name: None }, None, NOW)
    }

    fn mailer(times: usize, outcome: fn() -> PortResult<()>) -> MockEventHandler {
        let mut inner = MockEventHandler::new();
        inner.expect_name().return_const("mail");
        inner.expect_handles().return_const(true);
        inner
            .expect_handle()
            .times(times)
            .returning(move |_| outcome());
        inner
    }

    #[tokio::test]
    async fn a_new_event_is_handled_then_recorded() {
        let event = event();
        let id = event.event_id();
        let mut handled = MockHandledEvents::new();
        handled.expect_was_handled().returning(|_, _| Ok(false));
        handled
            .expect_record_handled()
            .withf(move |name, event| name == "mail" && *event == id)
            .times(1)
            .returning(|_, _| Ok(()));

        let dedup = Deduplicated::new(Arc::new(mailer(1, || Ok(()))), Arc::new(handled));

        tokio::spawn(async move { dedup.handle(&event).await })
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn an_event_handled_before_is_skipped() {
        let mut handled = MockHandledEvents::new();
        handled.expect_was_handled().returning(|_, _| Ok(true));
        handled.expect_record_handled().never();

        Deduplicated::new(Arc::new(mailer(0, || Ok(()))), Arc::new(handled))
            .handle(&event())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_event_the_handler_ignores_passes_without_a_record() {
        let mut inner = MockEventHandler::new();
        inner.expect_handles().return_const(false);
        inner.expect_handle().never();
        let mut handled = MockHandledEvents::new();
        handled.expect_was_handled().never();
        handled.expect_record_handled().never();

        let dedup = Deduplicated::new(Arc::new(inner), Arc::new(handled));

        assert!(!dedup.handles(&event()));
        dedup.handle(&event()).await.unwrap();
    }

    #[tokio::test]
    async fn a_failure_is_not_recorded_so_the_retry_acts() {
        let mut handled = MockHandledEvents::new();
        handled.expect_was_handled().returning(|_, _| Ok(false));
        handled.expect_record_handled().never();

        let result = Deduplicated::new(
            Arc::new(mailer(1, || Err(PortError::unavailable("smtp down")))),
            Arc::new(handled),
        )
        .handle(&event())
        .await;

        assert!(matches!(result, Err(PortError::Unavailable(_))));
    }
}
