//! Event queue administration (§5): the figures of every queue, and the replay of one queue's
//! dead letters, over however many queue adapters the deployment has (the outbox, streams).

use std::sync::Arc;

use tracing::{info, instrument};

use crate::error::{Error, Result};
use crate::ports::{EventQueues, QueueStats};

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
    pub async fn stats(&self) -> Result<Vec<QueueStats>> {
        let mut all = Vec::new();
        for queues in &self.queues {
            all.extend(queues.stats().await?);
        }
        Ok(all)
    }

    /// Puts the dead letters of `queue` back for delivery and returns how many went back.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no adapter has a queue of that name.
    #[instrument(skip(self))]
    pub async fn replay_dead_letters(&self, queue: &str) -> Result<u64> {
        for queues in &self.queues {
            if let Some(replayed) = queues.replay_dead_letters(queue).await? {
                info!(replayed, "dead letters replayed");
                return Ok(replayed);
            }
        }
        Err(Error::NotFound)
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
            Err(Error::NotFound)
        ));
    }
}
