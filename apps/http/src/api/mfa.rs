//! Multi-factor authentication (docs/http-api.md): the caller's factors (list, TOTP enrolment
//! and confirmation, removal, new recovery codes), the second step of a login, and an admin's
//! reset of an account's factors. Requests that weaken an account ask for the current password
//! and share the password-change quota; the second step has a bucket of its own.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use postern_core::domain::{FactorId, Role, UserId};
use postern_core::ports::PortError;
use postern_core::usecases::{
    AuthenticateError, AuthorizeError, ManageMfaError, ResetFactorsError, VerifyMfaError,
    VerifyMfaRequest, WebAuthnStepRequest,
};

use super::ApiTags;
use super::admin::NO_SUCH_USER;
use super::auth::{
    ACCOUNT_DISABLED, ACCOUNT_LOCKED, LOGINS_IN_FLIGHT, LOGINS_IN_FLIGHT_RETRY, WRONG_PASSWORD,
    WRONG_PASSWORD_SESSION_ENDED,
};
use super::mfa_schemas::{
    ConfirmTotpBody, ConfirmedFactorView, CurrentPasswordBody, EnrolTotpBody, FactorView, Proof,
    RecoveryCodesView, TotpEnrolmentView, VerifyMfaBody,
};
use super::requests::PasswordChangePerUser;
use super::schemas::{LoginView, MessageView};
use super::user::ACCOUNT_GONE;
use crate::answers::{Answer, INTERNAL, Invalid, JsonBody, UNAVAILABLE, answers};
use crate::auth::{BearerAuth, require_role};
use crate::body::ValidJson;
use crate::client::Client;
use crate::envelope::Success;
use crate::limits::Limited;
use crate::middleware::record_user;
use crate::responses::{Done, Failure, Listed, RateLimited, failures};
use crate::state::AppState;

/// 400 `invalid_mfa_code` when confirming an enrolment.
const WRONG_CONFIRMATION_CODE: Answer = Answer {
    status: StatusCode::BAD_REQUEST,
    code: "invalid_mfa_code",
    message: "The code is wrong or has expired.",
    doc: "the code is not the authenticator's code for now (one 30-second step either side \
          is accepted)",
};

/// 404 `not_found` for a factor.
const NO_SUCH_FACTOR: Answer = Answer {
    status: StatusCode::NOT_FOUND,
    code: "not_found",
    message: "Not found.",
    doc: "the caller has no such factor (to confirm: no such pending TOTP factor)",
};

/// 409 `mfa_not_enabled`.
const MFA_NOT_ENABLED: Answer = Answer {
    status: StatusCode::CONFLICT,
    code: "mfa_not_enabled",
    message: "No second factor is enabled on this account.",
    doc: "the caller has no confirmed factor, so no recovery codes",
};

answers!(ManageMfaError {
    ManageMfaError::WrongPassword => WRONG_PASSWORD,
    ManageMfaError::SessionEnded => WRONG_PASSWORD_SESSION_ENDED,
    ManageMfaError::AccountGone => ACCOUNT_GONE,
    ManageMfaError::FactorNotFound => NO_SUCH_FACTOR,
    ManageMfaError::InvalidCode => WRONG_CONFIRMATION_CODE,
    ManageMfaError::MfaNotEnabled => MFA_NOT_ENABLED,
    ManageMfaError::Unavailable(_) => UNAVAILABLE,
    ManageMfaError::Unexpected(_) => INTERNAL,
});

/// 401 `invalid_token` for a login token that does not work.
pub(super) const INVALID_MFA_TOKEN: Answer = Answer {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_token",
    message: "The token is invalid or has expired.",
    doc: "the mfaToken is unknown, already completed its login, or older than 5 minutes",
};

/// 401 `invalid_mfa_code` at the second step.
const INVALID_MFA_CODE: Answer = Answer {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_mfa_code",
    message: "The code is wrong.",
    doc: "a wrong or already used TOTP code, an unknown or used recovery code, or a WebAuthn \
          assertion that does not verify or answers no waiting challenge; counted toward the \
          account's lockout like a wrong password",
};

