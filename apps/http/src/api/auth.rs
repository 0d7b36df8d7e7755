//! §3: signup, login, refresh, logout, logout-all, me and password change.

use std::future::Future;
use std::sync::Arc;

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use postern_core::domain::{DisplayName, Email, OpaqueToken, Password};
use postern_core::ports::RateLimitBucket;
use postern_core::usecases::{ChangePasswordRequest, LoginRequest, SignupRequest};

use super::ApiTags;
use super::schemas::{
    ChangePasswordBody, Fields, LoginBody, LoginView, LogoutAllView, LogoutBody, MessageView,
    RefreshBody, SignupBody, TokensView, UserView,
};
use crate::auth::BearerAuth;
use crate::client::Client;
use crate::envelope::Success;
use crate::error::ApiError;
use crate::middleware::record_user;
use crate::observability;
use crate::optional_json::OptionalJson;
use crate::responses::{Done, Failure, RateLimited, error_set};
use crate::state::AppState;

error_set!(
    /// Signup's documented failures.
    SignupErrors {
        400 => "`validation_error`: malformed JSON, a missing field, an invalid email or a weak password.",
        409 => "`email_taken`: an account with this email exists.",
        413 => "`payload_too_large`: the body exceeds 64 KiB.",
        429 => "`rate_limited`: too many signups from this address.",
    }
);
error_set!(
    /// Login's documented failures.
    LoginErrors {
        400 => "`validation_error`: malformed JSON or a missing field.",
        401 => "`invalid_credentials`: unknown email or wrong password (indistinguishable).",
        403 => "`forbidden`: the password is right, but an admin has disabled the account.",
        423 => "`account_locked`: 10 consecutive failed logins lock the account for 15 minutes; see `Retry-After`.",
        413 => "`payload_too_large`: the body exceeds 64 KiB.",
        429 => "`rate_limited`: too many attempts for this address and email.",
    }
);
error_set!(
    /// Refresh's documented failures.
    RefreshErrors {
        400 => "`validation_error`: malformed JSON or a missing field.",
        401 => "`invalid_token`: unknown, expired or revoked, or the account is disabled; `refresh_token_reused`: the token was already used and its session is now revoked.",
        413 => "`payload_too_large`: the body exceeds 64 KiB.",
        429 => "`rate_limited`: too many refreshes from this address.",
    }
);
error_set!(
    /// The failures of operations that only need a bearer token.
    BearerErrors {
        401 => "`unauthorized`: missing, invalid or revoked bearer token; `token_expired`: the access token has expired.",
    }
);
error_set!(
    /// The failures of logout, which also takes an optional body.
    LogoutErrors {
        400 => "`validation_error`: malformed JSON.",
        401 => "`unauthorized`: missing, invalid or revoked bearer token; `token_expired`: the access token has expired.",
        413 => "`payload_too_large`: the body exceeds 64 KiB.",
    }
);
error_set!(
    /// Password change's documented failures.
    ChangePasswordErrors {
        400 => "`validation_error`: malformed JSON, a missing field, a weak new password, or a new password equal to the current one.",
        401 => "`invalid_credentials`: the current password is wrong; `unauthorized`: missing, invalid or revoked bearer token; `token_expired`: the access token has expired.",
        413 => "`payload_too_large`: the body exceeds 64 KiB.",
    }
);

/// Signup's success.
#[derive(ApiResponse)]
pub enum SignupResponse {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<Success<UserView>>),
}

