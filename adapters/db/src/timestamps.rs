//! Timestamps as both backends store and compare them.
//!
//! PostgreSQL keeps `timestamptz` at microsecond precision; SQLite has no time type, and sqlx
//! stores an `OffsetDateTime` there as RFC 3339 text whose fraction drops trailing zeros
//! (`…:05Z`, `…:05.25Z`, `…:05.5Z`), so text order is not time order. Every timestamp is
//! therefore stored in UTC at millisecond precision (what SQLite's date functions resolve), and
//! comparisons and ordering on SQLite go through `julianday()`, which reads that text as a time.
//! A value read back equals the value written after [`stored`].

use sea_orm::DbBackend;
use sea_orm::sea_query::{Expr, Func};
use time::{Duration, OffsetDateTime, UtcOffset};

/// `at` as it will be read back: in UTC, truncated to the millisecond.
pub(super) fn stored(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(UtcOffset::UTC);
    utc - Duration::nanoseconds(i64::from(utc.nanosecond() % 1_000_000))
}

/// `expr` (a timestamp column or value) in a form that compares and sorts in time order on
/// `backend`.
pub(super) fn in_time_order(backend: DbBackend, expr: Expr) -> Expr {
    match backend {
        DbBackend::Sqlite => Func::cust("julianday").arg(expr).into(),
        _ => expr,
    }
}
