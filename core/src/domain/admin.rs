//! What administration (docs/http-api.md §5) reads and changes: the filters of the user list and
//! the audit log, an audit record, and a change of an account's access.

use time::OffsetDateTime;

use super::{EventId, PageRequest, Role, UserId};
use crate::error::FieldError;

const MAX_FILTER_CHARS: usize = 254;

/// A filter of the user list: accounts whose email starts with this text, ignoring case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailPrefix(String);

impl EmailPrefix {
    /// Trims and lower-cases `raw`, as emails are stored. Wildcards have no special meaning:
    /// `%` and `_` match themselves.
    ///
    /// # Errors
    /// A [`FieldError`] on `email` when it is longer than an email may be, or holds a control
    /// character (no address does, and PostgreSQL refuses a NUL in text outright).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let prefix = raw.trim().to_lowercase();
        if prefix.chars().count() > MAX_FILTER_CHARS {
            return Err(FieldError::new("email", "must be at most 254 characters"));
        }
        if prefix.chars().any(char::is_control) {
            return Err(FieldError::new(
                "email",
                "must not contain control characters",
            ));
        }
        Ok(Self(prefix))
    }

    /// The normalised prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which accounts to list, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserQuery {
    /// Only accounts whose email starts with this.
    pub email: Option<EmailPrefix>,
    /// The page.
    pub page: PageRequest,
}

/// Which audit records to list, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only records about this user.
    pub user: Option<UserId>,
    /// Only records of this event type, e.g. `user.role_changed`.
    pub event_type: Option<String>,
    /// The page.
    pub page: PageRequest,
}

/// One delivered event as the audit log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// The event's id.
    pub id: EventId,
    /// Its docs/http-api.md §7 type.
    pub event_type: String,
    /// The user it concerns.
    pub user_id: Option<UserId>,
    /// When the change happened.
    pub occurred_at: OffsetDateTime,
    /// The whole event as delivered, JSON text (`{id, type, version, occurredAt, userId,
    /// data}`), kept as text so that records of types this version does not know still read.
    pub event_json: String,
}

/// A change of an account's access (docs/http-api.md §5 PATCH): a new role, disabling or enabling,
/// or both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessChange {
    /// The new role, if it changes.
    pub role: Option<Role>,
    /// `Some(true)` disables the account, `Some(false)` enables it.
    pub disabled: Option<bool>,
}

impl AccessChange {
    /// Whether the change asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.role.is_none() && self.disabled.is_none()
    }
}

/// Who changes an account's access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// An admin over the API, who may not demote or disable themselves.
    Admin(UserId),
    /// An operator at the command line (`postern user set-role`), who has the database anyway.
    Operator,
}

impl Actor {
    /// The admin's id, for events; `None` for the command line.
    pub fn user_id(self) -> Option<UserId> {
        match self {
            Self::Admin(id) => Some(id),
            Self::Operator => None,
        }
    }
}

/// What a repository stores for an [`AccessChange`], decided by the use case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessUpdate {
    /// The new role, when it differs from the stored one; a new role also revokes every live
    /// session, so that no access token keeps announcing the old one.
    pub role: Option<Role>,
    /// `Some(true)` disables (and revokes every live session), `Some(false)` enables.
    pub disabled: Option<bool>,
    /// When; also the new `updated_at`, and the sessions' revocation time.
    pub at: OffsetDateTime,
}

impl AccessUpdate {
    /// Whether the update ends the account's live sessions: a new role or a disabling.
    pub fn ends_sessions(&self) -> bool {
        self.role.is_some() || self.disabled == Some(true)
    }

    /// Whether an enabled admin would stop being one: a role below admin, or a disabling.
    pub fn removes_admin_rights(&self) -> bool {
        self.role.is_some_and(|role| role < Role::Admin) || self.disabled == Some(true)
    }
}
