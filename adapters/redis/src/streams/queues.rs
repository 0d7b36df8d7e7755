//! [`EventQueues`] for the streams: their length, what their groups hold pending, how many
//! consumers they have, and their dead letters, which a replay appends to the stream again.

use async_trait::async_trait;
use fred::clients::Pool;
use fred::interfaces::{StreamsInterface, TransactionInterface};
use fred::types::Value;
use postern_core::ports::PortResult;
use postern_core::ports::{EventQueues, QueueStats};

use super::entry::{entries_from, groups_from};
use super::{EventStream, StreamKeys};
use crate::redis_error;

/// How many dead letters one replay step moves.
const REPLAY_BATCH: u64 = 100;

/// The streams under one prefix, as queues.
#[derive(Clone)]
pub struct StreamQueues {
    redis: Pool,
    prefix: String,
}

impl StreamQueues {
    /// The streams under `prefix` in `redis`.
    pub fn new(redis: Pool, prefix: &str) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
        }
    }

    async fn stats_of(&self, keys: &StreamKeys) -> PortResult<QueueStats> {
        let length: u64 = self
            .redis
            .xlen(keys.entries.as_str())
            .await
            .map_err(redis_error)?;
        let dead_letters: u64 = self
            .redis
            .xlen(keys.dead_letters.as_str())
            .await
            .map_err(redis_error)?;
        let (pending, consumers) = if length == 0 {
            (0, 0)
        } else {
            self.group_figures(keys).await?
        };
        Ok(QueueStats {
            name: keys.stream.name().to_owned(),
            length,
            pending,
            consumers,
            dead_letters,
        })
    }

    /// The pending entries and consumers of the stream's group; none before a worker created
    /// it.
    async fn group_figures(&self, keys: &StreamKeys) -> PortResult<(u64, u64)> {
        let groups: std::result::Result<Value, _> =
            self.redis.xinfo_groups(keys.entries.as_str()).await;
        let groups = match groups {
            Ok(groups) => groups_from(groups),
            // A stream created by XADD alone has no groups yet.
            Err(error) if error.details().contains("no such key") => return Ok((0, 0)),
            Err(error) => return Err(redis_error(error)),
        };
        let group = groups.iter().find(|group| {
            group.get("name").and_then(Value::as_string).as_deref() == Some(keys.stream.group())
        });
        let number = |field: &str| {
            group
                .and_then(|group| group.get(field))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        Ok((number("pending"), number("consumers")))
    }

    /// Moves one batch of dead letters back to the stream; returns how many moved.
    async fn replay_batch(&self, keys: &StreamKeys) -> PortResult<u64> {
        let dead: Value = self
            .redis
            .xrange(keys.dead_letters.as_str(), "-", "+", Some(REPLAY_BATCH))
            .await
            .map_err(redis_error)?;
        let entries = entries_from(dead);
        for entry in &entries {
            // Append and delete together, so a letter is never in both places nor in neither.
            let transaction = self.redis.next().multi();
            let _: Value = transaction
                .xadd(
                    keys.entries.as_str(),
                    false,
                    None,
                    "*",
                    entry.original_fields(),
                )
                .await
                .map_err(redis_error)?;
            let _: Value = transaction
                .xdel(keys.dead_letters.as_str(), entry.id.as_str())
                .await
                .map_err(redis_error)?;
            let _: Value = transaction.exec(true).await.map_err(redis_error)?;
        }
        Ok(entries.len() as u64)
    }
}

#[async_trait]
impl EventQueues for StreamQueues {
    async fn stats(&self) -> PortResult<Vec<QueueStats>> {
        let mut stats = Vec::with_capacity(EventStream::ALL.len());
        for stream in EventStream::ALL {
            stats.push(
                self.stats_of(&StreamKeys::new(&self.prefix, stream))
                    .await?,
            );
        }
        Ok(stats)
    }

    async fn replay_dead_letters(&self, queue: &str) -> PortResult<Option<u64>> {
        let Some(stream) = EventStream::from_name(queue) else {
            return Ok(None);
        };
        let keys = StreamKeys::new(&self.prefix, stream);
        let mut replayed = 0;
        // Each batch reads from the start of the list; the loop ends at a short one, so letters
        // dead-lettered again while it runs wait for the next replay instead of looping.
        loop {
            let moved = self.replay_batch(&keys).await?;
            replayed += moved;
            if moved < REPLAY_BATCH {
                return Ok(Some(replayed));
            }
        }
    }
}