answers!(VerifyMfaError {
    VerifyMfaError::InvalidToken => INVALID_MFA_TOKEN,
    VerifyMfaError::InvalidCode => INVALID_MFA_CODE,
    VerifyMfaError::AccountLocked { .. } => ACCOUNT_LOCKED,
    VerifyMfaError::AccountDisabled => ACCOUNT_DISABLED,
    VerifyMfaError::Busy => LOGINS_IN_FLIGHT,
    VerifyMfaError::Unavailable(_) => UNAVAILABLE,
    VerifyMfaError::Unexpected(_) => INTERNAL,
} {
    fn retry_after(&self) -> Option<time::Duration> {
        match self {
            VerifyMfaError::AccountLocked { retry_after } => Some(*retry_after),
            VerifyMfaError::Busy => Some(LOGINS_IN_FLIGHT_RETRY),
            _ => None,
        }
    }
});

answers!(ResetFactorsError {
    ResetFactorsError::NotFound => NO_SUCH_USER,
    ResetFactorsError::Unavailable(_) => UNAVAILABLE,
    ResetFactorsError::Unexpected(_) => INTERNAL,
});

failures!(
    /// Listing factors' documented failures.
    ListFactorsErrors = PortError, AuthenticateError
);
failures!(
    /// The documented failures of the caller's factor changes.
    ManageMfaErrors = ManageMfaError, AuthenticateError, JsonBody, Invalid
);
failures!(
    /// The second step's documented failures.
    VerifyMfaErrors = VerifyMfaError, JsonBody, Invalid
);
failures!(
    /// An admin's reset's documented failures.
    ResetFactorsErrors = ResetFactorsError, AuthenticateError, AuthorizeError
);

/// An enrolment's success.
#[derive(ApiResponse)]
pub enum EnrolResponse {
    /// The factor is pending until confirmed with a code.
    #[oai(status = 201)]
    Created(Json<Success<TotpEnrolmentView>>),
}

/// The multi-factor operations.
pub struct MfaApi;