/// §3 operations.
pub struct AuthApi;

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Create an account
    ///
    /// Creates a user with the `user` role. Emails are trimmed and lower-cased; passwords
    /// must have 8 to 128 characters and not be only whitespace. Rate limited per client IP.
    #[oai(path = "/signup", method = "post", operation_id = "signup")]
    async fn signup(
        &self,
        state: Data<&Arc<AppState>>,
        client: Client,
        body: Json<SignupBody>,
    ) -> RateLimited<SignupResponse, SignupErrors> {
        let key = client.rate_key();
        rate_limited(&state, RateLimitBucket::Signup, key, async {
            let request = parse_signup(body.0)?;
            let user = state.accounts.signup.execute(request).await?;
            Ok(SignupResponse::Created(Json(Success::new(user.into()))))
        })
        .await
    }

    /// Log in
    ///
    /// Starts a session and returns an access token and a refresh token. An unknown email and
    /// a wrong password give the same answer in about the same time. A disabled account is
    /// refused with 403 `forbidden`, but only when the password is right, so that the answer
    /// tells a guesser nothing. Rate limited per client IP and email.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        client: Client,
        body: Json<LoginBody>,
    ) -> RateLimited<Done<LoginView>, LoginErrors> {
        // Keyed by the normalised email, so that case and spaces do not buy extra attempts.
        let email = Email::parse(body.email.as_ref())
            .map_or_else(|_| body.email.0.clone(), |e| e.as_str().to_owned());
        let key = format!("{}|{email}", client.rate_key());
        rate_limited(&state, RateLimitBucket::Login, key, async {
            let request = parse_login(body.0, client).inspect_err(|_| {
                observability::record_login("invalid_request");
            })?;
            let outcome = state.accounts.login.execute(request).await;
            observability::record_login(login_outcome(&outcome));
            let outcome = outcome?;
            record_user(outcome.user.id);
            Ok(Done(LoginView::new(outcome.user, outcome.tokens)))
        })
        .await
    }

    /// Rotate a refresh token
    ///
    /// Exchanges a refresh token for a new pair; the presented token becomes used. Presenting
    /// a used token again revokes its whole session (`refresh_token_reused`), except within
    /// the short grace window after its first use, where it gets a fresh pair.
    #[oai(path = "/refresh", method = "post", operation_id = "refresh")]
    async fn refresh(
        &self,
        state: Data<&Arc<AppState>>,
        client: Client,
        body: Json<RefreshBody>,
    ) -> RateLimited<Done<TokensView>, RefreshErrors> {
        let key = client.rate_key();
        rate_limited(&state, RateLimitBucket::Refresh, key, async {
            let token = OpaqueToken::presented(body.0.refresh_token.into_inner(), "refreshToken")
                .map_err(|e| postern_core::Error::Validation(vec![e]))?;
            let pair = state.accounts.refresh.execute(token, client.0).await?;
            Ok(Done(pair.into()))
        })
        .await
    }

    /// Log out
    ///
    /// Revokes the session of the bearer token: its refresh token stops working and the
    /// access token itself is rejected from now on. A refresh token of another of the
    /// caller's sessions may be sent to revoke that session too.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: OptionalJson<LogoutBody>,
    ) -> Result<Done<MessageView>, Failure<LogoutErrors>> {
        let refresh = match body.into_inner().and_then(|b| b.refresh_token) {
            Some(raw) => Some(
                OpaqueToken::presented(raw.into_inner(), "refreshToken")
                    .map_err(|e| postern_core::Error::Validation(vec![e]))?,
            ),
            None => None,
        };
        state.accounts.logout.execute(&auth.0, refresh).await?;
        Ok(Done(MessageView {
            message: "Logged out.".to_owned(),
        }))
    }

    /// Log out everywhere
    ///
    /// Revokes every session of the caller, this one included.
    #[oai(path = "/logout-all", method = "post", operation_id = "logoutAll")]
    async fn logout_all(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> Result<Done<LogoutAllView>, Failure<BearerErrors>> {
        let revoked = state.accounts.logout_all.execute(&auth.0).await?;
        Ok(Done(LogoutAllView {
            message: "Logged out of every session.".to_owned(),
            revoked_sessions: revoked as u64,
        }))
    }

    /// The signed-in user
    ///
    /// The caller's account; the same as `GET /api/v1/user/profile`.
    #[oai(path = "/me", method = "get", operation_id = "getCurrentUser")]
    async fn me(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> Result<Done<UserView>, Failure<BearerErrors>> {
        let user = state.accounts.get_profile.execute(auth.0.user_id).await?;
        Ok(Done(user.into()))
    }

    /// Change the password
    ///
    /// Sets a new password after checking the current one, then revokes every other session
    /// of the caller: their refresh tokens stop working and their access tokens are rejected
    /// at once. The session of this request keeps working. The new password must have 8 to
    /// 128 characters, not be only whitespace and differ from the current one. A wrong
    /// current password changes nothing and does not count toward the login lockout. A
    /// notice is mailed to the account's address.
    #[oai(
        path = "/password/change",
        method = "post",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<ChangePasswordBody>,
    ) -> Result<Done<MessageView>, Failure<ChangePasswordErrors>> {
        let request = parse_change_password(body.0)?;
        state
            .accounts
            .change_password
            .execute(&auth.0, request)
            .await?;
        Ok(Done(MessageView {
            message: "Password changed; your other sessions were signed out.".to_owned(),
        }))
    }
}

