//! Bearer authentication: the OpenAPI security scheme whose checker runs the `Authenticate` use
//! case, so that a revoked session's token is refused like a forged one.

use std::sync::Arc;

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use postern_core::domain::AccessClaims;

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
    Ok(state
        .accounts
        .authenticate
        .execute(&bearer.token)
        .await
        .map_err(ApiError::from)?)
}
