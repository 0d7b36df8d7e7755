//! What keyset pagination and prefix filters need in SQL, on both backends.

use postern_core::domain::PageKey;
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef};
use sea_orm::{DbBackend, sea_query::SimpleExpr};

use super::timestamps::{in_time_order, stored};

/// Rows strictly after `key` in the order `at DESC, id DESC`: older, or as old with a smaller
/// id. Timestamps compare in time order on both backends. The first condition alone bounds a
/// range of an index in that order, so a deep page starts where the key is instead of scanning
/// every row before it.
pub(super) fn after_key(
    backend: DbBackend,
    at: impl IntoColumnRef + Copy,
    id: impl IntoColumnRef + Copy,
    key: PageKey,
) -> SimpleExpr {
    let time = |expr| in_time_order(backend, expr);
    let key_at = || time(Expr::value(stored(key.at)));
    time(Expr::col(at)).lte(key_at()).and(
        time(Expr::col(at))
            .lt(key_at())
            .or(Expr::col(id).lt(key.id)),
    )
}

/// Text in `column` that starts with `prefix`, as a range of byte-wise ordered text: at least
/// `prefix` and less than its [`successor`]. Exact, since UTF-8 orders bytes as it orders code
/// points, and served by an index in byte order: SQLite's default collation is byte-wise, and
/// on PostgreSQL the column is compared under the `C` collation, which an index matches.
pub(super) fn prefix_range(backend: DbBackend, column: &str, prefix: &str) -> SimpleExpr {
    let text = || match backend {
        DbBackend::Postgres => Expr::cust(format!("\"{column}\" COLLATE \"C\"")),
        _ => Expr::col(sea_orm::sea_query::Alias::new(column)),
    };
    let from = text().gte(prefix);
    match successor(prefix) {
        Some(until) => from.and(text().lt(until)),
        None => from,
    }
}

/// The least text greater than every text that starts with `prefix`: `prefix` with its last
/// character that can be raised raised by one (and those after it dropped). `None` when no
/// character can be (an empty prefix, or one of `char::MAX` only): then no upper bound exists.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The code points between U+D7FF and U+E000 are surrogates, which no text holds.
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_successor_raises_the_last_character() {
        assert_eq!(successor("ab").as_deref(), Some("ac"));
        assert_eq!(successor("a%").as_deref(), Some("a&"));
        assert_eq!(successor("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
        assert_eq!(successor("a\u{10ffff}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10ffff}"), None);
        assert_eq!(successor(""), None);
    }

    #[test]
    fn text_in_the_range_is_exactly_text_with_the_prefix() {
        let prefix = "ab\u{7f}";
        let until = successor(prefix).unwrap();
        for text in [
            "ab\u{7f}",
            "ab\u{7f}z",
            "ab\u{7f}\u{10ffff}",
            "ab",
            "ab\u{80}",
            "ab~",
            "b",
        ] {
            let in_range = text >= prefix && text < until.as_str();
            assert_eq!(in_range, text.starts_with(prefix), "{text:?}");
        }
    }
}
