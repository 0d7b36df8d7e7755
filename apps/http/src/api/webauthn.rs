//! WebAuthn (docs/http-api.md, multi-factor authentication): registering a security key or
//! passkey as a second factor, the WebAuthn second step's challenge, and passwordless sign-in
//! with a passkey. Each ceremony has a start, which answers WebAuthn options for the browser,
//! and a finish, which takes the browser's credential; the server keeps each challenge for 5
//! minutes and accepts one answer to it.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use postern_core::ports::PortError;
use postern_core::usecases::{
    AuthenticateError, PasskeySignInError, PasskeySignInRequest, RegisterWebAuthnError,
    StartWebAuthnStepError, WebAuthnAnswer,
};

use super::ApiTags;
use super::auth::ACCOUNT_DISABLED;
use super::mfa::{INVALID_MFA_TOKEN, ManageMfaErrors};
use super::mfa_schemas::ConfirmedFactorView;
use super::requests::PasswordChangePerUser;
use super::schemas::LoginView;
use super::user::ACCOUNT_GONE;
use super::webauthn_schemas::{
    ChallengeView, FinishRegistrationBody, PasskeyChallengeView, PasskeyFinishBody,
    PasskeyStartPerClient, RegistrationView, StartRegistrationBody, StartStepBody,
};
use crate::answers::{Answer, INTERNAL, Invalid, JsonBody, UNAVAILABLE, answers};
use crate::auth::BearerAuth;
use crate::body::ValidJson;
use crate::client::Client;
use crate::envelope::Success;
use crate::limits::Limited;
use crate::middleware::record_user;
use crate::responses::{Done, Failure, RateLimited, failures};
use crate::state::AppState;

/// 400 `invalid_token` for a registration that no longer waits.
const UNKNOWN_REGISTRATION: Answer = Answer {
    status: StatusCode::BAD_REQUEST,
    code: "invalid_token",
    message: "The registration is unknown or has expired.",
    doc: "the registrationId is unknown, another account's, already finished, or older than \
          5 minutes: start again",
};

/// 400 `invalid_webauthn_credential`.
const INVALID_WEBAUTHN_CREDENTIAL: Answer = Answer {
    status: StatusCode::BAD_REQUEST,
    code: "invalid_webauthn_credential",
    message: "The security key's answer is not valid.",
    doc: "the credential does not verify: malformed, made for another site (origin or RP \
          ID), answering another challenge, or without user verification",
};

/// 409 `webauthn_credential_exists`.
const CREDENTIAL_EXISTS: Answer = Answer {
    status: StatusCode::CONFLICT,
    code: "webauthn_credential_exists",
    message: "This security key is already registered.",
    doc: "the authenticator's credential is already a factor of an account",
};

answers!(RegisterWebAuthnError {
    RegisterWebAuthnError::UnknownRegistration => UNKNOWN_REGISTRATION,
    RegisterWebAuthnError::InvalidCredential(_) => INVALID_WEBAUTHN_CREDENTIAL,
    RegisterWebAuthnError::AlreadyRegistered => CREDENTIAL_EXISTS,
    RegisterWebAuthnError::AccountGone => ACCOUNT_GONE,
    RegisterWebAuthnError::Unavailable(_) => UNAVAILABLE,
    RegisterWebAuthnError::Unexpected(_) => INTERNAL,
});

/// 409 `mfa_not_enabled` when the login's account has no key to ask for.
const NO_WEBAUTHN_FACTOR: Answer = Answer {
    status: StatusCode::CONFLICT,
    code: "mfa_not_enabled",
    message: "No security key or passkey is registered on this account.",
    doc: "the login's account has no WebAuthn factor: complete it with a code instead",
};

answers!(StartWebAuthnStepError {
    StartWebAuthnStepError::InvalidToken => INVALID_MFA_TOKEN,
    StartWebAuthnStepError::NoWebAuthnFactor => NO_WEBAUTHN_FACTOR,
    StartWebAuthnStepError::Unavailable(_) => UNAVAILABLE,
    StartWebAuthnStepError::Unexpected(_) => INTERNAL,
});

/// 401 `invalid_credentials` at a passwordless sign-in.
const INVALID_PASSKEY: Answer = Answer {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_credentials",
    message: "The passkey could not be verified.",
    doc: "anything wrong with the answer (indistinguishable): unknown, used or expired \
          challengeId, unknown passkey, bad signature, other origin",
};

answers!(PasskeySignInError {
    PasskeySignInError::InvalidCredentials => INVALID_PASSKEY,
    PasskeySignInError::AccountDisabled => ACCOUNT_DISABLED,
    PasskeySignInError::Unavailable(_) => UNAVAILABLE,
    PasskeySignInError::Unexpected(_) => INTERNAL,
});

failures!(
    /// A registration's finish's documented failures.
    RegisterErrors = RegisterWebAuthnError, AuthenticateError, JsonBody, Invalid
);
failures!(
    /// The second step's challenge's documented failures.
    StartStepErrors = StartWebAuthnStepError, JsonBody, Invalid
);
failures!(
    /// A passwordless sign-in's start's documented failures.
    PasskeyStartErrors = PortError
);
failures!(
    /// A passwordless sign-in's finish's documented failures.
    PasskeyFinishErrors = PasskeySignInError, JsonBody, Invalid
);