#[OpenApi(prefix_path = "/api/v1")]
impl MfaApi {
    /// List second factors
    ///
    /// The caller's confirmed factors, oldest first, without their secrets.
    #[oai(
        path = "/user/mfa",
        method = "get",
        operation_id = "listMfaFactors",
        tag = "ApiTags::User"
    )]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> Result<Listed<FactorView>, Failure<ListFactorsErrors>> {
        let factors = state.accounts.list_factors.execute(auth.0.user_id).await?;
        Ok(Listed::whole(
            factors.into_iter().map(FactorView::from).collect(),
        ))
    }

    /// Start a TOTP enrolment
    ///
    /// Checks the current password, then creates a pending TOTP factor and answers its secret
    /// and `otpauth://` URI, once: nothing shows the secret again. Logins ask for no code until
    /// it is confirmed. A wrong current password counts as at a password change; rate limited
    /// per account with password changes.
    #[oai(
        path = "/user/mfa/totp",
        method = "post",
        operation_id = "enrolTotp",
        tag = "ApiTags::User"
    )]
    async fn enrol_totp(
        &self,
        state: Data<&Arc<AppState>>,
        body: ValidJson<EnrolTotpBody>,
        auth: Limited<PasswordChangePerUser>,
    ) -> RateLimited<EnrolResponse, ManageMfaErrors> {
        auth.run(async |auth| {
            let enrolment = body.0;
            let pending = state
                .accounts
                .enrol_totp
                .execute(&auth.0, &enrolment.current, enrolment.name)
                .await?;
            Ok(EnrolResponse::Created(Json(Success::new(pending.into()))))
        })
        .await
    }

    /// Confirm a TOTP enrolment
    ///
    /// Activates the pending factor with a code from it; every later login asks for a code.
    /// The account's first factor comes with ten single-use recovery codes, shown once.
    #[oai(
        path = "/user/mfa/totp/confirm",
        method = "post",
        operation_id = "confirmTotp",
        tag = "ApiTags::User"
    )]
    async fn confirm_totp(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: ValidJson<ConfirmTotpBody>,
    ) -> Result<Done<ConfirmedFactorView>, Failure<ManageMfaErrors>> {
        let confirmation = body.0;
        let confirmed = state
            .accounts
            .confirm_totp
            .execute(&auth.0, confirmation.factor_id, &confirmation.code)
            .await?;
        Ok(Done(confirmed.into()))
    }

    /// Remove a second factor
    ///
    /// Checks the current password, then removes the factor; removing the last one removes
    /// the recovery codes too, and logins ask for the password only. Rate limited per account
    /// with password changes.
    #[oai(
        path = "/user/mfa/:factor_id",
        method = "delete",
        operation_id = "removeMfaFactor",
        tag = "ApiTags::User"
    )]
    async fn remove(
        &self,
        state: Data<&Arc<AppState>>,
        body: ValidJson<CurrentPasswordBody>,
        auth: Limited<PasswordChangePerUser>,
        /// The factor's id (a UUID).
        factor_id: Path<String>,
    ) -> RateLimited<Done<MessageView>, ManageMfaErrors> {
        auth.run(async |auth| {
            // A malformed id names no factor: 404 like an unknown one, not 400.
            let id = FactorId::parse(&factor_id.0).ok_or(ManageMfaError::FactorNotFound)?;
            state
                .accounts
                .remove_factor
                .execute(&auth.0, id, &body.0)
                .await?;
            Ok(Done(MessageView {
                message: "Second factor removed.".to_owned(),
            }))
        })
        .await
    }

    /// Replace the recovery codes
    ///
    /// Checks the current password, then answers ten new single-use recovery codes, once; the
    /// previous ones stop working. Rate limited per account with password changes.
    #[oai(
        path = "/user/mfa/recovery-codes",
        method = "post",
        operation_id = "regenerateRecoveryCodes",
        tag = "ApiTags::User"
    )]
    async fn regenerate(
        &self,
        state: Data<&Arc<AppState>>,
        body: ValidJson<CurrentPasswordBody>,
        auth: Limited<PasswordChangePerUser>,
    ) -> RateLimited<Done<RecoveryCodesView>, ManageMfaErrors> {
        auth.run(async |auth| {
            let codes = state
                .accounts
                .regenerate_recovery_codes
                .execute(&auth.0, &body.0)
                .await?;
            Ok(Done(codes.into()))
        })
        .await
    }

    /// Complete a login with a second factor
    ///
    /// Takes the `mfaToken` of a login that answered `mfaRequired`, and a six-digit code, a
    /// recovery code, or a WebAuthn assertion (`credential`, answering the challenge of
    /// `POST /api/v1/auth/mfa/webauthn/start`), and starts the session: the answer is the
    /// login's. A code works once; a wrong one counts toward the account's lockout as a wrong
    /// password does, and the token keeps working for another try until it expires (5
    /// minutes) or completes its login. An assertion answers its challenge once, right or
    /// wrong. Rate limited per client IP.
    #[oai(
        path = "/auth/mfa/verify",
        method = "post",
        operation_id = "verifyMfa",
        tag = "ApiTags::Auth"
    )]
    async fn verify(
        &self,
        state: Data<&Arc<AppState>>,
        client: Client,
        body: Limited<VerifyMfaBody>,
    ) -> RateLimited<Done<LoginView>, VerifyMfaErrors> {
        body.run(async |step| {
            let step = step.0;
            let login = match step.proof {
                Proof::Code(code) => {
                    state
                        .accounts
                        .verify_mfa
                        .execute(VerifyMfaRequest {
                            token: step.token,
                            code,
                            client: client.0,
                        })
                        .await?
                }
                Proof::Assertion(credential) => {
                    state
                        .webauthn
                        .verify_second_step
                        .execute(WebAuthnStepRequest {
                            token: step.token,
                            credential,
                            client: client.0,
                        })
                        .await?
                }
            };
            record_user(login.user.id);
            Ok(Done(LoginView::new(login.user, login.tokens)))
        })
        .await
    }

    /// Reset a user's second factors
    ///
    /// **Requires the `admin` role.** Removes every factor and recovery code of the account,
    /// for a user who lost them; logins then ask for the password only. Recorded in the audit
    /// log with the admin's id.
    #[oai(
        path = "/admin/users/:id/mfa",
        method = "delete",
        operation_id = "resetUserMfa",
        tag = "ApiTags::Admin"
    )]
    async fn reset(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        /// The account's id (a UUID).
        id: Path<String>,
    ) -> Result<Done<MessageView>, Failure<ResetFactorsErrors>> {
        let admin = require_role(&state, &auth, Role::Admin).await?;
        // A malformed id names no account: 404 like an unknown one, not 400.
        let target = UserId::parse(&id.0).ok_or(ResetFactorsError::NotFound)?;
        let removed = state
            .accounts
            .reset_factors
            .execute(admin.id, target)
            .await?;
        Ok(Done(MessageView {
            message: format!("Removed {removed} second factor(s)."),
        }))
    }
}
