//! docs/http-api.md §5: administration. Every operation starts with the role guard: users, their
//! cached profiles and the audit log, and the event queues (the outbox and, with Redis, the
//! streams).

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use postern_core::FieldError;
use postern_core::domain::{Actor, Page, PageLimit, Role, UserId};
use postern_core::ports::PortError;
use postern_core::usecases::{
    AccountDeletionError, AuthenticateError, AuthorizeError, ChangeAccessError,
    DropCachedProfileError, ReplayError,
};

use super::ApiTags;
use super::admin_queries::{audit_query, user_query};
use super::admin_schemas::{AdminUserView, AuditEntryView, UpdateUserBody};
use super::cursor;
use super::lifecycle::DeleteUserErrors;
use super::schemas::{MessageView, QueueView, ReplayView};
use crate::answers::{Answer, INTERNAL, INVALID, Invalid, JsonBody, UNAVAILABLE, answers};
use crate::auth::{BearerAuth, require_role};
use crate::body::ValidJson;
use crate::envelope::PageMeta;
use crate::responses::{Done, Failure, Listed, failures};
use crate::state::AppState;

/// 404 `not_found` for an account id.
pub(super) const NO_SUCH_USER: Answer = Answer {
    status: StatusCode::NOT_FOUND,
    code: "not_found",
    message: "Not found.",
    doc: "no account has this id",
};

/// 400 `validation_error` for an admin demoting or disabling themselves.
const SELF_HARM: Answer = Answer {
    doc: "an admin demoting or disabling themselves",
    ..INVALID
};

/// 409 `last_admin` for a change that would leave no enabled admin.
pub(super) const LAST_ADMIN: Answer = Answer {
    status: StatusCode::CONFLICT,
    code: "last_admin",
    message: "The service must keep at least one enabled admin.",
    doc: "the change would leave no enabled admin (another admin was demoted or disabled first)",
};

answers!(ChangeAccessError {
    ChangeAccessError::SelfHarm { .. } => SELF_HARM,
    ChangeAccessError::NotFound => NO_SUCH_USER,
    ChangeAccessError::LastAdmin => LAST_ADMIN,
    ChangeAccessError::Unavailable(_) => UNAVAILABLE,
    ChangeAccessError::Unexpected(_) => INTERNAL,
} {
    fn details(&self) -> Vec<FieldError> {
        let ChangeAccessError::SelfHarm { demote, disable } = *self else {
            return Vec::new();
        };
        let demoted = demote.then(|| FieldError::new("role", "an admin cannot demote themselves"));
        let disabled =
            disable.then(|| FieldError::new("disabled", "an admin cannot disable themselves"));
        demoted.into_iter().chain(disabled).collect()
    }
});

answers!(DropCachedProfileError {
    DropCachedProfileError::NotFound => NO_SUCH_USER,
    DropCachedProfileError::Unavailable(_) => UNAVAILABLE,
    DropCachedProfileError::Unexpected(_) => INTERNAL,
});

/// 404 `not_found` for a queue name.
const NO_SUCH_QUEUE: Answer = Answer {
    doc: "no queue has this name",
    ..NO_SUCH_USER
};

answers!(ReplayError {
    ReplayError::UnknownQueue => NO_SUCH_QUEUE,
    ReplayError::Unavailable(_) => UNAVAILABLE,
    ReplayError::Unexpected(_) => INTERNAL,
});

failures!(
    /// Listing users' documented failures.
    ListUsersErrors = PortError, AuthenticateError, AuthorizeError, Invalid
);
failures!(
    /// Changing a user's documented failures.
    UpdateUserErrors = ChangeAccessError, AuthenticateError, AuthorizeError, JsonBody, Invalid
);
failures!(
    /// Dropping a cached profile's documented failures.
    DropCacheErrors = DropCachedProfileError, AuthenticateError, AuthorizeError
);
failures!(
    /// Reading the audit log's documented failures.
    AuditErrors = PortError, AuthenticateError, AuthorizeError, Invalid
);
failures!(
    /// Reading the queues' documented failures.
    QueuesErrors = PortError, AuthenticateError, AuthorizeError
);
failures!(
    /// Replaying dead letters' documented failures.
    ReplayErrors = ReplayError, AuthenticateError, AuthorizeError
);

