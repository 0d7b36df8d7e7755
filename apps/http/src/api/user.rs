//! docs/http-api.md §4: the signed-in user's profile and sessions.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::types::MaybeUndefined;
use postern_core::domain::SessionId;
use postern_core::ports::PortError;
use postern_core::usecases::{AuthenticateError, ProfileError, RevokeSessionError};

use super::ApiTags;
use super::requests::UpdateProfileBody;
use super::schemas::{MessageView, SessionView, UserView};
use crate::answers::{Answer, INTERNAL, Invalid, JsonBody, UNAVAILABLE, answers};
use crate::auth::{BearerAuth, ProfileBearerAuth};
use crate::body::ValidJson;
use crate::responses::{Done, Failure, Listed, failures};
use crate::state::AppState;

/// 404 `not_found` for the caller's own account, which no longer exists.
pub(super) const ACCOUNT_GONE: Answer = Answer {
    status: StatusCode::NOT_FOUND,
    code: "not_found",
    message: "Not found.",
    doc: "the account no longer exists",
};

answers!(ProfileError {
    ProfileError::NotFound => ACCOUNT_GONE,
    ProfileError::Unavailable(_) => UNAVAILABLE,
    ProfileError::Unexpected(_) => INTERNAL,
});

/// 404 `not_found` for a session that is not one of the caller's live ones.
const NO_SUCH_SESSION: Answer = Answer {
    doc: "no live session of the caller has this id (unknown, malformed, another user's, \
          revoked or expired: indistinguishable)",
    ..ACCOUNT_GONE
};

answers!(RevokeSessionError {
    RevokeSessionError::NotFound => NO_SUCH_SESSION,
    RevokeSessionError::Unavailable(_) => UNAVAILABLE,
    RevokeSessionError::Unexpected(_) => INTERNAL,
});

failures!(
    /// Reading the profile's documented failures.
    ProfileErrors = ProfileError, AuthenticateError
);
failures!(
    /// Updating the profile's documented failures.
    UpdateProfileErrors = ProfileError, AuthenticateError, JsonBody, Invalid
);
failures!(
    /// Listing the sessions' documented failures.
    ListSessionsErrors = PortError, AuthenticateError
);
failures!(
    /// Revoking a session's documented failures.
    RevokeSessionErrors = RevokeSessionError, AuthenticateError
);

/// docs/http-api.md §4 operations.
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
        auth: ProfileBearerAuth,
    ) -> Result<Done<UserView>, Failure<ProfileErrors>> {
        let (_, prefetched) = auth.0;
        let user = state
            .accounts
            .get_profile
            .execute_prefetched(prefetched)
            .await?;
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
        body: ValidJson<UpdateProfileBody>,
    ) -> Result<Done<UserView>, Failure<UpdateProfileErrors>> {
        let accounts = &state.accounts;
        let user_id = auth.0.user_id;
        let name = match body.0 {
            MaybeUndefined::Undefined => {
                return Ok(Done(accounts.get_profile.execute(user_id).await?.into()));
            }
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(name) => Some(name),
        };
        Ok(Done(
            accounts.update_profile.execute(user_id, name).await?.into(),
        ))
    }

    /// The caller's sessions
    ///
    /// Every live session of the caller: not revoked, and with a refresh token that has not
    /// expired. Most recently used first (by `lastUsedAt`, the latest token refresh or else the
    /// login; ties by `createdAt`, newest first). `current` marks the session of the bearer
    /// token of this request. Not paginated: each login is one session, and sessions end after
    /// the refresh-token lifetime, so `meta.nextCursor` is always null and `meta.limit` is the
    /// number of sessions listed.
    #[oai(path = "/sessions", method = "get", operation_id = "listSessions")]
    async fn list_sessions(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> Result<Listed<SessionView>, Failure<ListSessionsErrors>> {
        let current = auth.0.session_id;
        let sessions = state.accounts.list_sessions.execute(auth.0.user_id).await?;
        Ok(Listed::whole(
            sessions
                .into_iter()
                .map(|s| SessionView::new(s, current))
                .collect(),
        ))
    }

    /// Revoke one of the caller's sessions
    ///
    /// Logs that session out, exactly like `POST /api/v1/auth/logout` from it: its refresh
    /// token stops working and its access tokens are rejected from now on. The current
    /// session may be revoked too. Any id that is not one of the caller's live sessions gives
    /// 404 `not_found`, whatever the reason.
    #[oai(
        path = "/sessions/:id",
        method = "delete",
        operation_id = "revokeSession"
    )]
    async fn revoke_session(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        /// The session's id (a UUID), as listed by `GET /api/v1/user/sessions`.
        id: Path<String>,
    ) -> Result<Done<MessageView>, Failure<RevokeSessionErrors>> {
        // A malformed id names no session: 404 like any other, not 400.
        let session = SessionId::parse(&id.0).ok_or(RevokeSessionError::NotFound)?;
        state
            .accounts
            .revoke_session
            .execute(&auth.0, session)
            .await?;
        Ok(Done(MessageView {
            message: "Session revoked.".to_owned(),
        }))
    }
}
