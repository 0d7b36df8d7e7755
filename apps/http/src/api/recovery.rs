//! docs/http-api.md §3: email verification and password recovery. Tokens arrive by mail (see the
//! mail handler); these operations spend them. Forgot-password answers the same whether or not the
//! account exists.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use postern_core::FieldError;
use postern_core::ports::{PortError, RateLimitBucket};
use postern_core::usecases::{
    AuthenticateError, LinkTokenError, ResendVerificationError, ResetPasswordError,
};

use super::ApiTags;
use super::requests::{ForgotPasswordBody, ResetPasswordBody, VerifyEmailBody};
use super::schemas::{MessageView, UserView};
use crate::answers::{
    Answer, INTERNAL, Invalid, JsonBody, UNAUTHORIZED, UNAVAILABLE, WEAK_PASSWORD, answers,
};
use crate::auth::BearerAuth;
use crate::body::ValidJson;
use crate::client::Client;
use crate::envelope::Success;
use crate::limits::{Limited, RateLimit};
use crate::responses::{Done, Failure, RateLimited, failures};
use crate::state::AppState;

/// 400 `invalid_token`: a token from a mail link is a field of the request, not a credential,
/// so an unusable one is a bad request rather than a 401.
pub(super) const INVALID_LINK: Answer = Answer {
    status: StatusCode::BAD_REQUEST,
    code: "invalid_token",
    message: "The link is invalid, already used or expired; ask for a new one.",
    doc: "unknown, used or expired token",
};

answers!(LinkTokenError {
    LinkTokenError::InvalidToken => INVALID_LINK,
    LinkTokenError::Unavailable(_) => UNAVAILABLE,
    LinkTokenError::Unexpected(_) => INTERNAL,
});

answers!(ResetPasswordError {
    ResetPasswordError::InvalidToken => INVALID_LINK,
    ResetPasswordError::WeakPassword(_) => WEAK_PASSWORD,
    ResetPasswordError::Unavailable(_) => UNAVAILABLE,
    ResetPasswordError::Unexpected(_) => INTERNAL,
} {
    fn details(&self) -> Vec<FieldError> {
        match self {
            ResetPasswordError::WeakPassword(problem) => vec![problem.clone()],
            _ => Vec::new(),
        }
    }
});

answers!(ResendVerificationError {
    ResendVerificationError::AccountGone => UNAUTHORIZED,
    ResendVerificationError::Unavailable(_) => UNAVAILABLE,
    ResendVerificationError::Unexpected(_) => INTERNAL,
});

failures!(
    /// Email verification's documented failures.
    VerifyEmailErrors = LinkTokenError, JsonBody, Invalid
);
failures!(
    /// Resending the verification mail's documented failures.
    ResendErrors = ResendVerificationError, AuthenticateError
);
failures!(
    /// Forgot-password's documented failures.
    ForgotErrors = PortError, JsonBody, Invalid
);
failures!(
    /// Password reset's documented failures.
    ResetErrors = ResetPasswordError, JsonBody, Invalid
);

/// A request taken in, to be acted on by mail.
#[derive(ApiResponse)]
pub enum AcceptedResponse {
    /// Accepted; a mail follows when there is one to send.
    #[oai(status = 202)]
    Accepted(Json<Success<MessageView>>),
}

impl AcceptedResponse {
    pub(super) fn with(message: &str) -> Self {
        Self::Accepted(Json(Success::new(MessageView {
            message: message.to_owned(),
        })))
    }
}

/// Resending is limited per account: keyed by the user of the bearer token, once it is
/// authenticated.
pub enum PerAccount {}

impl RateLimit for PerAccount {
    type Source = BearerAuth;
    const BUCKET: RateLimitBucket = RateLimitBucket::EmailResend;

    fn key(auth: &BearerAuth, _: &Client) -> String {
        auth.0.user_id.to_string()
    }
}

/// docs/http-api.md §3 verification and recovery operations.
pub struct RecoveryApi;

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Auth")]
impl RecoveryApi {
    /// Verify the email address
    ///
    /// Spends the token of a verification link (valid 24 hours, single use) and marks the
    /// account's address verified.
    #[oai(path = "/email/verify", method = "post", operation_id = "verifyEmail")]
    async fn verify_email(
        &self,
        state: Data<&Arc<AppState>>,
        body: ValidJson<VerifyEmailBody>,
    ) -> Result<Done<UserView>, Failure<VerifyEmailErrors>> {
        let user = state.accounts.verify_email.execute(&body.0).await?;
        Ok(Done(user.into()))
    }

    /// Resend the verification mail
    ///
    /// Mails a new verification link to the caller's address, unless it is verified already.
    /// Rate limited per account.
    #[oai(
        path = "/email/resend",
        method = "post",
        operation_id = "resendVerification"
    )]
    async fn resend(
        &self,
        state: Data<&Arc<AppState>>,
        auth: Limited<PerAccount>,
    ) -> RateLimited<AcceptedResponse, ResendErrors> {
        auth.run(async |auth| {
            state.accounts.resend_verification.execute(&auth.0).await?;
            Ok(AcceptedResponse::with(
                "If the address is not verified yet, a new link is on its way.",
            ))
        })
        .await
    }

    /// Ask for a password reset
    ///
    /// Mails a reset link (valid 30 minutes, single use) to the account with this email. The
    /// answer is the same, and takes the same work, whether or not such an account exists.
    /// Rate limited per client and email; one address is sent at most its cap of reset mails
    /// an hour, however many clients ask, and a request over that cap is answered alike.
    #[oai(
        path = "/password/forgot",
        method = "post",
        operation_id = "forgotPassword"
    )]
    async fn forgot(
        &self,
        state: Data<&Arc<AppState>>,
        body: Limited<ForgotPasswordBody>,
    ) -> RateLimited<AcceptedResponse, ForgotErrors> {
        body.run(async |email| {
            state.accounts.forgot_password.execute(&email.0).await?;
            Ok(AcceptedResponse::with(
                "If an account has this email, a reset link is on its way.",
            ))
        })
        .await
    }

    /// Reset the password
    ///
    /// Spends the token of a reset link on a new password, then ends every session of the
    /// account: their refresh tokens stop working and their access tokens are rejected at
    /// once. A notice is mailed to the account's address.
    #[oai(
        path = "/password/reset",
        method = "post",
        operation_id = "resetPassword"
    )]
    async fn reset(
        &self,
        state: Data<&Arc<AppState>>,
        body: ValidJson<ResetPasswordBody>,
    ) -> Result<Done<MessageView>, Failure<ResetErrors>> {
        let reset = body.0;
        state
            .accounts
            .reset_password
            .execute(&reset.token, &reset.password)
            .await?;
        Ok(Done(MessageView {
            message: "Password reset; every session was signed out.".to_owned(),
        }))
    }
}
