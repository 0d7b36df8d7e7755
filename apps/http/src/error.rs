//! Where failures become HTTP responses: [`ApiError`], the envelope with its status, which the
//! use cases' errors become through their [`crate::answers`], and into which framework errors
//! (unknown routes, missing bearer, bad query parameters, ...) are converted by
//! [`into_envelope`]. Request bodies are parsed by `crate::body`, which reports its own failures
//! as [`ApiError`]s.

use poem::http::HeaderValue;
use poem::http::StatusCode;
use poem::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::ParseParamError;
use postern_core::{FieldError, error_chain};
use tracing::error;

use super::answers::{self, Answer};
use super::envelope::{ErrorBody, FieldDetail};

/// A failure on its way to the client: a status, the envelope, for 423 and 429 how long to
/// wait, and for a 401 of a scheme other than bearer its challenge. The envelope's `error` holds a 500's internal cause, which only a server that exposes
/// internal errors sends (see [`reveal_internal_causes`]).
#[derive(Debug, thiserror::Error)]
#[error("{} {}", status, body.code)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after_secs: Option<u64>,
    challenge: Option<&'static str>,
}

/// The body of a 500 with its internal cause in `error`. It travels with the response, off the
/// wire, until [`reveal_internal_causes`] puts it in place or leaves it out.
#[derive(Clone)]
struct RevealedBody(Vec<u8>);

impl ApiError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                success: false,
                code: code.to_owned(),
                message: message.into(),
                details: None,
                error: None,
            },
            retry_after_secs: None,
            challenge: None,
        }
    }

    /// The envelope of `answer`.
    pub fn from_answer(answer: Answer) -> Self {
        Self::new(answer.status, answer.code, answer.message)
    }

    /// 400 `validation_error` listing the invalid fields.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self::from_answer(answers::INVALID).with_details(fields)
    }

    /// Lists `fields` under `details`; no `details` at all when there are none.
    pub fn with_details(mut self, fields: Vec<FieldError>) -> Self {
        if !fields.is_empty() {
            self.body.details = Some(
                fields
                    .into_iter()
                    .map(|f| FieldDetail {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
            );
        }
        self
    }

    /// 400 `validation_error` without `details`: a request that could not be read at all.
    pub fn malformed(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_error", reason)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::from_answer(answers::UNAUTHORIZED)
    }

    /// 500 `internal_error`; the cause is logged with its whole chain and kept for
    /// [`reveal_internal_causes`].
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let chain = error_chain(cause);
        error!(error = %chain, "internal error");
        let mut err = Self::from_answer(answers::INTERNAL);
        err.body.error = Some(chain);
        err
    }

    /// Sets `WWW-Authenticate`: how the client must authenticate.
    pub fn challenge(mut self, challenge: &'static str) -> Self {
        self.challenge = Some(challenge);
        self
    }

    /// Sets `Retry-After`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_secs = Some(seconds.max(1));
        self
    }
}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        let sent = ErrorBody {
            error: None,
            ..self.body.clone()
        };
        let mut response = Response::builder()
            .status(self.status)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(serialized(&sent));
        if let Some(seconds) = self.retry_after_secs {
            response.headers_mut().insert(RETRY_AFTER, seconds.into());
        }
        if let Some(challenge) = self.challenge {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        if self.body.error.is_some() {
            response.set_data(RevealedBody(serialized(&self.body)));
        }
        response
    }
}

fn serialized(body: &ErrorBody) -> Vec<u8> {
    serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(body)).unwrap_or_else(|_| {
        br#"{"success":false,"code":"internal_error","message":"Something went wrong on our side."}"#
            .to_vec()
    })
}

/// Shows the internal cause in the body of every 500 when `reveal` is set (docs/http-api.md §1:
/// development mode only, `AppState::expose_internal_errors`); otherwise the 500 stays as it is,
/// without it.
pub async fn reveal_internal_causes<E: Endpoint>(
    next: E,
    req: Request,
    reveal: bool,
) -> poem::Result<Response> {
    let mut response = next.get_response(req).await;
    if reveal && let Some(RevealedBody(body)) = response.data::<RevealedBody>().cloned() {
        response.set_body(body);
    }
    Ok(response)
}

/// [`into_envelope`], keeping the route template the error came from (for the request
/// metrics and log line).
pub fn into_envelope_keeping_route(err: poem::Error) -> Response {
    let operation = err.data::<poem_openapi::OperationId>().copied();
    let pattern = err.data::<poem::PathPattern>().cloned();
    let mut response = into_envelope(err);
    if let Some(operation) = operation {
        response.set_data(operation);
    }
    if let Some(pattern) = pattern {
        response.set_data(pattern);
    }
    response
}

/// Converts any error that reaches the edge of the router into the docs/http-api.md §1 envelope:
/// ours pass through, the framework's are classified by status.
pub fn into_envelope(err: poem::Error) -> Response {
    if let Some(api) = err.downcast_ref::<ApiError>() {
        return poem::error::ResponseError::as_response(api);
    }
    let status = err.status();
    let api = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => bad_request(&err),
        StatusCode::UNAUTHORIZED => ApiError::unauthorized(),
        StatusCode::NOT_FOUND => ApiError::new(status, "not_found", "No such route."),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            "This route does not accept this method.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
        // Only form operations get here: JSON bodies are read by our own extractor.
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::from_answer(answers::UNSUPPORTED_MEDIA_TYPE)
        }
        s if s.is_server_error() => ApiError::internal(&err),
        s => ApiError::new(s, "bad_request", err.to_string()),
    };
    poem::error::ResponseError::as_response(&api)
}

/// A request the framework refused before a handler ran. A query parameter of the wrong type
/// (`limit=ten`) names the parameter; its value is not repeated, nor the framework's message.
fn bad_request(err: &poem::Error) -> ApiError {
    match err.downcast_ref::<ParseParamError>() {
        Some(param) => ApiError::validation(vec![FieldError::new(
            param.name,
            "has the wrong type or format",
        )]),
        None => ApiError::malformed("The request is malformed."),
    }
}

/// 413 `payload_too_large`.
pub fn payload_too_large() -> ApiError {
    ApiError::from_answer(answers::PAYLOAD_TOO_LARGE)
}

/// The response for any failure, for code outside an OpenAPI operation.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        poem::error::ResponseError::as_response(&self)
    }
}
