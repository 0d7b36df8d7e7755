//! Event queue administration (docs/http-api.md §5): the figures of every queue, and the replay of
//! one queue's dead letters, over however many queue adapters the deployment has (the outbox,
//! streams).

use std::sync::Arc;

use tracing::{info, instrument};

use crate::error::BoxError;
use crate::ports::{EventQueues, PortResult, QueueStats};

/// Why no dead letters were replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// No adapter has a queue of that name.
    #[error("no such queue")]
    UnknownQueue,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// The queues of a deployment, for operators.
pub struct QueueAdmin {
    queues: Vec<Arc<dyn EventQueues>>,
}

impl QueueAdmin {
    /// Administers `queues`; each queue name must belong to one of them.
    pub fn new(queues: Vec<Arc<dyn EventQueues>>) -> Self {
        Self { queues }
    }

    /// Every queue's figures, in the adapters' order.
    ///
    /// # Errors
    /// When an adapter cannot read its queues.
    pub async fn stats(&self) -> PortResult<Vec<QueueStats>> {
        let mut all = Vec::new();
        for queues in &self.queues {
            all.extend(queues.stats().await?);
        }
        Ok(all)
    }

    /// Puts the dead letters of `queue` back for delivery and returns how many went back.
    ///
    /// # Errors
    /// [`ReplayError::UnknownQueue`] when no adapter has a queue of that name.
    #[instrument(skip(self))]
    pub async fn replay_dead_letters(&self, queue: &str) -> Result<u64, ReplayError> {
        for queues in &self.queues {
            if let Some(replayed) = queues.replay_dead_letters(queue).await? {
                info!(replayed, "dead letters replayed");
                return Ok(replayed);
            }
        }
        Err(ReplayError::UnknownQueue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockEventQueues;

    fn queue(name: &'static str, replayed: u64) -> Arc<dyn EventQueues> {
        let mut queues = MockEventQueues::new();
        queues.expect_stats().returning(move || {
            Ok(vec![QueueStats {
                name: name.to_owned(),
                length: 1,
                pending: 0,
                consumers: 1,
                dead_letters: replayed,
            }])
        });
        queues
            .expect_replay_dead_letters()
            .returning(move |asked| Ok((asked == name).then_some(replayed)));
        Arc::new(queues)
    }

    #[tokio::test]
    async fn stats_cover_every_adapter_and_replay_goes_to_the_owner() {
        let admin = QueueAdmin::new(vec![queue("outbox", 2), queue("audit-events", 5)]);

        let names: Vec<String> = admin
            .stats()
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.name)
            .collect();

        assert_eq!(names, ["outbox", "audit-events"]);
        assert_eq!(admin.replay_dead_letters("audit-events").await.unwrap(), 5);
        assert!(matches!(
            admin.replay_dead_letters("nowhere").await,
            Err(ReplayError::UnknownQueue)
        ));
    }
}
