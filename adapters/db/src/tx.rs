//! What every changing repository method shares: a write transaction, and the outbox row that
//! is written inside it together with the change, so that an event is stored exactly when its
//! change is.

use postern_core::domain::Event;
use postern_core::ports::PortError;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use super::entities::outbox;
use super::error::db_error;
use super::timestamps::stored;

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so that a concurrent writer waits for the busy timeout instead of
/// failing when it upgrades from reading to writing.
pub(super) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, PortError> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    db.begin_with_options(options).await.map_err(db_error)
}

/// Commits `txn`.
pub(super) async fn commit(txn: DatabaseTransaction) -> Result<(), PortError> {
    txn.commit().await.map_err(db_error)
}

/// Rolls `txn` back at once, releasing SQLite's write lock without waiting for a drop.
pub(super) async fn rollback(txn: DatabaseTransaction) -> Result<(), PortError> {
    txn.rollback().await.map_err(db_error)
}

/// Writes `event` to the outbox, due for publication at once. Writing the same event again is a
/// no-op, so a use case may hand one event to several changes of one request.
pub(super) async fn write_event(
    conn: &impl ConnectionTrait,
    event: &Event,
) -> Result<(), PortError> {
    let payload = serde_json::to_value(event).map_err(PortError::unexpected)?;
    let occurred_at = stored(event.occurred_at);
    let row = outbox::ActiveModel {
        id: Set(event.id),
        event_type: Set(event.data.type_name().to_owned()),
        payload: Set(payload),
        occurred_at: Set(occurred_at),
        published_at: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(occurred_at),
        last_error: Set(None),
        dead_lettered_at: Set(None),
    };
    outbox::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}