/// The `outcome` label of a login attempt's result.
fn login_outcome<T>(result: &Result<T, postern_core::Error>) -> &'static str {
    match result {
        Ok(_) => "success",
        Err(postern_core::Error::InvalidCredentials) => "invalid_credentials",
        Err(postern_core::Error::AccountLocked { .. }) => "locked",
        Err(postern_core::Error::AccountDisabled) => "disabled",
        Err(postern_core::Error::RateLimited { .. }) => "rate_limited",
        Err(postern_core::Error::Validation(_)) => "invalid_request",
        Err(_) => "error",
    }
}

/// Counts the request against `bucket` for `key`, runs `work` if admitted, and puts the
/// `RateLimit-*` headers on whatever comes out.
pub(super) async fn rate_limited<T, S>(
    state: &AppState,
    bucket: RateLimitBucket,
    key: String,
    work: impl Future<Output = Result<T, Failure<S>>>,
) -> RateLimited<T, S> {
    let decision = match state.rate_limiter.check(bucket, &key).await {
        Ok(decision) => decision,
        Err(err) => return RateLimited::new(Err(postern_core::Error::from(err).into()), None),
    };
    match decision {
        Some(d) if !d.allowed => {
            observability::record_rate_limited(bucket);
            if bucket == RateLimitBucket::Login {
                observability::record_login("rate_limited");
            }
            let refused = ApiError::from(postern_core::Error::RateLimited {
                retry_after: time::Duration::try_from(d.reset_after).unwrap_or(time::Duration::MAX),
            });
            RateLimited::new(Err(refused.into()), decision)
        }
        _ => RateLimited::new(work.await, decision),
    }
}

fn parse_signup(body: SignupBody) -> postern_core::Result<SignupRequest> {
    let mut fields = Fields::default();
    let email = fields.check(Email::parse(body.email.as_ref()));
    let password = fields.check(Password::parse(body.password.into_inner(), "password"));
    let name = fields.check(
        body.name
            .as_ref()
            .map(|n| DisplayName::parse(n.as_ref()))
            .transpose(),
    );
    let values = (|| Some((email?, password?, name?)))();
    let (email, password, name) = fields.finish(values)?;
    Ok(SignupRequest {
        email,
        password,
        name,
    })
}

fn parse_login(body: LoginBody, client: Client) -> postern_core::Result<LoginRequest> {
    let mut fields = Fields::default();
    let email = fields.check(Email::parse(body.email.as_ref()));
    let password = fields.check(Password::presented(body.password.into_inner(), "password"));
    let values = (|| Some((email?, password?)))();
    let (email, password) = fields.finish(values)?;
    Ok(LoginRequest {
        email,
        password,
        client: client.0,
    })
}

fn parse_change_password(body: ChangePasswordBody) -> postern_core::Result<ChangePasswordRequest> {
    let mut fields = Fields::default();
    let current = fields.check(Password::presented(
        body.current_password.into_inner(),
        "currentPassword",
    ));
    let new = fields.check(Password::parse(
        body.new_password.into_inner(),
        "newPassword",
    ));
    let values = (|| Some((current?, new?)))();
    let (current, new) = fields.finish(values)?;
    Ok(ChangePasswordRequest { current, new })
}
