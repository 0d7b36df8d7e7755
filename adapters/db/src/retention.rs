//! [`Retention`] on SQL: each kind's rows that ended before the cutoff, deleted a bounded batch
//! at a time, in one statement per batch.
//!
//! The batch is chosen by a subquery with `LIMIT`, over the index migration 14 made on the
//! column (or columns) that say when a row ended. On PostgreSQL the subquery locks what it
//! picks `FOR UPDATE SKIP LOCKED`, so that two workers pruning at once take disjoint batches and
//! neither waits for the other; SQLite has one writer at a time (`BEGIN IMMEDIATE`), so batches
//! follow one another there.

use async_trait::async_trait;
use postern_core::ports::{PortResult, Retention, RetentionKind};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use time::OffsetDateTime;

use super::error::db_error;
use super::timestamps::stored;
use super::tx::{begin_write, commit};

/// Where the rows of one kind live and when each ended.
struct Target {
    table: &'static str,
    /// The primary key's columns.
    key: &'static [&'static str],
    /// The columns at which a row ends; it has ended once any of them is set and past.
    ends: &'static [&'static str],
}

fn target(kind: RetentionKind) -> Target {
    const ID: &[&str] = &["id"];
    let (table, key, ends): (_, _, &'static [&'static str]) = match kind {
        RetentionKind::PublishedEvents => ("outbox", ID, &["published_at"]),
        RetentionKind::RefreshTokens => ("refresh_tokens", ID, &["used_at", "expires_at"]),
        RetentionKind::EndedSessions => ("sessions", ID, &["revoked_at"]),
        RetentionKind::AccountTokens => ("account_tokens", ID, &["used_at", "expires_at"]),
        RetentionKind::HandledEvents => {
            ("handled_events", &["handler", "event_id"], &["handled_at"])
        }
        RetentionKind::AuditEvents => ("audit_log", ID, &["occurred_at"]),
    };
    Target { table, key, ends }
}

/// The retention of rows in `db`, which must be migrated.
#[derive(Clone)]
pub struct SeaRetention {
    db: DatabaseConnection,
}

impl SeaRetention {
    /// Retention on `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Retention for SeaRetention {
    async fn prune(
        &self,
        kind: RetentionKind,
        before: OffsetDateTime,
        limit: u64,
    ) -> PortResult<u64> {
        let backend = self.db.get_database_backend();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let statement = Statement::from_sql_and_values(
            backend,
            prune_sql(backend, &target(kind)),
            [Value::from(stored(before)), Value::from(limit)],
        );
        let txn = begin_write(&self.db).await?;
        let deleted = txn.execute_raw(statement).await.map_err(db_error)?;
        commit(txn).await?;
        Ok(deleted.rows_affected())
    }
}

/// The statement that deletes one batch of `target`, with the cutoff as its first parameter
/// and the batch size as its second.
fn prune_sql(backend: DbBackend, target: &Target) -> String {
    let Target { table, key, ends } = target;
    let columns = key.join(", ");
    let row = if key.len() > 1 {
        format!("({columns})")
    } else {
        columns.clone()
    };
    let ended = match backend {
        // `IS NOT NULL` lets SQLite use the partial index of published events, which it
        // cannot infer from a comparison of `julianday(published_at)`.
        DbBackend::Sqlite => ends
            .iter()
            .map(|end| format!("({end} IS NOT NULL AND julianday({end}) < julianday(?1))"))
            .collect::<Vec<_>>()
            .join(" OR "),
        _ => ends
            .iter()
            .map(|end| format!("{end} < $1"))
            .collect::<Vec<_>>()
            .join(" OR "),
    };
    let (limit, lock) = match backend {
        DbBackend::Sqlite => ("?2", ""),
        _ => ("$2", " FOR UPDATE SKIP LOCKED"),
    };
    format!(
        "DELETE FROM {table} WHERE {row} IN \
         (SELECT {columns} FROM {table} WHERE {ended} LIMIT {limit}{lock})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_takes_a_batch_no_other_worker_holds() {
        let sql = prune_sql(DbBackend::Postgres, &target(RetentionKind::RefreshTokens));

        assert_eq!(
            sql,
            "DELETE FROM refresh_tokens WHERE id IN (SELECT id FROM refresh_tokens \
             WHERE used_at < $1 OR expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"
        );
    }

    #[test]
    fn sqlite_compares_times_as_times() {
        let sql = prune_sql(DbBackend::Sqlite, &target(RetentionKind::HandledEvents));

        assert_eq!(
            sql,
            "DELETE FROM handled_events WHERE (handler, event_id) IN (SELECT handler, event_id \
             FROM handled_events WHERE (handled_at IS NOT NULL AND julianday(handled_at) < \
             julianday(?1)) LIMIT ?2)"
        );
    }
}
