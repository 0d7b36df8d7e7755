//! [`SessionRepo`] on SeaORM: sessions, and their refresh tokens one row each.
//!
//! Rotation is decided by the database, not by a read: the used token is marked with a
//! conditional `UPDATE … WHERE used_at IS NULL` that also requires its session to be live, and
//! only the request whose update changed a row stores a successor. Storing a token also updates
//! its session's row on the condition `revoked_at IS NULL`, atomically with it (one statement on
//! PostgreSQL, a transaction on SQLite), so a refresh racing a logout either commits before the
//! revocation or stores nothing (on PostgreSQL the row lock makes it wait for the revocation and
//! then re-check; on SQLite writes are serialised). Revocations update only live sessions and report what they changed, and
//! each change that carries an event commits together with it. A session is listed as live
//! while it is not revoked and one of its refresh tokens is unexpired (compared, and ordered, in
//! time order on both backends).

use async_trait::async_trait;
use postern_core::domain::{
    AuthMethod, ClientContext, Event, NewRefreshToken, NewSession, RefreshTokenId,
    RefreshTokenRecord, Rotation, SessionId, SessionSummary, TokenDigest, UserId,
};
use postern_core::ports::{PortResult, SessionRepo};
use sea_orm::sea_query::{Expr, ExprTrait, Order};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::entities::{refresh_tokens, sessions};
use super::error::{db_error, invalid_row};
use super::timestamps::{in_time_order, stored};
use super::tx::{begin_write, commit, rollback, write_event};

/// Stores sessions and refresh tokens in the `sessions` and `refresh_tokens` tables.
#[derive(Clone)]
pub struct SeaSessionRepo {
    db: DatabaseConnection,
}

impl SeaSessionRepo {
    /// A repository on `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SessionRepo for SeaSessionRepo {
    async fn start(&self, session: &NewSession, event: &Event) -> PortResult<()> {
        let created_at = stored(session.created_at);
        let row = sessions::ActiveModel {
            id: Set(session.id.as_uuid()),
            user_id: Set(session.user_id.as_uuid()),
            created_at: Set(created_at),
            last_used_at: Set(created_at),
            ip: Set(session.client.ip.map(|ip| ip.to_string())),
            user_agent: Set(session.client.user_agent.clone()),
            revoked_at: Set(None),
            amr: Set(stored_amr(&session.amr)),
        };
        let txn = begin_write(&self.db).await?;
        row.insert(&txn).await.map_err(db_error)?;
        insert_token(&txn, session.id, &session.refresh_token).await?;
        write_event(&txn, event).await?;
        commit(txn).await
    }

