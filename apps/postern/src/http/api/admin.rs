//! §5: administration. Every operation starts with the role guard; this part holds the event
//! queues (the outbox and, with Redis, the streams).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use postern_core::domain::Role;

use super::ApiTags;
use super::schemas::{QueueView, ReplayView};
use crate::http::auth::{BearerAuth, require_role};
use crate::http::responses::{Done, Failure, error_set};
use crate::http::state::AppState;

error_set!(
    /// Reading the queues' documented failures.
    QueuesErrors {
        401 => "`unauthorized`: missing, invalid or revoked bearer token; `token_expired`: the access token has expired.",
        403 => "`forbidden`: the caller is not an admin.",
        503 => "`unavailable`: a queue's store cannot be reached.",
    }
);
error_set!(
    /// Replaying dead letters' documented failures.
    ReplayErrors {
        401 => "`unauthorized`: missing, invalid or revoked bearer token; `token_expired`: the access token has expired.",
        403 => "`forbidden`: the caller is not an admin.",
        404 => "`not_found`: no queue has this name.",
        503 => "`unavailable`: the queue's store cannot be reached.",
    }
);

/// §5 operations.
pub struct AdminApi;

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::Admin")]
impl AdminApi {
    /// Event queues
    ///
    /// **Requires the `admin` role.** Per queue: entries in it, entries handed to a consumer
    /// and not yet acknowledged, consumers, and dead letters. The queues are the outbox and,
    /// when Redis is configured, the `email-events` and `audit-events` streams (§7).
    #[oai(path = "/queues", method = "get", operation_id = "listQueues")]
    async fn queues(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> Result<Done<Vec<QueueView>>, Failure<QueuesErrors>> {
        require_role(&state, &auth, Role::Admin).await?;
        let stats = state.queues.stats().await?;
        Ok(Done(stats.into_iter().map(QueueView::from).collect()))
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
}
