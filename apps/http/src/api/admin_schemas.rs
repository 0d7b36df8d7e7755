//! The bodies of the docs/http-api.md §5 user administration: the account as managers and admins
//! see it, the change an admin asks for (read into an [`AccessChange`]), and an audit record.

use poem_openapi::Object;
use poem_openapi::types::Any;
use postern_core::FieldError;
use postern_core::domain::{AccessChange, AuditRecord, Role, User};
use time::OffsetDateTime;
use uuid::Uuid;

use super::schemas::{RoleView, UserView};
use crate::body::{BodyFields, JsonBody};

/// A user account as managers and admins see it: the user object and whether the
/// account is disabled.
#[derive(Object)]
#[oai(rename = "AdminUser", rename_all = "camelCase")]
pub struct AdminUserView {
    /// The user object's fields.
    #[oai(flatten)]
    pub user: UserView,
    /// Whether an admin has disabled the account: it can then neither log in nor refresh.
    pub disabled: bool,
}

impl From<User> for AdminUserView {
    fn from(user: User) -> Self {
        let disabled = user.disabled;
        Self {
            user: user.into(),
            disabled,
        }
    }
}

/// `PATCH /admin/users/{id}`: what to change; at least one field.
#[derive(Object, Debug)]
#[oai(rename = "UpdateUserRequest", rename_all = "camelCase")]
pub struct UpdateUserBody {
    /// The new role.
    pub role: Option<RoleView>,
    /// `true` disables the account and ends all its sessions at once; `false` enables it.
    pub disabled: Option<bool>,
}

impl JsonBody for UpdateUserBody {
    type Parsed = AccessChange;

    fn read(fields: &mut BodyFields) -> Option<AccessChange> {
        let role = fields.optional("role", |raw: String| Role::parse(&raw));
        let disabled = fields.optional("disabled", Ok);
        let change = AccessChange {
            role: role?,
            disabled: disabled?,
        };
        if change.is_empty() {
            return fields.refuse(FieldError::new("role", "give `role`, `disabled` or both"));
        }
        Some(change)
    }
}

/// One record of the audit log: a delivered event.
#[derive(Object)]
#[oai(rename = "AuditEntry", rename_all = "camelCase")]
pub struct AuditEntryView {
    /// The event's id (a UUIDv7).
    pub id: Uuid,
    /// The event's type, e.g. `user.role_changed`.
    #[oai(rename = "type")]
    pub event_type: String,
    /// The user the event concerns, or null.
    #[oai(nullable)]
    pub user_id: Option<Uuid>,
    /// When the change happened (RFC 3339).
    pub occurred_at: OffsetDateTime,
    /// The event's payload, whose shape its `type` sets.
    pub data: Any<serde_json::Value>,
}

impl From<AuditRecord> for AuditEntryView {
    fn from(record: AuditRecord) -> Self {
        // The record is the whole event as delivered; its `data` is what clients want here.
        let data = serde_json::from_str::<serde_json::Value>(&record.event_json)
            .ok()
            .and_then(|mut event| event.get_mut("data").map(serde_json::Value::take))
            .unwrap_or(serde_json::Value::Null);
        Self {
            id: record.id.as_uuid(),
            event_type: record.event_type,
            user_id: record.user_id.map(|u| u.as_uuid()),
            occurred_at: record.occurred_at,
            data: Any(data),
        }
    }
}
