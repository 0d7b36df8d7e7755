//! [`EventPublisher`] onto the streams: the outbox relay's destination when Redis is
//! configured.

use async_trait::async_trait;
use fred::clients::Pool;
use fred::interfaces::{StreamsInterface, TransactionInterface};
use fred::types::Value;
use postern_core::domain::Event;
use postern_core::ports::EventPublisher;
use postern_core::ports::PortResult;

use super::entry::fields_of;
use super::{EventStream, StreamKeys};
use crate::redis_error;

/// Appends each event to `audit-events` and, when it sends mail, to `email-events`.
#[derive(Clone)]
pub struct StreamPublisher {
    redis: Pool,
    email: StreamKeys,
    audit: StreamKeys,
}

impl StreamPublisher {
    /// A publisher writing to the streams under `prefix` through `redis`.
    pub fn new(redis: Pool, prefix: &str) -> Self {
        Self {
            redis,
            email: StreamKeys::new(prefix, EventStream::Email),
            audit: StreamKeys::new(prefix, EventStream::Audit),
        }
    }
}

#[async_trait]
impl EventPublisher for StreamPublisher {
    async fn publish(&self, event: &Event) -> PortResult<()> {
        self.publish_batch(std::slice::from_ref(event)).await
    }

    /// All the batch's appends happen in one MULTI/EXEC: one round trip for the batch, and an
    /// event never reaches one stream without the other. A failure is `Unavailable` and the
    /// events wait in the outbox.
    async fn publish_batch(&self, events: &[Event]) -> PortResult<()> {
        let transaction = self.redis.next().multi();
        for event in events {
            let fields = fields_of(event)?;
            let mut keys = vec![&self.audit.entries];
            if event.data.sends_mail() {
                keys.push(&self.email.entries);
            }
            for key in keys {
                let _: Value = transaction
                    .xadd(key.as_str(), false, None, "*", fields.clone())
                    .await
                    .map_err(redis_error)?;
            }
        }
        let _: Value = transaction.exec(true).await.map_err(redis_error)?;
        Ok(())
    }
}