    async fn find_refresh_token(
        &self,
        digest: &TokenDigest,
    ) -> PortResult<Option<RefreshTokenRecord>> {
        let found = refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::TokenHash.eq(digest.as_str()))
            .find_also_related(sessions::Entity)
            .one(&self.db)
            .await
            .map_err(db_error)?;
        let Some((token, session)) = found else {
            return Ok(None);
        };
        // The foreign key makes a token without its session impossible.
        let session =
            session.ok_or_else(|| invalid_row("refresh_tokens.session_id", "dangling"))?;
        Ok(Some(RefreshTokenRecord {
            id: RefreshTokenId::from_uuid(token.id),
            session_id: SessionId::from_uuid(session.id),
            user_id: UserId::from_uuid(session.user_id),
            session_started_at: session.created_at,
            expires_at: token.expires_at,
            used_at: token.used_at,
            session_revoked: session.revoked_at.is_some(),
            amr: read_amr(&session.amr)?,
        }))
    }

    async fn rotate(&self, rotation: &Rotation) -> PortResult<bool> {
        if self.db.get_database_backend() == DbBackend::Postgres {
            return rotate_in_one_statement(&self.db, rotation).await;
        }
        let used_at = stored(rotation.used_at);
        let txn = begin_write(&self.db).await?;
        let marked = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::UsedAt, Expr::value(used_at))
            .filter(refresh_tokens::Column::Id.eq(rotation.used.as_uuid()))
            .filter(refresh_tokens::Column::SessionId.eq(rotation.session_id.as_uuid()))
            .filter(refresh_tokens::Column::UsedAt.is_null())
            .filter(
                refresh_tokens::Column::SessionId.in_subquery(live_session(rotation.session_id)),
            )
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if marked.rows_affected == 0
            || !touch_live_session(&txn, rotation.session_id, used_at).await?
        {
            rollback(txn).await?;
            return Ok(false);
        }
        insert_token(&txn, rotation.session_id, &rotation.successor).await?;
        commit(txn).await?;
        Ok(true)
    }

    async fn revoke(
        &self,
        user: UserId,
        session: SessionId,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<bool> {
        let txn = begin_write(&self.db).await?;
        let revoked = live_sessions_of(user)
            .col_expr(sessions::Column::RevokedAt, Expr::value(stored(at)))
            .filter(sessions::Column::Id.eq(session.as_uuid()))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if revoked.rows_affected == 0 {
            rollback(txn).await?;
            return Ok(false);
        }
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(true)
    }

    async fn revoke_all(
        &self,
        user: UserId,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Vec<SessionId>> {
        let txn = begin_write(&self.db).await?;
        let revoked = revoke_live_sessions(&txn, user, at).await?;
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(revoked)
    }

    async fn revoke_all_except(
        &self,
        user: UserId,
        keep: SessionId,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Vec<SessionId>> {
        let txn = begin_write(&self.db).await?;
        let revoked = live_sessions_of(user)
            .col_expr(sessions::Column::RevokedAt, Expr::value(stored(at)))
            .filter(sessions::Column::Id.ne(keep.as_uuid()))
            .exec_with_returning(&txn)
            .await
            .map_err(db_error)?;
        if revoked.is_empty() {
            rollback(txn).await?;
            return Ok(Vec::new());
        }
        write_event(&txn, event).await?;
        commit(txn).await?;
        Ok(revoked
            .into_iter()
            .map(|s| SessionId::from_uuid(s.id))
            .collect())
    }

    async fn list_live(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> PortResult<Vec<SessionSummary>> {
        let backend = self.db.get_database_backend();
        let time = |expr| in_time_order(backend, expr);
        // Correlated on the session, so that the `refresh_tokens.session_id` index serves it.
        let unexpired_token = refresh_tokens::Entity::find()
            .select_only()
            .expr(Expr::val(1))
            .filter(
                Expr::col((refresh_tokens::Entity, refresh_tokens::Column::SessionId))
                    .equals((sessions::Entity, sessions::Column::Id)),
            )
            .filter(
                time(Expr::col((
                    refresh_tokens::Entity,
                    refresh_tokens::Column::ExpiresAt,
                )))
                .gt(time(Expr::value(stored(now)))),
            )
            .into_query();
        let rows = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .filter(sessions::Column::RevokedAt.is_null())
            .filter(Expr::exists(unexpired_token))
            .order_by(time(Expr::col(sessions::Column::LastUsedAt)), Order::Desc)
            .order_by(time(Expr::col(sessions::Column::CreatedAt)), Order::Desc)
            .order_by(sessions::Column::Id, Order::Desc)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(summary).collect()
    }

    async fn is_revoked(&self, session: SessionId) -> PortResult<bool> {
        let revoked_at: Option<Option<OffsetDateTime>> =
            sessions::Entity::find_by_id(session.as_uuid())
                .select_only()
                .column(sessions::Column::RevokedAt)
                .into_tuple()
                .one(&self.db)
                .await
                .map_err(db_error)?;
        Ok(revoked_at.is_none_or(|revoked_at| revoked_at.is_some()))
    }

    async fn revoked_since(&self, since: OffsetDateTime) -> PortResult<Vec<SessionId>> {
        let backend = self.db.get_database_backend();
        let revoked_at = in_time_order(backend, Expr::col(sessions::Column::RevokedAt));
        let ids: Vec<Uuid> = sessions::Entity::find()
            .select_only()
            .column(sessions::Column::Id)
            .filter(revoked_at.gte(in_time_order(backend, Expr::value(stored(since)))))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(ids.into_iter().map(SessionId::from_uuid).collect())
    }
}

/// What the owner of a stored session may see of it.
fn summary(row: sessions::Model) -> PortResult<SessionSummary> {
    let ip = row
        .ip
        .map(|ip| {
            ip.parse()
                .map_err(|_| invalid_row("sessions.ip", "not an IP address"))
        })
        .transpose()?;
    Ok(SessionSummary {
        id: SessionId::from_uuid(row.id),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        client: ClientContext {
            ip,
            user_agent: row.user_agent,
        },
    })
}

/// The id of `session` if it is not revoked: the condition a token must meet to be used.
fn live_session(session: SessionId) -> sea_orm::sea_query::SelectStatement {
    sessions::Entity::find()
        .select_only()
        .column(sessions::Column::Id)
        .filter(sessions::Column::Id.eq(session.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null())
        .into_query()
}

/// Sets `session`'s `last_used_at` to `at` if it is still live, and says whether it was. The
/// update locks the row, so a concurrent revocation either came first or waits for `conn`.
async fn touch_live_session(
    conn: &impl ConnectionTrait,
    session: SessionId,
    at: OffsetDateTime,
) -> PortResult<bool> {
    let touched = sessions::Entity::update_many()
        .col_expr(sessions::Column::LastUsedAt, Expr::value(at))
        .filter(sessions::Column::Id.eq(session.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await
        .map_err(db_error)?;
    Ok(touched.rows_affected > 0)
}

/// The rotation as one PostgreSQL statement, so it holds a connection for one round trip and
/// its commit rather than for a transaction of five: a refresh is bound by how many commits are
/// in flight at once. The session is touched first, only if it is live and the token unused,
/// which locks its row against a concurrent revocation; the token is then marked only if the
/// session was touched and it is still unused (a concurrent rotation of the same token waits on
/// its row and then finds it used), and the successor is stored only if it was marked. Whatever
/// fails, at most the session's `last_used_at` has moved.
async fn rotate_in_one_statement(db: &DatabaseConnection, rotation: &Rotation) -> PortResult<bool> {
    const ROTATE: &str = "
        WITH touched AS (
            UPDATE sessions SET last_used_at = $1
            WHERE id = $2 AND revoked_at IS NULL
              AND EXISTS (SELECT 1 FROM refresh_tokens
                          WHERE id = $3 AND session_id = $2 AND used_at IS NULL)
            RETURNING id
        ), marked AS (
            UPDATE refresh_tokens SET used_at = $1
            WHERE id = $3 AND used_at IS NULL AND session_id IN (SELECT id FROM touched)
            RETURNING session_id
        )
        INSERT INTO refresh_tokens (id, session_id, token_hash, issued_at, expires_at, used_at)
        SELECT $4, session_id, $5, $6, $7, NULL FROM marked";
    let used_at = stored(rotation.used_at);
    let successor = &rotation.successor;
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        ROTATE,
        [
            used_at.into(),
            rotation.session_id.as_uuid().into(),
            rotation.used.as_uuid().into(),
            successor.id.as_uuid().into(),
            successor.digest.as_str().into(),
            stored(successor.issued_at).into(),
            stored(successor.expires_at).into(),
        ],
    );
    let inserted = db.execute_raw(statement).await.map_err(db_error)?;
    Ok(inserted.rows_affected() == 1)
}

/// An update of `user`'s sessions that are not revoked yet.
/// Revokes every live session of `user` at `at` inside `conn`'s transaction (a logout
/// everywhere, or the disabling of the account), and returns them. On PostgreSQL the disabling
/// update has already locked the users row, so a concurrent disabling waits for this one.
pub(super) async fn revoke_live_sessions(
    conn: &impl ConnectionTrait,
    user: UserId,
    at: OffsetDateTime,
) -> PortResult<Vec<SessionId>> {
    let revoked = live_sessions_of(user)
        .col_expr(sessions::Column::RevokedAt, Expr::value(stored(at)))
        .exec_with_returning(conn)
        .await
        .map_err(db_error)?;
    Ok(revoked
        .into_iter()
        .map(|s| SessionId::from_uuid(s.id))
        .collect())
}

fn live_sessions_of(user: UserId) -> sea_orm::UpdateMany<sessions::Entity> {
    sessions::Entity::update_many()
        .filter(sessions::Column::UserId.eq(user.as_uuid()))
        .filter(sessions::Column::RevokedAt.is_null())
}

async fn insert_token(
    conn: &impl ConnectionTrait,
    session: SessionId,
    token: &NewRefreshToken,
) -> PortResult<()> {
    let row = refresh_tokens::ActiveModel {
        id: Set(token.id.as_uuid()),
        session_id: Set(session.as_uuid()),
        token_hash: Set(token.digest.as_str().to_owned()),
        issued_at: Set(stored(token.issued_at)),
        expires_at: Set(stored(token.expires_at)),
        used_at: Set(None),
    };
    refresh_tokens::Entity::insert(row)
        .exec_without_returning(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// The methods as the `amr` column keeps them: RFC 8176 values separated by spaces.
fn stored_amr(amr: &[AuthMethod]) -> String {
    amr.iter()
        .map(|method| method.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The methods of a stored `amr`.
fn read_amr(stored: &str) -> PortResult<Vec<AuthMethod>> {
    stored
        .split_whitespace()
        .map(|raw| AuthMethod::parse(raw).ok_or_else(|| invalid_row("sessions.amr", raw)))
        .collect()
}
