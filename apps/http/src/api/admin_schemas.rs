//! The bodies of the docs/http-api.md §5 user administration: the account as managers and admins
//! see it, the change an admin asks for (read into an [`AccessChange`]), and an audit record.

use poem_openapi::Object;
use poem_openapi::types::Any;
use postern_core::FieldError;
use postern_core::domain::{AccessChange, AuditRecord, EVENT_VERSION, Role, User};
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
    /// The schema version of the event's `data`, 1 today.
    pub version: u16,
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
        // The record is the whole event as delivered; its `version` and `data` are what
        // clients want here beside the indexed columns.
        let mut event = serde_json::from_str::<serde_json::Value>(&record.event_json)
            .unwrap_or(serde_json::Value::Null);
        let version = event
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .and_then(|v| u16::try_from(v).ok())
            .unwrap_or(EVENT_VERSION);
        let data = event
            .get_mut("data")
            .map_or(serde_json::Value::Null, serde_json::Value::take);
        Self {
            id: record.id.as_uuid(),
            event_type: record.event_type,
            version,
            user_id: record.user_id.map(|u| u.as_uuid()),
            occurred_at: record.occurred_at,
            data: Any(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;
    use postern_core::domain::{Event, EventData, EventId, UserId};
    use time::macros::datetime;

    use super::*;

    #[test]
    fn an_audit_entry_carries_the_version_and_data_of_its_event() {
        let event = Event::new(
            EventData::ProfileUpdated {
                name: Some("Ada".into()),
            },
            Some(UserId::generate()),
            datetime!(2026-12-06 08:00 UTC),
        );
        let record = AuditRecord {
            id: EventId::from_uuid(event.id),
            event_type: event.data.type_name().to_owned(),
            user_id: event.user_id.map(UserId::from_uuid),
            occurred_at: event.occurred_at,
            event_json: serde_json::to_string(&event).unwrap(),
        };

        let entry = serde_json::to_value(AuditEntryView::from(record).to_json()).unwrap();

        assert_eq!(entry["version"], 1);
        assert_eq!(entry["data"], serde_json::json!({"name": "Ada"}));
        assert_eq!(entry["type"], "user.profile_updated");
    }
}