/// A registration's success.
#[derive(ApiResponse)]
pub enum RegisteredResponse {
    /// The key is an active factor; every later login asks for a second factor.
    #[oai(status = 201)]
    Created(Json<Success<ConfirmedFactorView>>),
}

/// The WebAuthn operations.
pub struct WebAuthnApi;

#[OpenApi(prefix_path = "/api/v1")]
impl WebAuthnApi {
    /// Start registering a security key or passkey
    ///
    /// Checks the current password, then answers a `registrationId` and the options for
    /// `navigator.credentials.create()`; the browser's answer goes to
    /// `POST /api/v1/user/mfa/webauthn/register/finish` within 5 minutes. The key is asked
    /// to be discoverable, so that it can also sign in without a password. A wrong current
    /// password counts as at a password change; rate limited per account with password
    /// changes.
    #[oai(
        path = "/user/mfa/webauthn/register/start",
        method = "post",
        operation_id = "startWebAuthnRegistration",
        tag = "ApiTags::User"
    )]
    async fn start_registration(
        &self,
        state: Data<&Arc<AppState>>,
        body: ValidJson<StartRegistrationBody>,
        auth: Limited<PasswordChangePerUser>,
    ) -> RateLimited<Done<RegistrationView>, ManageMfaErrors> {
        auth.run(async |auth| {
            let start = body.0;
            let registration = state
                .webauthn
                .start_registration
                .execute(&auth.0, &start.current, start.name)
                .await?;
            Ok(Done(registration.into()))
        })
        .await
    }

    /// Finish registering a security key or passkey
    ///
    /// Takes the `PublicKeyCredential` that `navigator.credentials.create()` returned and
    /// stores the key as an active factor: every later login asks for a second factor. The
    /// account's first factor comes with ten single-use recovery codes, shown once.
    #[oai(
        path = "/user/mfa/webauthn/register/finish",
        method = "post",
        operation_id = "finishWebAuthnRegistration",
        tag = "ApiTags::User"
    )]
    async fn finish_registration(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: ValidJson<FinishRegistrationBody>,
    ) -> Result<RegisteredResponse, Failure<RegisterErrors>> {
        let finish = body.0;
        let registered = state
            .webauthn
            .finish_registration
            .execute(
                &auth.0,
                WebAuthnAnswer {
                    registration_id: finish.registration_id,
                    credential: finish.credential,
                },
            )
            .await?;
        Ok(RegisteredResponse::Created(Json(Success::new(
            registered.into(),
        ))))
    }

    /// Start a WebAuthn second step
    ///
    /// Takes the `mfaToken` of a login that answered `mfaRequired` with `webauthn` among its
    /// factors, and answers the options for `navigator.credentials.get()`, listing the
    /// account's keys; the browser's answer goes to `POST /api/v1/auth/mfa/verify` as
    /// `credential` with the same `mfaToken`. Starting again replaces the challenge. Counts
    /// nothing toward the lockout.
    #[oai(
        path = "/auth/mfa/webauthn/start",
        method = "post",
        operation_id = "startWebAuthnStep",
        tag = "ApiTags::Auth"
    )]
    async fn start_second_step(
        &self,
        state: Data<&Arc<AppState>>,
        body: ValidJson<StartStepBody>,
    ) -> Result<Done<ChallengeView>, Failure<StartStepErrors>> {
        let options = state.webauthn.start_second_step.execute(&body.0).await?;
        Ok(Done(options.into()))
    }

    /// Start a passwordless sign-in
    ///
    /// Answers a `challengeId` and options for `navigator.credentials.get()` that name no
    /// account, for any passkey of this site; the browser's answer goes to
    /// `POST /api/v1/auth/passkey/finish` within 5 minutes. Rate limited per client IP, with
    /// the finish.
    #[oai(
        path = "/auth/passkey/start",
        method = "post",
        operation_id = "startPasskeySignIn",
        tag = "ApiTags::Auth"
    )]
    async fn start_sign_in(
        &self,
        state: Data<&Arc<AppState>>,
        limit: Limited<PasskeyStartPerClient>,
    ) -> RateLimited<Done<PasskeyChallengeView>, PasskeyStartErrors> {
        limit
            .run(async |_| {
                let challenge = state.webauthn.start_sign_in.execute().await?;
                Ok(Done(challenge.into()))
            })
            .await
    }

    /// Finish a passwordless sign-in
    ///
    /// Takes the `PublicKeyCredential` that `navigator.credentials.get()` returned, with the
    /// user handle of a passkey registered as a factor, and starts a session: the answer is a
    /// login's, with no password and no second step. The access token's `amr` is `["hwk"]`
    /// or `["swk"]`. Rate limited per client IP, with the start.
    #[oai(
        path = "/auth/passkey/finish",
        method = "post",
        operation_id = "finishPasskeySignIn",
        tag = "ApiTags::Auth"
    )]
    async fn finish_sign_in(
        &self,
        state: Data<&Arc<AppState>>,
        client: Client,
        body: Limited<PasskeyFinishBody>,
    ) -> RateLimited<Done<LoginView>, PasskeyFinishErrors> {
        body.run(async |finish| {
            let finish = finish.0;
            let login = state
                .webauthn
                .finish_sign_in
                .execute(PasskeySignInRequest {
                    challenge_id: finish.challenge_id,
                    credential: finish.credential,
                    client: client.0,
                })
                .await?;
            record_user(login.user.id);
            Ok(Done(LoginView::new(login.user, login.tokens)))
        })
        .await
    }
}
