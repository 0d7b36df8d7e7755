//! The `tower` layer: every request must carry a valid bearer token; its [`Claims`] go into
//! the request's extensions for the handlers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderValue, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::{Claims, Verifier, VerifyError};

/// Wraps a service so that only requests with a valid bearer token reach it.
#[derive(Clone, Debug)]
pub struct VerifyLayer {
    verifier: Verifier,
}

impl VerifyLayer {
    /// A layer verifying with `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier }
    }
}

impl<S> Layer<S> for VerifyLayer {
    type Service = VerifyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifyService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

/// The service [`VerifyLayer`] makes: answers a refused request itself (see [`refusal`]) and
/// passes the others on with their [`Claims`] and the [`Verifier`] in the extensions.
#[derive(Clone, Debug)]
pub struct VerifyService<S> {
    inner: S,
    verifier: Verifier,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for VerifyService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready handles this request; its clone waits for the
        // next (tower's documented pattern).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let verifier = self.verifier.clone();
        Box::pin(async move {
            let authorization = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|value| value.to_str().ok());
            match verifier.verify_authorization(authorization).await {
                Ok(claims) => {
                    request.extensions_mut().insert::<Claims>(claims);
                    request.extensions_mut().insert(verifier);
                    inner.call(request).await
                }
                Err(error) => Ok(refusal(&error)),
            }
        })
    }
}

/// The answer to a refused request, with an empty body: 401 with a `WWW-Authenticate: Bearer`
/// challenge (RFC 6750, `error="invalid_token"` when a token was presented), or 503 when the
/// token could not be checked.
pub fn refusal<B: Default>(error: &VerifyError) -> Response<B> {
    let mut response = Response::new(B::default());
    let challenge = match error {
        VerifyError::Unavailable(cause) => {
            tracing::warn!(error = %cause, "cannot verify an access token");
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return response;
        }
        VerifyError::Missing => "Bearer",
        _ => "Bearer error=\"invalid_token\"",
    };
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    response
}
