//! Erasing what the database holds about a deleted account beside its row (docs/adr/0016): its
//! account tokens, its linked identities and pending sign-in grants, its factors and WebAuthn
//! ceremonies, the login counts of its address, where its sessions came from, and the
//! personal data of every event stored about it, in the audit log and in the outbox. Runs inside
//! the deleting transaction.
//!
//! Stored events are read, erased by the core's rule
//! ([`postern_core::domain::EventData::erase_personal_data`]) and written back, so that the
//! database and the in-memory store agree on what an erased event reads as. A stored event this
//! version cannot read is left as it is. The outbox has no user column: its events about the
//! account are found through the payload's `userId`, a scan that deletion, being rare, can
//! afford.

use postern_core::domain::{ADDRESS_KEPT_UNTIL_DELIVERED, Email, Event, UserId};
use postern_core::ports::{PortError, PortResult};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::entities::{
    account_tokens, audit_log, login_codes, outbox, pending_sign_ins, sessions, user_identities,
};
use super::error::db_error;
use super::login_counts;

/// Erases every trace of `user` (whose address was `email`) but its own row, inside `conn`'s
/// transaction.
pub(super) async fn erase_traces(
    conn: &impl ConnectionTrait,
    user: UserId,
    email: &Email,
) -> PortResult<()> {
    account_tokens::Entity::delete_many()
        .filter(account_tokens::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    user_identities::Entity::delete_many()
        .filter(user_identities::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    login_codes::Entity::delete_many()
        .filter(login_codes::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    pending_sign_ins::Entity::delete_many()
        .filter(pending_sign_ins::Column::LinkTo.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    super::mfa::erase_factors(conn, user).await?;
    login_counts::forget(conn, email).await?;
    sessions::Entity::update_many()
        .col_expr(sessions::Column::Ip, Expr::value(Option::<String>::None))
        .col_expr(
            sessions::Column::UserAgent,
            Expr::value(Option::<String>::None),
        )
        .filter(sessions::Column::UserId.eq(user.as_uuid()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    erase_audit_records(conn, user).await?;
    erase_outbox_events(conn, user).await
}

async fn erase_audit_records(conn: &impl ConnectionTrait, user: UserId) -> PortResult<()> {
    let rows: Vec<(Uuid, serde_json::Value)> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Id)
        .column(audit_log::Column::Payload)
        .filter(audit_log::Column::UserId.eq(user.as_uuid()))
        .into_tuple()
        .all(conn)
        .await
        .map_err(db_error)?;
    for (id, payload) in rows {
        if let Some(erased) = erased(payload)? {
            audit_log::Entity::update_many()
                .col_expr(audit_log::Column::Payload, Expr::value(erased))
                .filter(audit_log::Column::Id.eq(id))
                .exec(conn)
                .await
                .map_err(db_error)?;
        }
    }
    Ok(())
}

async fn erase_outbox_events(conn: &impl ConnectionTrait, user: UserId) -> PortResult<()> {
    let rows: Vec<(Uuid, serde_json::Value)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .column(outbox::Column::Payload)
        .filter(payload_user_is(conn.get_database_backend(), user))
        .into_tuple()
        .all(conn)
        .await
        .map_err(db_error)?;
    for (id, payload) in rows {
        write_outbox_payload(conn, id, payload).await?;
    }
    Ok(())
}

/// Erases the events among `ids` that keep their address only until delivered, now that they
/// are published (see [`postern_core::ports::Outbox::mark_published`]).
pub(super) async fn erase_delivered_notices(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> PortResult<()> {
    let rows: Vec<(Uuid, serde_json::Value)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .column(outbox::Column::Payload)
        .filter(outbox::Column::Id.is_in(ids.iter().copied()))
        .filter(outbox::Column::EventType.is_in(ADDRESS_KEPT_UNTIL_DELIVERED))
        .into_tuple()
        .all(conn)
        .await
        .map_err(db_error)?;
    for (id, payload) in rows {
        write_outbox_payload(conn, id, payload).await?;
    }
    Ok(())
}

async fn write_outbox_payload(
    conn: &impl ConnectionTrait,
    id: Uuid,
    payload: serde_json::Value,
) -> PortResult<()> {
    if let Some(erased) = erased(payload)? {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Payload, Expr::value(erased))
            .filter(outbox::Column::Id.eq(id))
            .exec(conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// `payload` with its personal data erased; `None` when it is not an event this version reads.
fn erased(payload: serde_json::Value) -> PortResult<Option<serde_json::Value>> {
    let Ok(mut event) = serde_json::from_value::<Event>(payload) else {
        return Ok(None);
    };
    event.data.erase_personal_data();
    serde_json::to_value(&event)
        .map(Some)
        .map_err(PortError::unexpected)
}

/// The outbox rows whose event is about `user`.
fn payload_user_is(backend: DatabaseBackend, user: UserId) -> SimpleExpr {
    let user = user.as_uuid().to_string();
    match backend {
        DatabaseBackend::Postgres => Expr::cust_with_values("payload ->> 'userId' = $1", [user]),
        _ => Expr::cust_with_values(
            "json_extract(payload, ?) = ?",
            ["$.userId".to_owned(), user],
        ),
    }
}
