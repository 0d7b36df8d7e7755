//! Cross-cutting behaviour of every response: a request id, a span, one log line and the metrics of
//! each request, the docs/http-api.md §1 security headers, the 64 KiB body limit and the conversion
//! of panics into a 500 envelope.

use std::any::Any;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::OperationId;
use tracing::field::Empty;
use tracing::{Instrument, Span, error, info, info_span};
use uuid::Uuid;

use super::error::{ApiError, payload_too_large};
use super::routes;
use crate::observability;

/// The largest request body accepted (docs/http-api.md §1).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const REQUEST_ID: &str = "x-request-id";

/// Echoes a well-formed incoming `X-Request-Id` (1 to 128 of `A-Za-z0-9-_.:`) or makes one,
/// runs the request inside a span that carries it (with the method, the route template and,
/// once authenticated, the user id), logs one line with the status and the latency when it is
/// answered, and records the request metrics, and for a login its outcome. The status and the
/// latency are the line's own fields, not the span's, so that each is written once.
pub async fn request_id_and_log<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid_request_id(v))
        .map_or_else(|| Uuid::now_v7().to_string(), str::to_owned);
    let method = req.method().clone();
    let span = info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = Empty,
        user_id = Empty,
    );
    let started = Instant::now();
    async move {
        let mut response = next.get_response(req).await;
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        let latency = started.elapsed();
        let status = response.status().as_u16();
        let route = routes::template(&response);
        let span = Span::current();
        span.record(
            "route",
            route.as_deref().unwrap_or(observability::UNMATCHED_ROUTE),
        );
        info!(status, latency_ms = milliseconds(latency), "request");
        observability::record_request(&method, route.map(Into::into), status, latency);
        if response
            .data::<OperationId>()
            .is_some_and(|operation| operation.0 == "login")
        {
            observability::record_login(status);
        }
        Ok(response)
    }
    .instrument(span)
    .await
}

/// `latency` in milliseconds to the microsecond (`0.509`, not `0.5094350000000001`).
fn milliseconds(latency: Duration) -> f64 {
    (latency.as_secs_f64() * 1e6).round() / 1e3
}

/// Notes the authenticated user on the request span, for its log lines.
pub fn record_user(user_id: impl std::fmt::Display) {
    Span::current().record("user_id", tracing::field::display(user_id));
}

fn is_valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Adds the docs/http-api.md §1 security headers; `no-store` on account and admin routes, a locked-down CSP
/// on JSON, and the bearer challenge on every 401.
pub async fn security_headers<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let private = ["/api/v1/auth", "/api/v1/user", "/api/v1/admin"]
        .iter()
        .any(|p| req.uri().path().starts_with(p));
    let challenge = bearer_challenge(&req);
    let mut response = next.get_response(req).await;
    let is_json = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let response_is_unauthorized = response.status() == StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if private {
        headers.insert("cache-control", HeaderValue::from_static("no-store"));
    }
    // An operation that authenticates by another scheme (introspection's Basic) sets its own.
    if response_is_unauthorized && !headers.contains_key("www-authenticate") {
        headers.insert("www-authenticate", challenge);
    }
    if is_json {
        headers.insert(
            "content-security-policy",
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    Ok(response)
}

/// The `WWW-Authenticate` a 401 must carry (RFC 7235, RFC 6750 section 3): `Bearer`, with
/// `error="invalid_token"` when the request presented a bearer token that was refused, and no
/// error code when it presented none.
fn bearer_challenge(req: &Request) -> HeaderValue {
    let presented = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.is_empty());
    if presented {
        HeaderValue::from_static(r#"Bearer error="invalid_token""#)
    } else {
        HeaderValue::from_static("Bearer")
    }
}

/// Refuses bodies over [`MAX_BODY_BYTES`] with 413, whether or not they declare their length:
/// a declared length is checked at once, a chunked body is read up to the limit and no further
/// (but for a bounded drain, so that the client hears the answer).
pub async fn body_limit<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    if matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::DELETE
    ) {
        return Ok(next.call(req).await?.into_response());
    }
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut stream = req.take_body().into_bytes_stream();
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Ok(refuse_oversized(stream).await);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::malformed("The request body could not be read."))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Ok(refuse_oversized(stream).await);
        }
        body.extend_from_slice(&chunk);
    }
    req.set_body(body);
    // `call`, not `get_response`: errors must travel on to the envelope converter outside.
    Ok(next.call(req).await?.into_response())
}

/// How much of an oversized body is read and thrown away before the 413, and for how long.
const DRAIN_BYTES: usize = 4 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// Answers 413 after reading a bounded amount of the rest of the body: a client still sending
/// when the server closes gets a broken pipe instead of the answer.
async fn refuse_oversized<B: AsRef<[u8]>>(
    mut stream: impl Stream<Item = std::io::Result<B>> + Unpin,
) -> Response {
    let drain = async {
        let mut drained = 0;
        while drained < DRAIN_BYTES {
            match stream.next().await {
                Some(Ok(chunk)) => drained += chunk.as_ref().len(),
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    payload_too_large().into_response()
}

/// The response to a panic in a handler: a 500 envelope that says nothing of the panic.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    error!(panic = %message, "handler panicked");
    ApiError::internal(&PanicError(message)).into_response()
}

#[derive(Debug, thiserror::Error)]
#[error("handler panicked: {0}")]
struct PanicError(String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_bounded_and_plain() {
        assert!(is_valid_request_id("abc-123_x.y:z"));
        assert!(!is_valid_request_id(""));
        assert!(!is_valid_request_id(&"a".repeat(129)));
        assert!(!is_valid_request_id("a b"));
        assert!(!is_valid_request_id("a\nb"));
    }
}
