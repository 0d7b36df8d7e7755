//! docs/http-api.md §3: signup, login, refresh, logout, logout-all, me and password change.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use postern_core::FieldError;
use postern_core::ports::PortError;
use postern_core::usecases::{
    AuthenticateError, ChangePasswordError, LoginError, LoginOutcome, LoginRequest, ProfileError,
    RefreshError, SignupError,
};

use super::ApiTags;
use super::requests::{
    ChangePasswordBody, LoginBody, LogoutBody, PasswordChangePerUser, RefreshBody, SignupBody,
};
use super::schemas::{LoginAnswer, LogoutAllView, MessageView, TokensView, UserView};
use super::user::ACCOUNT_GONE;
use crate::answers::{
    Answer, INTERNAL, INVALID, Invalid, JsonBody, RATE_LIMITED, UNAVAILABLE, WEAK_PASSWORD, answers,
};
use crate::auth::{BearerAuth, ProfileBearerAuth};
use crate::body::{OptionalJson, ValidJson};
use crate::client::Client;
use crate::envelope::Success;
use crate::limits::Limited;
use crate::middleware::record_user;
use crate::responses::{Done, Failure, RateLimited, failures};
use crate::state::AppState;

/// 409 `email_taken`.
pub(super) const EMAIL_TAKEN: Answer = Answer {
    status: StatusCode::CONFLICT,
    code: "email_taken",
    message: "An account with this email already exists.",
    doc: "an account with this email exists",
};

answers!(SignupError {
    SignupError::EmailTaken => EMAIL_TAKEN,
    SignupError::WeakPassword(_) => WEAK_PASSWORD,
    SignupError::Unavailable(_) => UNAVAILABLE,
    SignupError::Unexpected(_) => INTERNAL,
} {
    fn details(&self) -> Vec<FieldError> {
        match self {
            SignupError::WeakPassword(problem) => vec![problem.clone()],
            _ => Vec::new(),
        }
    }
});

/// 401 `invalid_credentials` at login.
const INVALID_CREDENTIALS: Answer = Answer {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_credentials",
    message: "The email or password is wrong.",
    doc: "unknown email or wrong password (indistinguishable)",
};

/// 423 `account_locked`, with `Retry-After`.
pub(super) const ACCOUNT_LOCKED: Answer = Answer {
    status: StatusCode::LOCKED,
    code: "account_locked",
    message: "Too many failed logins; logins to this account are locked for a while.",
    doc: "by default 10 consecutive failed logins for an email from one client lock it for that \
          client, 100 from all clients lock it for every client, for 15 minutes; unknown emails \
          alike; see `Retry-After`",
};

/// 403 `forbidden` for a disabled account.
pub(super) const ACCOUNT_DISABLED: Answer = Answer {
    status: StatusCode::FORBIDDEN,
    code: "forbidden",
    message: "This account has been disabled by an administrator.",
    doc: "the password is right, but an admin has disabled the account",
};

/// 429 `rate_limited` when the logins in flight for one email hold every check the lockout
/// allows.
pub(super) const LOGINS_IN_FLIGHT: Answer = Answer {
    message: "Too many logins to this account at once; try again in a moment.",
    doc: "the logins in flight for this email hold every password check the lockout allows \
          and none finished in time; nothing is locked; see `Retry-After`",
    ..RATE_LIMITED
};

/// How long a client refused with [`LOGINS_IN_FLIGHT`] is asked to wait: the logins in flight
/// take a password check each, well under a second.
pub(super) const LOGINS_IN_FLIGHT_RETRY: time::Duration = time::Duration::seconds(1);

answers!(LoginError {
    LoginError::InvalidCredentials => INVALID_CREDENTIALS,
    LoginError::AccountLocked { .. } => ACCOUNT_LOCKED,
    LoginError::AccountDisabled => ACCOUNT_DISABLED,
    LoginError::Busy => LOGINS_IN_FLIGHT,
    LoginError::Unavailable(_) => UNAVAILABLE,
    LoginError::Unexpected(_) => INTERNAL,
} {
    fn retry_after(&self) -> Option<time::Duration> {
        match self {
            LoginError::AccountLocked { retry_after } => Some(*retry_after),
            LoginError::Busy => Some(LOGINS_IN_FLIGHT_RETRY),
            _ => None,
        }
    }
});

