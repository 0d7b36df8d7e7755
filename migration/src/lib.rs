//! # postern-migration
//!
//! Postern's database schema as sea-orm-migration migrations, one file per migration, applied in
//! the order [`Migrator`] lists them. Every migration runs on PostgreSQL and SQLite alike and has a
//! working `down`, so a schema can be rolled back step by step.
//!
//! Migrations are snapshots: each file names the tables and columns it touches with its own
//! identifiers instead of sharing them, so that a later change cannot silently rewrite history.
//! Timestamps are `timestamp with time zone`; the adapters always store them in UTC.
//!
//! Run them with [`apply_pending`] and [`roll_back`], which hold every statement in one
//! transaction, rather than with [`Migrator`]'s own `up` and `down`: on SQLite those run each
//! statement outside any transaction on whichever pooled connection is free, and a connection
//! whose cached schema predates the previous statement then fails an `ALTER TABLE` with "no such
//! column" now and then.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DatabaseConnection, TransactionTrait};

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
mod m20261206_000015_account_lifecycle;
mod m20261206_000016_create_mfa_factors;
mod m20261206_000017_external_sign_in;
mod m20261206_000018_webauthn;
mod m20261206_000020_outbox_claims_in_place;
mod m20261206_000021_federated_login_tokens;

/// Postern's migrations, oldest first. Run them with [`apply_pending`].
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
            Box::new(m20261206_000015_account_lifecycle::Migration),
            Box::new(m20261206_000016_create_mfa_factors::Migration),
            Box::new(m20261206_000017_external_sign_in::Migration),
            Box::new(m20261206_000018_webauthn::Migration),
            Box::new(m20261206_000020_outbox_claims_in_place::Migration),
            Box::new(m20261206_000021_federated_login_tokens::Migration),
        ]
    }
}

/// Applies every pending migration, all of them or none, in one transaction (so on one
/// connection, which sees each statement before it).
///
/// # Errors
/// When a migration fails; nothing of the run is kept.
pub async fn apply_pending(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// Rolls back the last `steps` applied migrations (all of them when `None`), in one
/// transaction as [`apply_pending`] applies them.
///
/// # Errors
/// When a migration's `down` fails; nothing of the run is kept.
pub async fn roll_back(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    Migrator::down(&txn, steps).await?;
    txn.commit().await
}
