//! # postern-migration
//!
//! Postern's database schema as sea-orm-migration migrations, one file per migration, applied in
//! the order [`Migrator`] lists them. Every migration runs on PostgreSQL and SQLite alike and has a
//! working `down`, so a schema can be rolled back step by step.
//!
//! Migrations are snapshots: each file names the tables and columns it touches with its own
//! identifiers instead of sharing them, so that a later change cannot silently rewrite history.
//! Timestamps are `timestamp with time zone`; the adapters always store them in UTC.

use sea_orm_migration::prelude::*;

/// Whether a migration is applied, as [`MigratorTrait::get_migration_with_status`] reports it.
pub use sea_orm_migration::MigrationStatus;
/// The trait that runs a [`Migrator`] (`up`, `down`, `status`, ...), re-exported so that callers
/// need no direct dependency on sea-orm-migration.
pub use sea_orm_migration::MigratorTrait;

mod m20261122_000001_create_users;
mod m20261122_000002_create_sessions;
mod m20261122_000003_create_refresh_tokens;
mod m20261122_000004_create_outbox;
mod m20261122_000005_create_audit_log;
mod m20261122_000006_outbox_dead_letters;
mod m20261122_000007_user_lockout;
mod m20261130_000008_create_handled_events;
mod m20261130_000009_user_disabled;
mod m20261130_000010_create_account_tokens;
mod m20261130_000011_outbox_relay_order;
mod m20261206_000012_user_login_slots;
mod m20261206_000013_login_counts;
mod m20261206_000014_retention_and_admin_list;

/// Postern's migrations, oldest first. Run with `Migrator::up(&db, None)`.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_users::Migration),
            Box::new(m20261122_000002_create_sessions::Migration),
            Box::new(m20261122_000003_create_refresh_tokens::Migration),
            Box::new(m20261122_000004_create_outbox::Migration),
            Box::new(m20261122_000005_create_audit_log::Migration),
            Box::new(m20261122_000006_outbox_dead_letters::Migration),
            Box::new(m20261122_000007_user_lockout::Migration),
            Box::new(m20261130_000008_create_handled_events::Migration),
            Box::new(m20261130_000009_user_disabled::Migration),
            Box::new(m20261130_000010_create_account_tokens::Migration),
            Box::new(m20261130_000011_outbox_relay_order::Migration),
            Box::new(m20261206_000012_user_login_slots::Migration),
            Box::new(m20261206_000013_login_counts::Migration),
            Box::new(m20261206_000014_retention_and_admin_list::Migration),
        ]
    }
}