/// 401 `invalid_token` at refresh.
const INVALID_REFRESH_TOKEN: Answer = Answer {
    status: StatusCode::UNAUTHORIZED,
    code: "invalid_token",
    message: "The token is invalid or has expired.",
    doc: "unknown, expired or revoked, or the account is disabled",
};

/// 401 `refresh_token_reused`.
const REFRESH_TOKEN_REUSED: Answer = Answer {
    status: StatusCode::UNAUTHORIZED,
    code: "refresh_token_reused",
    message: "The refresh token was already used; its session has been revoked.",
    doc: "the token was already used and its session is now revoked",
};

answers!(RefreshError {
    RefreshError::InvalidToken => INVALID_REFRESH_TOKEN,
    RefreshError::Reused => REFRESH_TOKEN_REUSED,
    RefreshError::Unavailable(_) => UNAVAILABLE,
    RefreshError::Unexpected(_) => INTERNAL,
});

/// 400 `validation_error` for a new password equal to the current one.
const SAME_PASSWORD: Answer = Answer {
    doc: "a new password equal to the current one",
    ..INVALID
};

/// 401 `invalid_credentials` for a wrong current password.
pub(super) const WRONG_PASSWORD: Answer = Answer {
    doc: "the current password is wrong",
    ..INVALID_CREDENTIALS
};

/// 401 `invalid_credentials` for the wrong current password that ended the calling session.
pub(super) const WRONG_PASSWORD_SESSION_ENDED: Answer = Answer {
    message: "The current password is wrong; too many wrong guesses ended this session.",
    doc: "the current password is wrong, and the session's wrong guesses reached their limit \
          (RATE_LIMIT_PASSWORD_CHANGE_GUESS): the session is revoked and its tokens refused",
    ..INVALID_CREDENTIALS
};

answers!(ChangePasswordError {
    ChangePasswordError::SameAsCurrent => SAME_PASSWORD,
    ChangePasswordError::WeakPassword(_) => WEAK_PASSWORD,
    ChangePasswordError::WrongPassword => WRONG_PASSWORD,
    ChangePasswordError::SessionEnded => WRONG_PASSWORD_SESSION_ENDED,
    ChangePasswordError::NotFound => ACCOUNT_GONE,
    ChangePasswordError::Unavailable(_) => UNAVAILABLE,
    ChangePasswordError::Unexpected(_) => INTERNAL,
} {
    fn details(&self) -> Vec<FieldError> {
        match self {
            ChangePasswordError::SameAsCurrent => vec![FieldError::new(
                "newPassword",
                "must differ from the current password",
            )],
            ChangePasswordError::WeakPassword(problem) => vec![problem.clone()],
            _ => Vec::new(),
        }
    }
});

failures!(
    /// Signup's documented failures.
    SignupErrors = SignupError, JsonBody, Invalid
);
failures!(
    /// Login's documented failures.
    LoginErrors = LoginError, JsonBody, Invalid
);
failures!(
    /// Refresh's documented failures.
    RefreshErrors = RefreshError, JsonBody, Invalid
);
failures!(
    /// Logout's documented failures; its body is optional.
    LogoutErrors = PortError, AuthenticateError, JsonBody, Invalid
);
failures!(
    /// Logout-all's documented failures.
    LogoutAllErrors = PortError, AuthenticateError
);
failures!(
    /// The signed-in user's documented failures.
    MeErrors = ProfileError, AuthenticateError
);
failures!(
    /// Password change's documented failures.
    ChangePasswordErrors = ChangePasswordError, AuthenticateError, JsonBody, Invalid
);

/// Signup's success.
#[derive(ApiResponse)]
pub enum SignupResponse {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<Success<UserView>>),
}

