//! Keyset pagination (docs/http-api.md §1, docs/http-api.md §5): lists are ordered newest first by
//! a timestamp and then by id, and a page ends at a [`PageKey`], the position of its last item. The
//! next page is what comes strictly after that position, so rows inserted while a client pages
//! through (they are newer, so before the position) neither shift the pages nor repeat an item, and
//! no row that existed when paging began is skipped.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::FieldError;

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

/// The position of an item in a newest-first list: its timestamp, then its id to break ties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageKey {
    /// The item's timestamp (e.g. `created_at`).
    pub at: OffsetDateTime,
    /// The item's id.
    pub id: Uuid,
}

/// How many items a page holds: 1 to 100, 20 when the client does not say (docs/http-api.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    /// Validates the `limit` a client asked for; `None` is the default of 20.
    ///
    /// # Errors
    /// A [`FieldError`] on `limit` outside 1 to 100.
    pub fn parse(raw: Option<i64>) -> Result<Self, FieldError> {
        match raw {
            None => Ok(Self(DEFAULT_LIMIT)),
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .map(Self)
                .ok_or_else(|| FieldError::new("limit", "must be between 1 and 100")),
        }
    }

    /// The number of items.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Where a page starts and how long it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// The position of the previous page's last item; `None` for the first page.
    pub after: Option<PageKey>,
    /// The page's length.
    pub limit: PageLimit,
}

/// One page of a list, and where the next one starts (`None` on the last page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// The position to continue after, when more items may follow.
    pub next: Option<PageKey>,
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` items read from storage: the extra one, when present,
    /// only tells that there is a next page, which then starts after the last item kept.
    pub fn from_overfetch(
        mut items: Vec<T>,
        limit: PageLimit,
        key: impl Fn(&T) -> PageKey,
    ) -> Self {
        let limit = limit.get() as usize;
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more { items.last().map(key) } else { None };
        Self { items, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_to_20_and_stays_within_1_to_100() {
        assert_eq!(PageLimit::parse(None).unwrap().get(), 20);
        assert_eq!(PageLimit::parse(Some(100)).unwrap().get(), 100);
        assert!(PageLimit::parse(Some(0)).is_err());
        assert!(PageLimit::parse(Some(101)).is_err());
        assert!(PageLimit::parse(Some(-1)).is_err());
    }

    #[test]
    fn an_overfetched_item_means_a_next_page_after_the_last_kept() {
        let key = |n: &u32| PageKey {
            at: OffsetDateTime::UNIX_EPOCH,
            id: Uuid::from_u128(u128::from(*n)),
        };
        let limit = PageLimit::parse(Some(2)).unwrap();
        let page = Page::from_overfetch(vec![3, 2, 1], limit, key);
        assert_eq!(page.items, [3, 2]);
        assert_eq!(page.next, Some(key(&2)));
        assert_eq!(Page::from_overfetch(vec![3, 2], limit, key).next, None);
    }
}
