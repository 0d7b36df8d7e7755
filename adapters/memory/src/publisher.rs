//! Publication to in-process handlers, in order, stopping at the first failure.

use std::sync::Arc;

use async_trait::async_trait;
use postern_core::domain::Event;
use postern_core::ports::{EventHandler, EventPublisher};
use postern_core::ports::{PortError, PortResult};

/// Hands every event to each handler in turn.
pub struct InProcessPublisher {
    handlers: Vec<Arc<dyn EventHandler>>,
}

impl InProcessPublisher {
    /// A publisher calling `handlers` in this order.
    pub fn new(handlers: Vec<Arc<dyn EventHandler>>) -> Self {
        Self { handlers }
    }
}

/// Which handler failed on what (an event, or a batch); the handler's own error is the source.
#[derive(Debug, thiserror::Error)]
#[error("event handler `{handler}` failed on {subject}")]
struct HandlerFailed {
    handler: &'static str,
    subject: String,
    #[source]
    source: PortError,
}

#[async_trait]
impl EventPublisher for InProcessPublisher {
    /// # Errors
    /// The first handler failure, naming the handler. The handlers before it have seen the
    /// event and will see it again at the retry; the ones after it have not.
    async fn publish(&self, event: &Event) -> PortResult<()> {
        for handler in &self.handlers {
            handler.handle(event).await.map_err(|source| {
                let subject = format!("{} event {}", event.data.type_name(), event.id);
                handler_failed(handler.name(), subject, source)
            })?;
        }
        Ok(())
    }

    /// Each handler takes the whole batch in turn, so a handler that writes a batch at once
    /// (the audit log) does.
    ///
    /// # Errors
    /// As [`Self::publish`], for the batch.
    async fn publish_batch(&self, events: &[Event]) -> PortResult<()> {
        for handler in &self.handlers {
            handler.handle_batch(events).await.map_err(|source| {
                let subject = format!("a batch of {} events", events.len());
                handler_failed(handler.name(), subject, source)
            })?;
        }
        Ok(())
    }
}

/// Keeps a handler's "unavailable" a [`PortError::Unavailable`], so that an outage still reads
/// as one; anything else is unexpected.
fn handler_failed(handler: &'static str, subject: String, source: PortError) -> PortError {
    let unavailable = matches!(source, PortError::Unavailable(_));
    let failure = HandlerFailed {
        handler,
        subject,
        source,
    };
    if unavailable {
        PortError::unavailable(failure)
    } else {
        PortError::unexpected(failure)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use postern_core::domain::EventData;
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;

    /// Remembers the events it was handed.
    #[derive(Default)]
    struct Recorder {
        seen: Mutex<Vec<Uuid>>,
    }

    impl Recorder {
        fn seen(&self) -> Vec<Uuid> {
            self.seen.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl EventHandler for Recorder {
        fn name(&self) -> &'static str {
            "recorder"
        }

        async fn handle(&self, event: &Event) -> PortResult<()> {
            self.seen.lock().unwrap().push(event.id);
            Ok(())
        }
    }

    /// Fails every event with an outage of its backend.
    struct Broken;

    #[async_trait]
    impl EventHandler for Broken {
        fn name(&self) -> &'static str {
            "broken"
        }

        async fn handle(&self, _event: &Event) -> PortResult<()> {
            Err(PortError::unavailable("smtp server down"))
        }
    }

    fn event() -> Event {
        Event::new(
            EventData::ProfileUpdated { name: None },
            None,
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[tokio::test]
    async fn every_handler_sees_every_event_once() {
        let (first, second) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
        let publisher = InProcessPublisher::new(vec![first.clone(), second.clone()]);
        let events = [event(), event()];

        for event in &events {
            publisher.publish(event).await.unwrap();
        }

        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        assert_eq!(first.seen(), ids);
        assert_eq!(second.seen(), ids);
    }

    #[tokio::test]
    async fn a_failing_handler_stops_publication_and_is_named() {
        let (before, after) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
        let publisher =
            InProcessPublisher::new(vec![before.clone(), Arc::new(Broken), after.clone()]);
        let event = event();

        let error = publisher.publish(&event).await.unwrap_err();

        let PortError::Unavailable(cause) = &error else {
            panic!("expected Unavailable, got {error:?}");
        };
        assert!(cause.to_string().contains("`broken`"));
        assert!(cause.to_string().contains(&event.id.to_string()));
        assert_eq!(
            cause.source().map(ToString::to_string).as_deref(),
            Some("a dependency is unavailable")
        );
        assert_eq!(before.seen(), [event.id]);
        assert!(after.seen().is_empty());
    }

    #[tokio::test]
    async fn a_batch_goes_to_each_handler_in_turn_and_an_outage_stays_one() {
        let (before, after) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
        let publisher =
            InProcessPublisher::new(vec![before.clone(), Arc::new(Broken), after.clone()]);
        let events = [event(), event()];

        let error = publisher.publish_batch(&events).await.unwrap_err();

        let PortError::Unavailable(cause) = &error else {
            panic!("expected Unavailable, got {error:?}");
        };
        assert!(
            cause
                .to_string()
                .contains("`broken` failed on a batch of 2 events")
        );
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        assert_eq!(before.seen(), ids);
        assert!(after.seen().is_empty());
    }
}