/// docs/http-api.md §3 operations.
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
        body: Limited<SignupBody>,
    ) -> RateLimited<SignupResponse, SignupErrors> {
        body.run(async |signup| {
            let user = state.accounts.signup.execute(signup.0).await?;
            Ok(SignupResponse::Created(Json(Success::new(user.into()))))
        })
        .await
    }

    /// Log in
    ///
    /// Starts a session and returns an access token and a refresh token. An unknown email and
    /// a wrong password give the same answer in about the same time. A disabled account is
    /// refused with 403 `forbidden`, but only when the password is right, so that the answer
    /// tells a guesser nothing. Ten failed logins in a row for an email from one client lock it
    /// for that client for 15 minutes (423), and a hundred from all clients lock it for every
    /// client (both configurable); unknown emails are counted and locked alike. Failures stop
    /// counting once no login of the email was tried for 15 minutes. Logins still being
    /// checked never lock it: beyond ten at once, a login waits for one of them to finish, and
    /// gets 429 if none does within 20 s. Rate limited per client IP and email.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        client: Client,
        body: Limited<LoginBody>,
    ) -> RateLimited<Done<LoginAnswer>, LoginErrors> {
        body.run(async |credentials| {
            let request = LoginRequest {
                email: credentials.0.email,
                password: credentials.0.password,
                client: client.0,
            };
            let outcome = state.accounts.login.execute(request).await?;
            if let LoginOutcome::Session { user, .. } = &outcome {
                record_user(user.id);
            }
            Ok(Done(LoginAnswer::from(outcome)))
        })
        .await
    }

    /// Rotate a refresh token
    ///
    /// Exchanges a refresh token for a new pair; the presented token becomes used and the new
    /// refresh token is its one successor. Presenting any used token of the session again
    /// revokes the whole session (`refresh_token_reused`), except within the short grace window
    /// after its first use, where it gets the same successor again with a new access token. A
    /// session past its maximum lifetime is refused (`invalid_token`).
    #[oai(path = "/refresh", method = "post", operation_id = "refresh")]
    async fn refresh(
        &self,
        state: Data<&Arc<AppState>>,
        client: Client,
        body: Limited<RefreshBody>,
    ) -> RateLimited<Done<TokensView>, RefreshErrors> {
        body.run(async |token| {
            let pair = state.accounts.refresh.execute(token.0, client.0).await?;
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
        let refresh = body.0.flatten();
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
    ) -> Result<Done<LogoutAllView>, Failure<LogoutAllErrors>> {
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
        auth: ProfileBearerAuth,
    ) -> Result<Done<UserView>, Failure<MeErrors>> {
        let (_, prefetched) = auth.0;
        let user = state
            .accounts
            .get_profile
            .execute_prefetched(prefetched)
            .await?;
        Ok(Done(user.into()))
    }

    /// Change the password
    ///
    /// Sets a new password after checking the current one, then revokes every other session
    /// of the caller: their refresh tokens stop working and their access tokens are rejected
    /// at once. The session of this request keeps working. The new password must have 8 to
    /// 128 characters, not be only whitespace and differ from the current one. A wrong
    /// current password changes nothing and does not count toward the login lockout, but it
    /// counts against the session: the third wrong one within an hour (by default) revokes
    /// the calling session. A notice is mailed to the account's address. Rate limited per
    /// account, across its sessions.
    #[oai(
        path = "/password/change",
        method = "post",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        state: Data<&Arc<AppState>>,
        // The body comes first, so that an invalid one is refused before the caller's quota
        // is counted.
        body: ValidJson<ChangePasswordBody>,
        auth: Limited<PasswordChangePerUser>,
    ) -> RateLimited<Done<MessageView>, ChangePasswordErrors> {
        auth.run(async |auth| {
            state
                .accounts
                .change_password
                .execute(&auth.0, body.0)
                .await?;
            Ok(Done(MessageView {
                message: "Password changed; your other sessions were signed out.".to_owned(),
            }))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use poem::IntoResponse;

    use super::*;
    use crate::error::ApiError;

    #[test]
    fn a_locked_account_is_423_with_its_wait_rounded_up() {
        let locked = LoginError::AccountLocked {
            retry_after: time::Duration::milliseconds(1500),
        };

        let response = ApiError::from(locked).into_response();

        assert_eq!(response.status(), StatusCode::LOCKED);
        assert_eq!(response.headers()["Retry-After"], "2");
    }

    #[tokio::test]
    async fn a_new_password_equal_to_the_current_one_names_the_field_it_was_sent_in() {
        let response = ApiError::from(ChangePasswordError::SameAsCurrent).into_response();

        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = response.into_body().into_string().await.unwrap();
        assert!(body.contains(r#""field":"newPassword""#), "{body}");
    }
}
