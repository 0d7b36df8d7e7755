//! The opaque `cursor` of paginated lists (docs/http-api.md §1): a [`PageKey`], the position of a
//! page's last item, as base64url text. Clients only hand it back; its content is not part of the
//! contract.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use postern_core::FieldError;
use postern_core::domain::PageKey;
use time::OffsetDateTime;
use uuid::Uuid;

/// The longest cursor accepted, well above what [`encode`] produces.
const MAX_CHARS: usize = 128;

/// `key` as a cursor: base64url of `<unix nanoseconds>.<uuid>`.
pub fn encode(key: PageKey) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}.{}",
        key.at.unix_timestamp_nanos(),
        key.id.simple()
    ))
}

/// The position a cursor from [`encode`] names.
///
/// # Errors
/// A [`FieldError`] on `cursor` for anything else.
pub fn decode(cursor: &str) -> Result<PageKey, FieldError> {
    let invalid = || FieldError::new("cursor", "is not a cursor this list gave out");
    if cursor.len() > MAX_CHARS {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    let (nanos, id) = text.split_once('.').ok_or_else(invalid)?;
    let nanos: i128 = nanos.parse().map_err(|_| invalid())?;
    Ok(PageKey {
        at: OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| invalid())?,
        id: Uuid::parse_str(id).map_err(|_| invalid())?,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let key = PageKey {
            at: datetime!(2026-11-30 12:00:00.123 UTC),
            id: Uuid::now_v7(),
        };
        assert_eq!(decode(&encode(key)), Ok(key));
        for bad in ["", "!!", "bm90LWEta2V5", &"A".repeat(200)] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
