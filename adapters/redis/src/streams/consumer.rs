//! A member of a stream's consumer group: reads entries, hands their events to a handler,
//! acknowledges after success, retries with exponential backoff, dead-letters after the last
//! attempt, claims what dead consumers left pending, and trims what every group is done with.
//!
//! Only failures of the event itself end in the dead letters. When the last attempt fails
//! because a dependency is down (`Unavailable`: the database, the SMTP server), the entry stays
//! pending and is claimed again after the visibility timeout, however long the outage lasts,
//! so an outage never turns events into dead letters that someone must replay.
//!
//! The consumer processes one batch per call and reports it, so the worker loop decides when to
//! wait and when to stop, and tests drive it batch by batch instead of sleeping. A batch goes to
//! the handler at once and is acknowledged in one command; if that fails, its entries are handled
//! again in order, one at a time, which the handlers' idempotence allows. A stop between two
//! batches (or between two entries) leaves nothing half-done, and what is not yet acknowledged
//! stays pending, to be claimed by a consumer that runs.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fred::clients::Client;
use fred::interfaces::{StreamsInterface, TransactionInterface};
use fred::types::Value;
use postern_core::error_chain;
use postern_core::ports::EventHandler;
use postern_core::ports::{PortError, PortResult};
use tracing::{debug, warn};

use super::entry::{self, Entry, parse_id};
use super::{EventStream, StreamKeys};
use crate::redis_error;

/// How a consumer retries and when it takes over from others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// Attempts per entry before it is dead-lettered (docs/http-api.md §7: 3).
    pub max_attempts: u32,
    /// The wait after the first failed attempt, doubled after each further one (docs/http-api.md
    /// §7: 1 s).
    pub retry_base: Duration,
    /// How long an entry stays pending with a consumer before another may claim it.
    pub visibility_timeout: Duration,
    /// How long acknowledged entries are kept before trimming.
    pub retention: Duration,
    /// How many entries one batch takes.
    pub batch_size: u64,
    /// How long a read waits for new entries when there are none.
    pub block: Duration,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            retry_base: Duration::from_secs(1),
            visibility_timeout: Duration::from_secs(30),
            retention: Duration::from_secs(24 * 60 * 60),
            batch_size: 500,
            block: Duration::from_secs(1),
        }
    }
}

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsumerReport {
    /// Entries whose handler succeeded, acknowledged.
    pub handled: usize,
    /// Entries moved to the dead letters after their last attempt.
    pub dead_lettered: usize,
    /// Entries taken over from a consumer that left them pending too long.
    pub claimed: usize,
    /// Entries left pending because a dependency of the handler was down; they are claimed
    /// again after the visibility timeout.
    pub deferred: usize,
}

impl ConsumerReport {
    /// Whether the batch found nothing to do.
    pub fn is_idle(&self) -> bool {
        self.handled == 0 && self.dead_lettered == 0 && self.deferred == 0
    }
}

/// One consumer of one stream.
pub struct StreamConsumer {
    redis: Client,
    keys: StreamKeys,
    name: String,
    handler: Arc<dyn EventHandler>,
    config: ConsumerConfig,
}

impl StreamConsumer {
    /// A consumer called `name` (unique among the group's live consumers) of `stream` under
    /// `prefix`, handing events to `handler`. `redis` must be a connection of its own: blocking
    /// reads hold it.
    pub fn new(
        redis: Client,
        prefix: &str,
        stream: EventStream,
        name: impl Into<String>,
        handler: Arc<dyn EventHandler>,
        config: ConsumerConfig,
    ) -> Self {
        Self {
            redis,
            keys: StreamKeys::new(prefix, stream),
            name: name.into(),
            handler,
            config,
        }
    }

    /// The stream this consumer reads.
    pub fn stream(&self) -> EventStream {
        self.keys.stream
    }

