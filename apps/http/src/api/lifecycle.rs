//! docs/http-api.md §4 account lifecycle: email change (with its confirmation link), data export
//! and self-deletion, apart from the other operations of their tags so that the lifecycle reads
//! in one place; each operation still carries its tag. Deletion by an admin shares its path with
//! `PATCH /admin/users/{id}`, and one path must come from one API, so it is an operation of
//! [`super::AdminApi`], answered with the errors declared here.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use postern_core::usecases::{
    AccountDeletionError, AuthenticateError, AuthorizeError, ConfirmEmailChangeError,
    EmailChangeError, ProfileError,
};

use super::ApiTags;
use super::admin::{LAST_ADMIN, NO_SUCH_USER};
use super::auth::{EMAIL_TAKEN, WRONG_PASSWORD, WRONG_PASSWORD_SESSION_ENDED};
use super::lifecycle_schemas::{
    ChangeEmailBody, ConfirmEmailChangeBody, DeleteAccountBody, ExportView,
};
use super::recovery::{AcceptedResponse, INVALID_LINK};
use super::requests::PasswordChangePerUser;
use super::schemas::{MessageView, UserView};
use super::user::ACCOUNT_GONE;
use crate::answers::{Answer, INTERNAL, Invalid, JsonBody, UNAVAILABLE, answers};
use crate::auth::BearerAuth;
use crate::body::ValidJson;
use crate::limits::Limited;
use crate::responses::{Done, Failure, RateLimited, failures};
use crate::state::AppState;

/// 409 `email_taken` for an address an account holds, the caller's own included.
const NEW_EMAIL_TAKEN: Answer = Answer {
    doc: "an account, the caller's own included, has the new address",
    ..EMAIL_TAKEN
};

answers!(EmailChangeError {
    EmailChangeError::EmailTaken => NEW_EMAIL_TAKEN,
    EmailChangeError::WrongPassword => WRONG_PASSWORD,
    EmailChangeError::SessionEnded => WRONG_PASSWORD_SESSION_ENDED,
    EmailChangeError::NotFound => ACCOUNT_GONE,
    EmailChangeError::Unavailable(_) => UNAVAILABLE,
    EmailChangeError::Unexpected(_) => INTERNAL,
});

/// 409 `email_taken` when the address was taken between the request and the link.
const EMAIL_TAKEN_MEANWHILE: Answer = Answer {
    doc: "another account took the new address since the change was asked for",
    ..EMAIL_TAKEN
};

answers!(ConfirmEmailChangeError {
    ConfirmEmailChangeError::InvalidToken => INVALID_LINK,
    ConfirmEmailChangeError::EmailTaken => EMAIL_TAKEN_MEANWHILE,
    ConfirmEmailChangeError::Unavailable(_) => UNAVAILABLE,
    ConfirmEmailChangeError::Unexpected(_) => INTERNAL,
});

/// 404 `not_found` for an account to delete.
const NO_ACCOUNT_TO_DELETE: Answer = Answer {
    status: StatusCode::NOT_FOUND,
    doc: "no account has this id, or it is deleted already (or the caller's own is gone)",
    ..NO_SUCH_USER
};

/// 409 `last_admin` for deleting the last enabled admin.
const LAST_ADMIN_DELETED: Answer = Answer {
    doc: "the account is the last enabled admin",
    ..LAST_ADMIN
};

answers!(AccountDeletionError {
    AccountDeletionError::WrongPassword => WRONG_PASSWORD,
    AccountDeletionError::SessionEnded => WRONG_PASSWORD_SESSION_ENDED,
    AccountDeletionError::NotFound => NO_ACCOUNT_TO_DELETE,
    AccountDeletionError::LastAdmin => LAST_ADMIN_DELETED,
    AccountDeletionError::Unavailable(_) => UNAVAILABLE,
    AccountDeletionError::Unexpected(_) => INTERNAL,
});

