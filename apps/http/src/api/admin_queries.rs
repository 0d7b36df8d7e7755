//! The query parameters of the docs/http-api.md §5 lists, parsed into their domain queries with
//! every invalid parameter reported at once, each named as the client sent it.

use postern_core::FieldError;
use postern_core::domain::{AuditQuery, EmailPrefix, PageLimit, PageRequest, UserId, UserQuery};

use super::cursor;
use crate::answers::Invalid;
use crate::body::FieldErrors;

/// The longest event type a filter may name.
const MAX_TYPE_CHARS: usize = 64;

/// The user list's query parameters, every invalid one reported at once.
pub(super) fn user_query(
    email: Option<&str>,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<UserQuery, Invalid> {
    let mut errors = FieldErrors::default();
    let email = errors.check(email.map(EmailPrefix::parse).transpose());
    let page = page_request(&mut errors, limit, cursor);
    let query = (|| {
        Some(UserQuery {
            email: email?,
            page: page?,
        })
    })();
    errors.finish(query).map_err(Invalid)
}

/// The audit log's query parameters, every invalid one reported at once.
pub(super) fn audit_query(
    user_id: Option<&str>,
    event_type: Option<String>,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<AuditQuery, Invalid> {
    let mut errors = FieldErrors::default();
    let user = errors.check(
        user_id
            .map(|raw| {
                UserId::parse(raw).ok_or_else(|| FieldError::new("userId", "must be a UUID"))
            })
            .transpose(),
    );
    let event_type = errors.check(match event_type {
        Some(t) if t.chars().count() > MAX_TYPE_CHARS => {
            Err(FieldError::new("type", "must be at most 64 characters"))
        }
        // No event type holds one, and PostgreSQL refuses a NUL in text outright.
        Some(t) if t.chars().any(char::is_control) => Err(FieldError::new(
            "type",
            "must not contain control characters",
        )),
        other => Ok(other),
    });
    let page = page_request(&mut errors, limit, cursor);
    let query = (|| {
        Some(AuditQuery {
            user: user?,
            event_type: event_type?,
            page: page?,
        })
    })();
    errors.finish(query).map_err(Invalid)
}

/// The page the query parameters ask for, its failures recorded in `errors`.
fn page_request(
    errors: &mut FieldErrors,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Option<PageRequest> {
    let limit = errors.check(PageLimit::parse(limit));
    let after = errors.check(cursor.map(cursor::decode).transpose());
    Some(PageRequest {
        after: after?,
        limit: limit?,
    })
}
