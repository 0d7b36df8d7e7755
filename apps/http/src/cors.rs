//! CORS for an allow-list of exact origins (`CORS_ALLOWED_ORIGINS`).
//!
//! Written here rather than taken from poem's `Cors`, which answers a request from an origin off
//! the list with a bare 403: such a request is served as usual here, only without CORS headers, so
//! the browser withholds the response from the page and every error still goes through the
//! docs/http-api.md §1 envelope. With no origins configured the middleware does nothing at all: no
//! headers, and a preflight is routed like any other `OPTIONS` request.
//!
//! Credentials are never allowed: clients send bearer tokens, not cookies.

use std::collections::HashSet;
use std::sync::Arc;

use poem::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
    VARY,
};
use poem::http::{HeaderMap, HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

const ALLOW_METHODS: &str = "GET, POST, PATCH, DELETE";
const ALLOW_HEADERS: &str = "Authorization, Content-Type, X-Request-Id";
/// Response headers a page may read beyond the safelisted ones (docs/http-api.md §6 limits, the
/// request id).
const EXPOSE_HEADERS: &str =
    "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-Id";
/// How long a browser may reuse a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// The CORS middleware for a set of exact origins (`scheme://host[:port]`, lower-case).
pub struct Cors {
    origins: Arc<HashSet<String>>,
}

impl Cors {
    /// CORS for `origins`; none means no CORS at all.
    pub fn new(origins: &[String]) -> Self {
        Self {
            origins: Arc::new(origins.iter().cloned().collect()),
        }
    }
}

impl<E: Endpoint> Middleware<E> for Cors {
    type Output = CorsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CorsEndpoint {
            inner,
            origins: Arc::clone(&self.origins),
        }
    }
}

/// An endpoint wrapped by [`Cors`].
pub struct CorsEndpoint<E> {
    inner: E,
    origins: Arc<HashSet<String>>,
}

impl<E: Endpoint> Endpoint for CorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if self.origins.is_empty() {
            return Ok(self.inner.call(req).await?.into_response());
        }
        let allowed = req
            .headers()
            .get(ORIGIN)
            .filter(|origin| {
                origin
                    .to_str()
                    .is_ok_and(|origin| self.origins.contains(origin))
            })
            .cloned();
        let Some(origin) = allowed else {
            let mut response = self.inner.get_response(req).await;
            // The answer depends on the origin: a cache must not hand this one to another.
            response
                .headers_mut()
                .append(VARY, HeaderValue::from_static("Origin"));
            return Ok(response);
        };
        if req.method() == Method::OPTIONS
            && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
        {
            return Ok(preflight(origin));
        }
        let mut response = self.inner.get_response(req).await;
        let headers = response.headers_mut();
        allow(headers, origin);
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
        Ok(response)
    }
}

/// The answer to a preflight from an allowed origin.
fn preflight(origin: HeaderValue) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    allow(headers, origin);
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
    response
}

fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.append(VARY, HeaderValue::from_static("Origin"));
}
