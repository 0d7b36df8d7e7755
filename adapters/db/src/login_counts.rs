//! Login counts (docs/http-api.md §3 lockout) in the `login_counts` table: one row per email
//! and client, and one per email from every client under an empty `client_key`, for unknown
//! emails as for accounts.
//!
//! Each change is one transaction over the key's two rows: missing rows are created, both are
//! read under a lock (PostgreSQL's `FOR UPDATE`, taken account row first so that concurrent
//! attempts lock in one order; SQLite has one writer), the domain's [`LoginCounts`] rules are
//! applied, and both are written back. Concurrent attempts on one email are therefore decided
//! one after the other, so no more attempts than the policy allows are ever let through; an
//! attempt refused because the slots are held by attempts in flight polls for a free one,
//! briefly, rather than holding a transaction open.
//!
//! Rows for unknown emails would otherwise pile up: every reservation also deletes up to three
//! counts that are as good as new ([`LoginCount::is_forgettable`]), skipping rows that others
//! hold, so the table stays within about twice the counts still live.

use postern_core::domain::{Email, Event, LockoutPolicy, LoginCount, LoginCounts, LoginKey};
use postern_core::ports::PortResult;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use time::OffsetDateTime;

use super::entities::login_counts;
use super::error::{db_error, invalid_row};
use super::timestamps::{in_time_order, stored};
use super::tx::{begin_write, commit, write_event};

/// The `client_key` of an email's count from every client.
const EVERY_CLIENT: &str = "";

/// How many forgettable counts one reservation deletes: more than the two it may create.
const PRUNE_BATCH: u64 = 3;

/// Applies `change` to `key`'s two counts in one transaction, with `event` written in it when
/// given, and returns what `change` answered.
pub(super) async fn change_counts<T>(
    db: &DatabaseConnection,
    key: &LoginKey,
    event: Option<&Event>,
    change: impl FnOnce(&mut LoginCounts) -> T,
) -> PortResult<T> {
    let txn = begin_write(db).await?;
    let mut counts = locked_counts(&txn, key).await?;
    let answer = change(&mut counts);
    store(&txn, &key.email, EVERY_CLIENT, &counts.account).await?;
    store(&txn, &key.email, key.client.as_str(), &counts.client).await?;
    if let Some(event) = event {
        write_event(&txn, event).await?;
    }
    commit(txn).await?;
    Ok(answer)
}

/// Deletes up to [`PRUNE_BATCH`] counts that are forgettable at `at`, skipping locked rows.
pub(super) async fn prune(
    db: &DatabaseConnection,
    at: OffsetDateTime,
    policy: &LockoutPolicy,
) -> PortResult<()> {
    let backend = db.get_database_backend();
    let forgettable = || {
        let in_order = |expr: Expr| in_time_order(backend, expr);
        let now = || in_order(Expr::value(stored(at)));
        let locked_until = || Expr::col(login_counts::Column::LockedUntil);
        let reserved_at = || Expr::col(login_counts::Column::ReservedAt);
        locked_until()
            .is_null()
            .or(in_order(locked_until()).lte(now()))
            .and(
                reserved_at().is_null().or(in_order(reserved_at())
                    .lte(in_order(Expr::value(stored(at - policy.forget_after()))))),
            )
    };
    let batch = Query::select()
        .columns([login_counts::Column::Email, login_counts::Column::ClientKey])
        .from(login_counts::Entity)
        .cond_where(forgettable())
        .limit(PRUNE_BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    // The condition is checked again on the rows themselves, so that a row another attempt
    // reserved meanwhile is kept.
    login_counts::Entity::delete_many()
        .filter(forgettable())
        .filter(
            Expr::tuple([
                Expr::col(login_counts::Column::Email),
                Expr::col(login_counts::Column::ClientKey),
            ])
            .in_subquery(batch),
        )
        .exec(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Forgets every count of `email`, from every client.
pub(super) async fn forget(conn: &impl ConnectionTrait, email: &Email) -> PortResult<()> {
    login_counts::Entity::delete_many()
        .filter(login_counts::Column::Email.eq(email.as_str()))
        .exec(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// `key`'s two counts, created when missing and locked until the transaction ends.
async fn locked_counts(txn: &DatabaseTransaction, key: &LoginKey) -> PortResult<LoginCounts> {
    let email = key.email.as_str();
    let new_row = |client_key: &str| login_counts::ActiveModel {
        email: Set(email.to_owned()),
        client_key: Set(client_key.to_owned()),
        failed: Set(0),
        in_flight: Set(0),
        reserved_at: Set(None),
        locked_until: Set(None),
    };
    login_counts::Entity::insert_many([new_row(EVERY_CLIENT), new_row(key.client.as_str())])
        .on_conflict_do_nothing()
        .exec_without_returning(txn)
        .await
        .map_err(db_error)?;
    let rows = login_counts::Entity::find()
        .filter(login_counts::Column::Email.eq(email))
        .filter(login_counts::Column::ClientKey.is_in([EVERY_CLIENT, key.client.as_str()]))
        .order_by_asc(login_counts::Column::ClientKey)
        .lock_exclusive()
        .all(txn)
        .await
        .map_err(db_error)?;
    let mut counts = LoginCounts::default();
    for row in rows {
        if row.client_key == EVERY_CLIENT {
            counts.account = to_count(row)?;
        } else {
            counts.client = to_count(row)?;
        }
    }
    Ok(counts)
}

async fn store(
    txn: &DatabaseTransaction,
    email: &Email,
    client_key: &str,
    count: &LoginCount,
) -> PortResult<()> {
    login_counts::Entity::update_many()
        .col_expr(
            login_counts::Column::Failed,
            Expr::value(stored_count(count.failed)),
        )
        .col_expr(
            login_counts::Column::InFlight,
            Expr::value(stored_count(count.in_flight)),
        )
        .col_expr(
            login_counts::Column::ReservedAt,
            Expr::value(count.reserved_at.map(stored)),
        )
        .col_expr(
            login_counts::Column::LockedUntil,
            Expr::value(count.locked_until.map(stored)),
        )
        .filter(login_counts::Column::Email.eq(email.as_str()))
        .filter(login_counts::Column::ClientKey.eq(client_key))
        .exec(txn)
        .await
        .map_err(db_error)?;
    Ok(())
}

fn to_count(row: login_counts::Model) -> PortResult<LoginCount> {
    let count = |value: i32, column: &'static str| {
        u32::try_from(value).map_err(|e| invalid_row(column, e.to_string()))
    };
    Ok(LoginCount {
        failed: count(row.failed, "login_counts.failed")?,
        in_flight: count(row.in_flight, "login_counts.in_flight")?,
        reserved_at: row.reserved_at,
        locked_until: row.locked_until,
    })
}

/// A count as its column holds it.
fn stored_count(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}
