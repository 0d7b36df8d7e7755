//! Bodies and views of the account-lifecycle operations (docs/http-api.md §4): email change,
//! data export and account deletion.

use poem_openapi::Object;
use postern_core::domain::{OpaqueToken, Password, SessionId};
use postern_core::usecases::{AccountExport, EmailChangeRequest};

use super::admin_schemas::AuditEntryView;
use super::federation_schemas::IdentityView;
use super::mfa_schemas::FactorView;
use super::requests::{email, presented_password, token};
use super::schemas::{SessionView, UserView};
use crate::body::{BodyFields, JsonBody};

/// `POST /user/email`.
#[derive(Object, Debug)]
#[oai(rename = "ChangeEmailRequest", rename_all = "camelCase")]
pub struct ChangeEmailBody {
    /// The address to move the account to: valid, at most 254 characters; trimmed and
    /// lower-cased.
    #[oai(validator(max_length = 254))]
    pub new_email: String,
    /// The account's current password.
    #[oai(validator(max_length = 128))]
    pub current_password: String,
}

impl JsonBody for ChangeEmailBody {
    type Parsed = EmailChangeRequest;

    fn read(fields: &mut BodyFields) -> Option<EmailChangeRequest> {
        let new_email = fields.required("newEmail", email);
        let current = fields.required("currentPassword", presented_password);
        Some(EmailChangeRequest {
            new_email: new_email?,
            current: current?,
        })
    }
}

/// `POST /auth/email/change/confirm`.
#[derive(Object, Debug)]
#[oai(rename = "ConfirmEmailChangeRequest")]
pub struct ConfirmEmailChangeBody {
    /// The token from the email-change link.
    #[oai(validator(max_length = 512))]
    pub token: String,
}

impl JsonBody for ConfirmEmailChangeBody {
    type Parsed = OpaqueToken;

    fn read(fields: &mut BodyFields) -> Option<OpaqueToken> {
        fields.required("token", token)
    }
}

/// `DELETE /user/account`.
#[derive(Object, Debug)]
#[oai(rename = "DeleteAccountRequest", rename_all = "camelCase")]
pub struct DeleteAccountBody {
    /// The account's current password.
    #[oai(validator(max_length = 128))]
    pub current_password: String,
}

impl JsonBody for DeleteAccountBody {
    type Parsed = Password;

    fn read(fields: &mut BodyFields) -> Option<Password> {
        fields.required("currentPassword", presented_password)
    }
}

/// Everything Postern holds about the caller. Holds no secret: no password hash, no token and
/// no token digest.
#[derive(Object)]
#[oai(rename = "AccountExport")]
pub struct ExportView {
    /// The account.
    pub user: UserView,
    /// Its live sessions, most recently used first (`current` marks this request's).
    pub sessions: Vec<SessionView>,
    /// Identities at external providers that sign in to the account, oldest link first.
    pub identities: Vec<IdentityView>,
    /// Confirmed second factors, oldest first, without their secrets.
    pub factors: Vec<FactorView>,
    /// Every audit-log record about the account, newest first.
    pub events: Vec<AuditEntryView>,
}

impl ExportView {
    /// The view of `export`, for a request from session `current`.
    pub fn new(export: AccountExport, current: SessionId) -> Self {
        Self {
            user: export.user.into(),
            sessions: export
                .sessions
                .into_iter()
                .map(|s| SessionView::new(s, current))
                .collect(),
            identities: export.identities.into_iter().map(Into::into).collect(),
            factors: export.factors.into_iter().map(Into::into).collect(),
            events: export.events.into_iter().map(Into::into).collect(),
        }
    }
}