/// docs/http-api.md §5 operations.
pub struct AdminApi;

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::Admin")]
impl AdminApi {
    /// List users
    ///
    /// **Requires the `manager` role.** Accounts, newest first (by creation, then id), one
    /// page at a time: pass `meta.nextCursor` back as `cursor` for the next page. Paging is
    /// stable: accounts created meanwhile do not shift the pages, so no account is listed
    /// twice and none that existed when paging began is skipped. Each item is the user
    /// object plus `disabled`.
    #[oai(path = "/users", method = "get", operation_id = "listUsers")]
    async fn list_users(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        /// Page length, 1 to 100; 20 when omitted.
        limit: Query<Option<i64>>,
        /// `meta.nextCursor` of the previous page; omitted for the first page.
        cursor: Query<Option<String>>,
        /// Only accounts whose email starts with this text, ignoring case; `%` and `_` match
        /// themselves.
        email: Query<Option<String>>,
    ) -> Result<Listed<AdminUserView>, Failure<ListUsersErrors>> {
        require_role(&state, &auth, Role::Manager).await?;
        let query = user_query(email.0.as_deref(), limit.0, cursor.0.as_deref())?;
        let limit = query.page.limit;
        let page = state.accounts.list_users.execute(query).await?;
        Ok(listed(page, limit))
    }

    /// Change a user's role or disable them
    ///
    /// **Requires the `admin` role.** `role` sets the role and ends every session of the
    /// account at once, so that no token keeps carrying the old role; the account logs in
    /// again to get one with the new role. `disabled: true` disables the account: every
    /// session ends at once (refresh tokens stop working, access tokens are rejected), and
    /// login is refused with 403; `disabled: false` enables it again. Each real change writes
    /// a `user.role_changed` or `user.disabled` event with it, and the cached profile is
    /// replaced by the account as stored. An admin may not demote or disable themselves (400),
    /// and no change may leave the service without an enabled admin (409 `last_admin`, decided
    /// in the same transaction as the change, so two admins demoting each other at once cannot
    /// both succeed). Answers with the account as it is now.
    #[oai(path = "/users/:id", method = "patch", operation_id = "updateUser")]
    async fn update_user(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        /// The account's id (a UUID).
        id: Path<String>,
        body: ValidJson<UpdateUserBody>,
    ) -> Result<Done<AdminUserView>, Failure<UpdateUserErrors>> {
        let admin = require_role(&state, &auth, Role::Admin).await?;
        // A malformed id names no account: 404 like an unknown one, not 400.
        let target = UserId::parse(&id.0).ok_or(ChangeAccessError::NotFound)?;
        let user = state
            .accounts
            .change_access
            .execute(Actor::Admin(admin.id), target, body.0)
            .await?;
        Ok(Done(user.into()))
    }

