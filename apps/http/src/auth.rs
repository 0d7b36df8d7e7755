//! Bearer authentication: the OpenAPI security scheme whose checker runs the `Authenticate` use
//! case, so that a revoked session's token is refused like a forged one; and the role guard.
//! Both errors are answered here, for every operation that authenticates or guards.
//!
//! The operations that read the caller's profile authenticate with [`ProfileBearerAuth`]
//! instead: the same scheme in the OpenAPI document (`bearerAuth`), whose checker fetches the
//! cached profile with the revocation check, in one round trip to Redis.

use std::sync::Arc;

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use postern_core::domain::{AccessClaims, Role, User};
use postern_core::usecases::{AuthenticateError, AuthorizeError, PrefetchedProfile};

use super::answers::{Answer, INTERNAL, UNAUTHORIZED, UNAVAILABLE, answers};
use super::error::ApiError;
use super::state::AppState;

/// 401 `token_expired`.
const TOKEN_EXPIRED: Answer = Answer {
    status: StatusCode::UNAUTHORIZED,
    code: "token_expired",
    message: "The access token has expired.",
    doc: "the access token has expired",
};

/// 403 `forbidden` below the role an operation requires.
const FORBIDDEN: Answer = Answer {
    status: StatusCode::FORBIDDEN,
    code: "forbidden",
    message: "You may not do this.",
    doc: "the caller's role is below the one this operation requires",
};

answers!(AuthenticateError {
    AuthenticateError::Invalid | AuthenticateError::Revoked => UNAUTHORIZED,
    AuthenticateError::Expired => TOKEN_EXPIRED,
    AuthenticateError::Unavailable(_) => UNAVAILABLE,
    AuthenticateError::Unexpected(_) => INTERNAL,
});

answers!(AuthorizeError {
    AuthorizeError::Forbidden => FORBIDDEN,
    // The account's sessions are over, or it is gone: its token no longer vouches for anyone.
    AuthorizeError::AccountGone | AuthorizeError::AccountDisabled => UNAUTHORIZED,
    AuthorizeError::Unavailable(_) => UNAVAILABLE,
    AuthorizeError::Unexpected(_) => INTERNAL,
});

/// A caller authenticated by an access token (`Authorization: Bearer <jwt>`).
#[derive(SecurityScheme)]
#[oai(
    rename = "bearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "authenticate"
)]
pub struct BearerAuth(pub AccessClaims);

async fn authenticate(req: &Request, bearer: Bearer) -> poem::Result<AccessClaims> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(ApiError::unauthorized)?;
    let claims = state
        .accounts
        .authenticate
        .execute(&bearer.token)
        .await
        .map_err(ApiError::from)?;
    super::middleware::record_user(claims.user_id);
    Ok(claims)
}

/// A caller authenticated by an access token, as [`BearerAuth`], with its cached profile
/// fetched in the same round trip as the revocation check, for operations that answer with the
/// caller's profile.
#[derive(SecurityScheme)]
#[oai(
    rename = "bearerAuth",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "authenticate_for_profile"
)]
pub struct ProfileBearerAuth(pub (AccessClaims, PrefetchedProfile));

async fn authenticate_for_profile(
    req: &Request,
    bearer: Bearer,
) -> poem::Result<(AccessClaims, PrefetchedProfile)> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(ApiError::unauthorized)?;
    let (claims, prefetched) = state
        .accounts
        .authenticate
        .execute_for_profile(&bearer.token)
        .await
        .map_err(ApiError::from)?;
    super::middleware::record_user(claims.user_id);
    Ok((claims, prefetched))
}

/// The role guard (docs/http-api.md §5): the caller's account, if its current role is `least` or
/// above; every admin operation calls it first. The OpenAPI description of each such operation
/// names the role it requires.
///
/// # Errors
/// [`AuthorizeError::Forbidden`] below `least`, and the other refusals of the `Authorize` use
/// case.
pub async fn require_role(
    state: &AppState,
    auth: &BearerAuth,
    least: Role,
) -> Result<User, AuthorizeError> {
    state.accounts.authorize.at_least(&auth.0, least).await
}
