//! The global per-client limit (docs/http-api.md §6): every request but the operations endpoints
//! is counted in the `global` bucket, keyed by the client's address (an IPv6 client by its /64),
//! before its body is read or anything else is done for it. This is the first check of the order
//! §6 documents; an operation's own bucket comes after its request is validated.

use std::sync::Arc;

use poem::{Endpoint, IntoResponse, Request, Response};
use postern_core::ports::{RateDecision, RateLimitBucket};

use crate::answers;
use crate::client::Client;
use crate::error::ApiError;
use crate::observability;
use crate::responses::{apply_rate_limit_headers, reset_seconds};
use crate::state::AppState;

/// Paths outside the global limit: probes and scrapes must answer however busy a client is,
/// and introspection, which a resource server calls for its own clients' requests from one
/// address, is counted per introspection client in its own bucket instead.
const UNLIMITED: [&str; 4] = ["/health", "/ready", "/metrics", "/api/v1/auth/introspect"];

/// Counts the request in the global bucket: refuses it with 429 once the client's quota is
/// spent, and otherwise serves it, adding the bucket's `RateLimit-*` headers unless the
/// operation's own bucket already set them (the narrower limit is the one a client meets
/// first).
pub async fn enforce<E: Endpoint>(
    next: E,
    req: Request,
    state: Arc<AppState>,
) -> poem::Result<Response> {
    if UNLIMITED.contains(&req.uri().path()) {
        return Ok(next.call(req).await?.into_response());
    }
    let key = Client::of(&req, &state.trusted_proxies).rate_key();
    let decision = match state
        .rate_limiter
        .check(RateLimitBucket::Global, &key)
        .await
    {
        Ok(None) => return Ok(next.call(req).await?.into_response()),
        Ok(Some(decision)) => decision,
        Err(err) => return Ok(ApiError::from(err).into_response()),
    };
    if !decision.allowed {
        observability::record_rate_limited(RateLimitBucket::Global);
        return Ok(refused(&decision));
    }
    let mut response = next.call(req).await?.into_response();
    if !response.headers().contains_key("ratelimit-limit") {
        apply_rate_limit_headers(&mut response, &decision);
    }
    Ok(response)
}

/// 429 `rate_limited` with the headers of `decision` and `Retry-After`.
fn refused(decision: &RateDecision) -> Response {
    let mut response = ApiError::from_answer(answers::GLOBALLY_RATE_LIMITED)
        .retry_after(reset_seconds(decision))
        .into_response();
    apply_rate_limit_headers(&mut response, decision);
    response
}
