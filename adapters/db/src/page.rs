//! What keyset pagination and prefix filters need in SQL, on both backends.

use postern_core::domain::PageKey;
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, LikeExpr};
use sea_orm::{DbBackend, sea_query::SimpleExpr};

use super::timestamps::{in_time_order, stored};

/// The character that makes the next one in a `LIKE` pattern match itself.
const ESCAPE: char = '\\';

/// Rows strictly after `key` in the order `at DESC, id DESC`: older, or as old with a smaller
/// id. Timestamps compare in time order on both backends.
pub(super) fn after_key(
    backend: DbBackend,
    at: impl IntoColumnRef + Copy,
    id: impl IntoColumnRef + Copy,
    key: PageKey,
) -> SimpleExpr {
    let time = |expr| in_time_order(backend, expr);
    let key_at = || time(Expr::value(stored(key.at)));
    time(Expr::col(at)).lt(key_at()).or(time(Expr::col(at))
        .eq(key_at())
        .and(Expr::col(id).lt(key.id)))
}

/// A `LIKE` pattern matching text that starts with `prefix`, in which `%`, `_` and the escape
/// character match themselves.
pub(super) fn like_prefix(prefix: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            pattern.push(ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape(ESCAPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_a_prefix_match_themselves() {
        let like = like_prefix(r"a_b%c\d");
        let sql = sea_orm::sea_query::Query::select()
            .expr(Expr::col(sea_orm::sea_query::Alias::new("email")).like(like))
            .to_string(sea_orm::sea_query::SqliteQueryBuilder);
        assert!(sql.contains(r"'a\_b\%c\\d%'"), "{sql}");
        assert!(sql.contains("ESCAPE"), "{sql}");
    }
}