    /// Creates the stream and its group if they do not exist yet. A new group starts at the
    /// stream's beginning, so entries published before any worker ran are not skipped.
    ///
    /// # Errors
    /// `Unavailable` when Redis cannot be reached.
    pub async fn join_group(&self) -> PortResult<()> {
        let created: std::result::Result<Value, _> = self
            .redis
            .xgroup_create(
                self.keys.entries.as_str(),
                self.keys.stream.group(),
                "0",
                true,
            )
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(error) if error.details().starts_with("BUSYGROUP") => Ok(()),
            Err(error) => Err(redis_error(error)),
        }
    }

    /// Handles one batch: the entries other consumers left idle past the visibility timeout,
    /// or else new entries, waiting up to the configured block time for some to arrive.
    ///
    /// # Errors
    /// `Unavailable` when Redis cannot be reached; entries in hand stay pending.
    pub async fn process_batch(&self) -> PortResult<ConsumerReport> {
        let claimed = self.claim_idle().await?;
        let mut report = ConsumerReport {
            claimed: claimed.len(),
            ..ConsumerReport::default()
        };
        let entries = if claimed.is_empty() {
            self.read_new().await?
        } else {
            claimed
        };
        if self.deliver_together(&entries).await? {
            report.handled = entries.len();
            return Ok(report);
        }
        for entry in &entries {
            match self.deliver(entry).await? {
                Outcome::Handled => report.handled += 1,
                Outcome::DeadLettered => report.dead_lettered += 1,
                Outcome::Deferred => {
                    // What the handler needs is down: the rest of the batch would fail alike.
                    // Everything read stays pending and is claimed again after the timeout.
                    report.deferred = entries.len() - report.handled - report.dead_lettered;
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Drops the entries older than the retention that every group has read and acknowledged,
    /// and returns how many went. Entries still pending, or not yet read by some group, stay
    /// whatever their age.
    ///
    /// # Errors
    /// `Unavailable` when Redis cannot be reached.
    pub async fn trim(&self) -> PortResult<u64> {
        let Some(mut keep_from) = retention_boundary(self.config.retention) else {
            return Ok(0);
        };
        for group in self.groups().await? {
            keep_from = keep_from.min(group.last_delivered);
            if let Some(oldest) = self.oldest_pending(&group.name).await? {
                keep_from = keep_from.min(oldest);
            }
        }
        let (ms, seq) = keep_from;
        let removed: u64 = self
            .redis
            .xtrim(
                self.keys.entries.as_str(),
                ("MINID", "=", format!("{ms}-{seq}")),
            )
            .await
            .map_err(redis_error)?;
        Ok(removed)
    }

    /// The fast path: hands every event of the batch to the handler at once and acknowledges
    /// them in one command. Returns false, having acknowledged nothing, when the batch needs
    /// the careful path of one entry at a time: an entry that does not decode, or any failure
    /// of the handler, whose retries and dead letters must concern only the failing event. So
    /// an event of a failed batch is handed over once more than the configured attempts; a
    /// lone entry, which has nothing to gain, goes the careful path at once.
    async fn deliver_together(&self, entries: &[Entry]) -> PortResult<bool> {
        if entries.len() < 2 {
            return Ok(false);
        }
        let Ok(events) = entries
            .iter()
            .map(Entry::event)
            .collect::<PortResult<Vec<_>, _>>()
        else {
            return Ok(false);
        };
        if let Err(error) = self.handler.handle_batch(&events).await {
            debug!(stream = %self.keys.stream, entries = entries.len(), error = &error as &dyn std::error::Error, "batch handling failed; handling its entries one at a time");
            return Ok(false);
        }
        let ids: Vec<&str> = entries.iter().map(|entry| entry.id.as_str()).collect();
        let _: u64 = self
            .redis
            .xack(self.keys.entries.as_str(), self.keys.stream.group(), ids)
            .await
            .map_err(redis_error)?;
        Ok(true)
    }

    /// Handles one entry with retries.
    async fn deliver(&self, entry: &Entry) -> PortResult<Outcome> {
        let event = match entry.event() {
            Ok(event) => event,
            Err(reason) => {
                self.dead_letter(entry, &reason).await?;
                return Ok(Outcome::DeadLettered);
            }
        };
        let mut attempt = 1;
        loop {
            match self.handler.handle(&event).await {
                Ok(()) => {
                    let _: u64 = self
                        .redis
                        .xack(
                            self.keys.entries.as_str(),
                            self.keys.stream.group(),
                            entry.id.as_str(),
                        )
                        .await
                        .map_err(redis_error)?;
                    return Ok(Outcome::Handled);
                }
                Err(error) if attempt < self.config.max_attempts => {
                    let wait = backoff(self.config.retry_base, attempt);
                    warn!(stream = %self.keys.stream, event_id = %event.id, attempt, retry_in = ?wait, error = &error as &dyn std::error::Error, "event handling failed; will retry");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(error @ PortError::Unavailable(_)) => {
                    warn!(stream = %self.keys.stream, event_id = %event.id, error = &error as &dyn std::error::Error, "a dependency of the handler is down; the event stays pending and is retried after the visibility timeout");
                    return Ok(Outcome::Deferred);
                }
                Err(error) => {
                    self.dead_letter(entry, &error_chain(&error)).await?;
                    return Ok(Outcome::DeadLettered);
                }
            }
        }
    }

    /// Moves an entry to the dead letters and acknowledges it, in one transaction, so that it
    /// is in exactly one of the two places.
    async fn dead_letter(&self, entry: &Entry, reason: &str) -> PortResult<()> {
        warn!(stream = %self.keys.stream, entry = %entry.id, reason, "event dead-lettered; it stays there until replayed");
        let mut fields = entry.original_fields();
        fields.push((entry::ERROR.to_owned(), reason.to_owned()));
        let transaction = self.redis.multi();
        let _: Value = transaction
            .xadd(self.keys.dead_letters.as_str(), false, None, "*", fields)
            .await
            .map_err(redis_error)?;
        let _: Value = transaction
            .xack(
                self.keys.entries.as_str(),
                self.keys.stream.group(),
                entry.id.as_str(),
            )
            .await
            .map_err(redis_error)?;
        let _: Value = transaction.exec(true).await.map_err(redis_error)?;
        Ok(())
    }

    async fn claim_idle(&self) -> PortResult<Vec<Entry>> {
        let min_idle =
            u64::try_from(self.config.visibility_timeout.as_millis()).unwrap_or(u64::MAX);
        let reply: Value = self
            .redis
            .xautoclaim(
                self.keys.entries.as_str(),
                self.keys.stream.group(),
                self.name.as_str(),
                min_idle,
                "0-0",
                Some(self.config.batch_size),
                false,
            )
            .await
            .map_err(redis_error)?;
        // [next start, entries, deleted ids]
        let entries = match reply {
            Value::Array(mut parts) if parts.len() >= 2 => {
                entry::entries_from(parts.swap_remove(1))
            }
            _ => Vec::new(),
        };
        if !entries.is_empty() {
            debug!(stream = %self.keys.stream, entries = entries.len(), "claimed entries left idle by another consumer");
        }
        Ok(entries)
    }

    async fn read_new(&self) -> PortResult<Vec<Entry>> {
        let block = u64::try_from(self.config.block.as_millis()).unwrap_or(u64::MAX);
        let reply: Value = self
            .redis
            .xreadgroup(
                self.keys.stream.group(),
                self.name.as_str(),
                Some(self.config.batch_size),
                Some(block),
                false,
                self.keys.entries.as_str(),
                ">",
            )
            .await
            .map_err(redis_error)?;
        // [[stream key, entries]], or nil when the block time passed without any.
        Ok(match reply {
            Value::Array(mut streams) if !streams.is_empty() => match streams.swap_remove(0) {
                Value::Array(mut pair) if pair.len() == 2 => {
                    entry::entries_from(pair.swap_remove(1))
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        })
    }

    async fn groups(&self) -> PortResult<Vec<GroupPosition>> {
        let groups: Value = self
            .redis
            .xinfo_groups(self.keys.entries.as_str())
            .await
            .map_err(redis_error)?;
        Ok(entry::groups_from(groups)
            .into_iter()
            .filter_map(|group| {
                let name = group.get("name")?.as_string()?;
                let last_delivered = parse_id(&group.get("last-delivered-id")?.as_string()?)?;
                Some(GroupPosition {
                    name,
                    last_delivered,
                })
            })
            .collect())
    }

    async fn oldest_pending(&self, group: &str) -> PortResult<Option<(u64, u64)>> {
        // XPENDING's summary: [count, smallest id, greatest id, consumers].
        let summary: Value = self
            .redis
            .xpending(self.keys.entries.as_str(), group, ())
            .await
            .map_err(redis_error)?;
        let Value::Array(parts) = summary else {
            return Ok(None);
        };
        Ok(parts
            .get(1)
            .and_then(Value::as_string)
            .and_then(|id| parse_id(&id)))
    }
}

/// What became of one entry.
enum Outcome {
    /// Its handler succeeded; acknowledged.
    Handled,
    /// Its last attempt failed for good; moved to the dead letters.
    DeadLettered,
    /// Its last attempt found a dependency down; left pending, to be claimed again.
    Deferred,
}

/// Where a group stands in the stream.
struct GroupPosition {
    name: String,
    last_delivered: (u64, u64),
}

/// The wait after the `attempt`-th failure: `base` doubled per earlier failure.
fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1 << attempt.saturating_sub(1).min(16))
}

/// The stream id below which entries are older than `retention`.
fn retention_boundary(retention: Duration) -> Option<(u64, u64)> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    let boundary = now.checked_sub(retention)?;
    Some((u64::try_from(boundary.as_millis()).ok()?, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base() {
        let base = Duration::from_secs(1);
        assert_eq!(backoff(base, 1), Duration::from_secs(1));
        assert_eq!(backoff(base, 2), Duration::from_secs(2));
        assert_eq!(backoff(base, 3), Duration::from_secs(4));
    }
}
