//! [`Retention`]: rows past their retention leave the tables a batch at a time. Each batch is
//! one step under the store's lock, so concurrent prunes never delete a row twice.

use async_trait::async_trait;
use postern_core::ports::{PortResult, Retention, RetentionKind};
use time::OffsetDateTime;

use super::{MemoryStore, Tables};

#[async_trait]
impl Retention for MemoryStore {
    async fn prune(
        &self,
        kind: RetentionKind,
        before: OffsetDateTime,
        limit: u64,
    ) -> PortResult<u64> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut tables = self.lock();
        let pruned = match kind {
            RetentionKind::PublishedEvents => prune_outbox(&mut tables, before, limit),
            RetentionKind::RefreshTokens => prune_map(&mut tables.refresh_tokens, limit, |row| {
                ended(&[row.used_at, Some(row.expires_at)], before)
            }),
            RetentionKind::EndedSessions => prune_sessions(&mut tables, before, limit),
            RetentionKind::AccountTokens => prune_map(&mut tables.account_tokens, limit, |row| {
                ended(&[row.record.used_at, Some(row.record.expires_at)], before)
            }),
            RetentionKind::HandledEvents => {
                prune_map(&mut tables.handled, limit, |at| *at < before)
            }
            RetentionKind::AuditEvents => prune_map(&mut tables.audit, limit, |record| {
                record.occurred_at < before
            }),
        };
        Ok(u64::try_from(pruned).unwrap_or(u64::MAX))
    }
}

/// Whether a row that ends at any of `ends` had ended before `before`.
fn ended(ends: &[Option<OffsetDateTime>], before: OffsetDateTime) -> bool {
    ends.iter().flatten().any(|at| *at < before)
}

/// Removes up to `limit` entries of `map` whose row is `due`, and says how many.
fn prune_map<K, V>(
    map: &mut std::collections::HashMap<K, V>,
    limit: usize,
    due: impl Fn(&V) -> bool,
) -> usize
where
    K: Clone + Eq + std::hash::Hash,
{
    let keys: Vec<K> = map
        .iter()
        .filter(|(_, row)| due(row))
        .map(|(key, _)| key.clone())
        .take(limit)
        .collect();
    for key in &keys {
        map.remove(key);
    }
    keys.len()
}

fn prune_outbox(tables: &mut Tables, before: OffsetDateTime, limit: usize) -> usize {
    let mut left = limit;
    tables.outbox.retain(|row| {
        let due = left > 0 && row.published_at.is_some_and(|at| at < before);
        if due {
            left -= 1;
        }
        !due
    });
    limit - left
}

/// Removes ended sessions with their refresh tokens, as the databases' cascade does.
fn prune_sessions(tables: &mut Tables, before: OffsetDateTime, limit: usize) -> usize {
    let ids: Vec<_> = tables
        .sessions
        .iter()
        .filter(|(_, row)| row.revoked_at.is_some_and(|at| at < before))
        .map(|(id, _)| *id)
        .take(limit)
        .collect();
    for id in &ids {
        tables.sessions.remove(id);
    }
    tables
        .refresh_tokens
        .retain(|_, token| !ids.contains(&token.session_id));
    ids.len()
}
