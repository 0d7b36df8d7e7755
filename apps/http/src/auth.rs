//! Bearer authentication: the OpenAPI security scheme whose checker runs the `Authenticate` use
//! case, so that a revoked session's token is refused like a forged one; and the role guard.

use std::sync::Arc;

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use postern_core::domain::{AccessClaims, Role, User};

use super::error::ApiError;
use super::state::AppState;

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

/// The role guard (§5): the caller's account, if its current role is `least` or above; every
/// admin operation calls it first. The OpenAPI description of each such operation names the
/// role it requires.
///
/// # Errors
/// 403 `forbidden` below `least`; 401 when the account no longer exists.
pub async fn require_role(
    state: &AppState,
    auth: &BearerAuth,
    least: Role,
) -> Result<User, ApiError> {
    Ok(state.accounts.authorize.at_least(&auth.0, least).await?)
}
