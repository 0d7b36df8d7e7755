//! §4: the signed-in user's profile.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use postern_core::domain::DisplayName;

use super::ApiTags;
use super::schemas::{UpdateProfileBody, UserView};
use crate::http::auth::BearerAuth;
use crate::http::responses::{Done, Failure, error_set};
use crate::http::state::AppState;

error_set!(
    /// Reading the profile's documented failures.
    ProfileErrors {
        401 => "`unauthorized`: missing, invalid or revoked bearer token; `token_expired`: the access token has expired.",
        404 => "`not_found`: the account no longer exists.",
    }
);
error_set!(
    /// Updating the profile's documented failures.
    UpdateProfileErrors {
        400 => "`validation_error`: malformed JSON or an invalid name.",
        401 => "`unauthorized`: missing, invalid or revoked bearer token; `token_expired`: the access token has expired.",
        404 => "`not_found`: the account no longer exists.",
        413 => "`payload_too_large`: the body exceeds 64 KiB.",
    }
);

/// §4 operations.
pub struct UserApi;

#[OpenApi(prefix_path = "/api/v1/user", tag = "ApiTags::User")]
impl UserApi {
    /// The caller's profile
    ///
    /// Served from the profile cache when present (cache-aside, 10 minutes).
    #[oai(path = "/profile", method = "get", operation_id = "getProfile")]
    async fn profile(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> Result<Done<UserView>, Failure<ProfileErrors>> {
        let user = state.accounts.get_profile.execute(auth.0.user_id).await?;
        Ok(Done(user.into()))
    }

    /// Update the caller's profile
    ///
    /// Sets the display name; `null` clears it; a body without `name` changes nothing.
    #[oai(path = "/profile", method = "patch", operation_id = "updateProfile")]
    async fn update_profile(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<UpdateProfileBody>,
    ) -> Result<Done<UserView>, Failure<UpdateProfileErrors>> {
        let accounts = &state.accounts;
        let user_id = auth.0.user_id;
        let name = match body.0.name {
            MaybeUndefined::Undefined => {
                return Ok(Done(accounts.get_profile.execute(user_id).await?.into()));
            }
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(name) => Some(
                DisplayName::parse(name.as_ref())
                    .map_err(|e| postern_core::Error::Validation(vec![e]))?,
            ),
        };
        Ok(Done(
            accounts.update_profile.execute(user_id, name).await?.into(),
        ))
    }
}
