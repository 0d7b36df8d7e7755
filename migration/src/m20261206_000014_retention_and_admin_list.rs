//! Indexes for two jobs that read a sliver of a large table and must not scan all of it.
//!
//! - Retention (docs/http-api.md §8): the housekeeping job deletes, in bounded batches, the rows
//!   that ended before a cutoff; each kind's end is indexed so that a batch is an index range
//!   scan, whatever the table's size. Pending outbox events are never pruned, so that index is
//!   partial, over the published ones only.
//! - The admin list of users (docs/http-api.md §5): keyset pages in the order `created_at DESC,
//!   id DESC`, filtered by an email prefix. The order gets an index of its own; the prefix is
//!   matched as a range of byte-wise ordered text, which the unique index on `email` serves on
//!   SQLite (whose default collation is byte-wise) and an index under the `C` collation serves
//!   on PostgreSQL (whose database collation need not be).
//!
//! On SQLite, where timestamps are text compared through `julianday()`, every timestamp index
//! holds that expression, as the queries do. The indexes are built plainly, not concurrently
//! (PostgreSQL runs migrations in a transaction): writes to a table wait while its index is
//! built, a few seconds at a million rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One index: its name and table, its key on PostgreSQL and on SQLite (empty where that
/// backend's existing indexes already serve), and the rows it covers (empty: all).
struct Spec {
    name: &'static str,
    table: &'static str,
    postgres: &'static str,
    sqlite: &'static str,
    only: &'static str,
}

/// An index over every row, keyed `postgres` on PostgreSQL and `sqlite` on SQLite.
const fn index(
    name: &'static str,
    table: &'static str,
    postgres: &'static str,
    sqlite: &'static str,
) -> Spec {
    Spec {
        name,
        table,
        postgres,
        sqlite,
        only: "",
    }
}

const INDEXES: [Spec; 10] = [
    index(
        "users_created_at_id_idx",
        "users",
        "created_at DESC, id DESC",
        "julianday(created_at) DESC, id DESC",
    ),
    // SQLite's `users_email_key` already orders byte-wise.
    index("users_email_bytes_idx", "users", "email COLLATE \"C\"", ""),
    Spec {
        name: "outbox_published_at_idx",
        table: "outbox",
        postgres: "published_at",
        sqlite: "julianday(published_at)",
        only: "published_at IS NOT NULL",
    },
    index(
        "refresh_tokens_used_at_idx",
        "refresh_tokens",
        "used_at",
        "julianday(used_at)",
    ),
    index(
        "refresh_tokens_expires_at_idx",
        "refresh_tokens",
        "expires_at",
        "julianday(expires_at)",
    ),
    // PostgreSQL's `sessions_revoked_at_idx` already serves.
    index(
        "sessions_revoked_at_jd_idx",
        "sessions",
        "",
        "julianday(revoked_at)",
    ),
    index(
        "account_tokens_used_at_idx",
        "account_tokens",
        "used_at",
        "julianday(used_at)",
    ),
    index(
        "account_tokens_expires_at_idx",
        "account_tokens",
        "expires_at",
        "julianday(expires_at)",
    ),
    index(
        "handled_events_handled_at_idx",
        "handled_events",
        "handled_at",
        "julianday(handled_at)",
    ),
    // PostgreSQL's `audit_log_occurred_at_idx` already serves.
    index(
        "audit_log_occurred_at_jd_idx",
        "audit_log",
        "",
        "julianday(occurred_at)",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for (name, table, key, only) in indexes(backend) {
            manager
                .get_connection()
                .execute_unprepared(&format!("CREATE INDEX {name} ON {table} ({key}){only}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for (name, ..) in indexes(backend) {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX {name}"))
                .await?;
        }
        Ok(())
    }
}

/// The indexes `backend` needs, as `(name, table, key, WHERE clause or nothing)`.
fn indexes(
    backend: DbBackend,
) -> impl Iterator<Item = (&'static str, &'static str, &'static str, String)> {
    INDEXES.into_iter().filter_map(move |spec| {
        let key = match backend {
            DbBackend::Sqlite => spec.sqlite,
            _ => spec.postgres,
        };
        let only = if spec.only.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", spec.only)
        };
        (!key.is_empty()).then_some((spec.name, spec.table, key, only))
    })
}