failures!(
    /// Asking for an email change's documented failures.
    ChangeEmailErrors = EmailChangeError, AuthenticateError, JsonBody, Invalid
);
failures!(
    /// Confirming an email change's documented failures.
    ConfirmEmailChangeErrors = ConfirmEmailChangeError, JsonBody, Invalid
);
failures!(
    /// The export's documented failures.
    ExportErrors = ProfileError, AuthenticateError
);
failures!(
    /// Self-deletion's documented failures.
    DeleteOwnErrors = AccountDeletionError, AuthenticateError, JsonBody, Invalid
);
failures!(
    /// Admin deletion's documented failures.
    DeleteUserErrors = AccountDeletionError, AuthenticateError, AuthorizeError
);

/// docs/http-api.md §4 account-lifecycle operations.
pub struct LifecycleApi;

#[OpenApi]
impl LifecycleApi {
    /// Change the email address
    ///
    /// Checks the current password and that no account has the new address, then mails a
    /// confirmation link (valid 24 hours, single use) to the new address and a notice to the
    /// current one. Nothing changes until the link is opened (`POST
    /// /api/v1/auth/email/change/confirm`). A wrong current password counts against the
    /// session as at a password change, with the same quota; rate limited per account with
    /// password changes.
    #[oai(
        path = "/api/v1/user/email",
        method = "post",
        operation_id = "changeEmail",
        tag = "ApiTags::User"
    )]
    async fn change_email(
        &self,
        state: Data<&Arc<AppState>>,
        // The body comes first, so that an invalid one is refused before the quota is counted.
        body: ValidJson<ChangeEmailBody>,
        auth: Limited<PasswordChangePerUser>,
    ) -> RateLimited<AcceptedResponse, ChangeEmailErrors> {
        auth.run(async |auth| {
            state
                .accounts
                .request_email_change
                .execute(&auth.0, body.0)
                .await?;
            Ok(AcceptedResponse::with(
                "A confirmation link was mailed to the new address.",
            ))
        })
        .await
    }

    /// Confirm an email change
    ///
    /// Spends the token of an email-change link: the account moves to the new address, which
    /// counts as verified. The sessions of the account go on.
    #[oai(
        path = "/api/v1/auth/email/change/confirm",
        method = "post",
        operation_id = "confirmEmailChange",
        tag = "ApiTags::Auth"
    )]
    async fn confirm_email_change(
        &self,
        state: Data<&Arc<AppState>>,
        body: ValidJson<ConfirmEmailChangeBody>,
    ) -> Result<Done<UserView>, Failure<ConfirmEmailChangeErrors>> {
        let user = state.accounts.confirm_email_change.execute(&body.0).await?;
        Ok(Done(user.into()))
    }

    /// Export the caller's data
    ///
    /// Everything Postern holds about the caller, in one document: the account, its live
    /// sessions, its linked identities, its confirmed second factors (without secrets),
    /// and every audit-log record about
    /// it. No password hash, token or token digest is part of it.
    #[oai(
        path = "/api/v1/user/export",
        method = "get",
        operation_id = "exportAccount",
        tag = "ApiTags::User"
    )]
    async fn export(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> Result<Done<ExportView>, Failure<ExportErrors>> {
        let export = state.export.execute(auth.0.user_id).await?;
        Ok(Done(ExportView::new(export, auth.0.session_id)))
    }

    /// Delete the caller's account
    ///
    /// Checks the current password, then erases the account's personal data (email, name,
    /// password hash), ends every session at once (their tokens are refused on every
    /// instance), frees the address for a new signup and mails a notice to it. The audit log
    /// keeps the account's events, by id, without the address. A wrong current password counts
    /// as at a password change; rate limited per account with password changes.
    #[oai(
        path = "/api/v1/user/account",
        method = "delete",
        operation_id = "deleteOwnAccount",
        tag = "ApiTags::User"
    )]
    async fn delete_own(
        &self,
        state: Data<&Arc<AppState>>,
        body: ValidJson<DeleteAccountBody>,
        auth: Limited<PasswordChangePerUser>,
    ) -> RateLimited<Done<MessageView>, DeleteOwnErrors> {
        auth.run(async |auth| {
            state.accounts.delete_account.own(&auth.0, &body.0).await?;
            Ok(Done(MessageView {
                message: "Account deleted.".to_owned(),
            }))
        })
        .await
    }
}