    /// Drop a user's cached profile
    ///
    /// **Requires the `manager` role.** Deletes the cached copy of the account's profile, so
    /// that the next read comes from the database.
    #[oai(
        path = "/users/:id/cache",
        method = "delete",
        operation_id = "dropUserCache"
    )]
    async fn drop_cache(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        /// The account's id (a UUID).
        id: Path<String>,
    ) -> Result<Done<MessageView>, Failure<DropCacheErrors>> {
        require_role(&state, &auth, Role::Manager).await?;
        let target = UserId::parse(&id.0).ok_or(DropCachedProfileError::NotFound)?;
        state.accounts.drop_cached_profile.execute(target).await?;
        Ok(Done(MessageView {
            message: "Cached profile dropped.".to_owned(),
        }))
    }

    /// Read the audit log
    ///
    /// **Requires the `admin` role.** Delivered events, newest first (by `occurredAt`,
    /// then id), paginated like the user list. Delivery is asynchronous, so an event appears
    /// shortly after its change.
    #[oai(path = "/audit", method = "get", operation_id = "listAudit")]
    async fn audit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        /// Only events about this user (a UUID).
        #[oai(name = "userId")]
        user_id: Query<Option<String>>,
        /// Only events of this type, e.g. `user.role_changed`.
        #[oai(name = "type")]
        event_type: Query<Option<String>>,
        /// Page length, 1 to 100; 20 when omitted.
        limit: Query<Option<i64>>,
        /// `meta.nextCursor` of the previous page; omitted for the first page.
        cursor: Query<Option<String>>,
    ) -> Result<Listed<AuditEntryView>, Failure<AuditErrors>> {
        require_role(&state, &auth, Role::Admin).await?;
        let query = audit_query(
            user_id.0.as_deref(),
            event_type.0,
            limit.0,
            cursor.0.as_deref(),
        )?;
        let limit = query.page.limit;
        let page = state.audit.execute(query).await?;
        Ok(listed(page, limit))
    }

    /// Event queues
    ///
    /// **Requires the `admin` role.** Per queue: entries in it, entries handed to a consumer
    /// and not yet acknowledged, consumers, and dead letters. The queues are the outbox and,
    /// when Redis is configured, the `email-events` and `audit-events` streams. The list is
    /// whole: `meta.nextCursor` is always null and `meta.limit` is the number of queues.
    #[oai(path = "/queues", method = "get", operation_id = "listQueues")]
    async fn queues(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> Result<Listed<QueueView>, Failure<QueuesErrors>> {
        require_role(&state, &auth, Role::Admin).await?;
        let stats = state.queues.stats().await?;
        Ok(Listed::whole(
            stats.into_iter().map(QueueView::from).collect(),
        ))
    }

    /// Replay a queue's dead letters
    ///
    /// **Requires the `admin` role.** Puts every dead letter of the queue back for delivery,
    /// each with a fresh set of attempts, and says how many went back.
    #[oai(
        path = "/queues/:stream/dead-letters/replay",
        method = "post",
        operation_id = "replayDeadLetters"
    )]
    async fn replay(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        /// The queue: `outbox`, `email-events` or `audit-events`.
        stream: Path<String>,
    ) -> Result<Done<ReplayView>, Failure<ReplayErrors>> {
        require_role(&state, &auth, Role::Admin).await?;
        let replayed = state.queues.replay_dead_letters(&stream.0).await?;
        Ok(Done(ReplayView { replayed }))
    }

    /// Delete a user
    ///
    /// **Requires the `admin` role.** Deletes the account as `DELETE /api/v1/user/account`
    /// does, without its password. The last enabled admin cannot be deleted.
    #[oai(path = "/users/:id", method = "delete", operation_id = "deleteUser")]
    async fn delete_user(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        /// The account's id (a UUID).
        id: Path<String>,
    ) -> Result<Done<MessageView>, Failure<DeleteUserErrors>> {
        let admin = require_role(&state, &auth, Role::Admin).await?;
        // A malformed id names no account: 404 like an unknown one, not 400.
        let target = UserId::parse(&id.0).ok_or(AccountDeletionError::NotFound)?;
        state
            .accounts
            .delete_account
            .by_admin(admin.id, target)
            .await?;
        Ok(Done(MessageView {
            message: "Account deleted.".to_owned(),
        }))
    }
}

/// A page as the list envelope carries it.
fn listed<T, V: From<T>>(page: Page<T>, limit: PageLimit) -> Listed<V> {
    Listed {
        items: page.items.into_iter().map(V::from).collect(),
        meta: PageMeta {
            next_cursor: page.next.map(cursor::encode),
            limit: limit.get(),
        },
    }
}

#[cfg(test)]
mod tests {
    use poem::IntoResponse;

    use super::*;
    use crate::error::ApiError;

    #[tokio::test]
    async fn an_admin_harming_themselves_is_told_which_fields_are_refused() {
        let refused = ChangeAccessError::SelfHarm {
            demote: true,
            disable: true,
        };

        let response = ApiError::from(refused).into_response();

        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = response.into_body().into_string().await.unwrap();
        assert!(body.contains(r#""code":"validation_error""#), "{body}");
        assert!(body.contains(r#""field":"role""#), "{body}");
        assert!(body.contains(r#""field":"disabled""#), "{body}");
    }

    #[tokio::test]
    async fn a_change_leaving_no_enabled_admin_is_409_last_admin() {
        let response = ApiError::from(ChangeAccessError::LastAdmin).into_response();

        assert_eq!(response.status(), StatusCode::CONFLICT);
        let body = response.into_body().into_string().await.unwrap();
        assert!(body.contains(r#""code":"last_admin""#), "{body}");
    }
}
