//! # postern-http
//!
//! The HTTP edge: Poem + poem-openapi. Turns requests into use-case calls and results into the
//! docs/http-api.md §1 envelopes; knows nothing of databases or which adapters are in use.

mod allow;
mod answers;
pub mod api;
mod auth;
mod body;
mod client;
mod cors;
mod envelope;
mod error;
mod global_limit;
mod head_limit;
mod limits;
pub(crate) mod middleware;
pub mod observability;
mod pages;
mod responses;
mod routes;
pub mod state;

use std::sync::Arc;

use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, Route};

pub use head_limit::MAX_HEAD_BYTES;
pub use state::{AppState, IntrospectionClient, IntrospectionConfig, PublishedKey, ReadinessProbe};

/// The whole HTTP application: the API, its document at `/openapi.json`, interactive docs at
/// `/docs`, the Prometheus metrics at `/metrics`, the pages that links in mail lead to, and the
/// cross-cutting middleware (CORS outside the error conversion, so that an allowed origin can read
/// error envelopes too; the global rate limit outside the body limit, so that a refused request is
/// not read).
pub fn app(state: Arc<AppState>) -> impl Endpoint {
    // Installed before the first request, so that nothing is lost before the first scrape.
    crate::observability::handle();
    let cors = cors::Cors::new(&state.cors_allowed_origins);
    let reveal = state.expose_internal_errors;
    let limited = state.clone();
    let api = api::service();
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    let routes = Route::new()
        .nest("/", api)
        .at("/openapi.json", spec)
        .at("/metrics", poem::get(metrics))
        .nest("/docs", docs);
    pages::mount(routes)
        .data(state)
        .around(middleware::body_limit)
        .around(head_limit::refuse_oversized_heads)
        .catch_all_error(|err| async move { error::into_envelope_keeping_route(err) })
        .around(allow::method_not_allowed)
        .around(move |next, req| global_limit::enforce(next, req, limited.clone()))
        // Boxed, so that the type of the whole stack stays within the compiler's depth limit.
        .boxed()
        .with(CatchPanic::new().with_handler(middleware::panic_response))
        .around(move |next, req| error::reveal_internal_causes(next, req, reveal))
        .with(cors)
        .around(middleware::security_headers)
        .around(middleware::request_id_and_log)
}

/// `GET /metrics`: the Prometheus text exposition (docs/http-api.md §8), outside the API envelope
/// and document.
#[poem::handler]
pub fn metrics() -> poem::Response {
    poem::Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::observability::render())
}
