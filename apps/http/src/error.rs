//! Where failures become HTTP responses: [`ApiError`], the §1 envelope with its status, which
//! the use cases' errors become through their [`crate::answers`], and into which framework
//! errors (bad JSON, unknown routes, missing bearer, ...) are converted by [`into_envelope`].

use std::sync::atomic::{AtomicBool, Ordering};

use poem::http::StatusCode;
use poem::http::header::{CONTENT_TYPE, RETRY_AFTER};
use poem::{IntoResponse, Response};
use poem_openapi::error::ParseRequestPayloadError;
use postern_core::{FieldError, error_chain};
use tracing::error;

use super::answers::{self, Answer};
use super::envelope::{ErrorBody, FieldDetail};

/// Whether 500s may carry their internal cause (§1: development mode only). Set once at start.
static EXPOSE_INTERNAL_ERRORS: AtomicBool = AtomicBool::new(false);

/// Lets development builds show the cause of a 500 in its body.
pub fn expose_internal_errors(expose: bool) {
    EXPOSE_INTERNAL_ERRORS.store(expose, Ordering::Relaxed);
}

/// A failure on its way to the client: a status, the envelope and, for 423 and 429, how long to
/// wait.
#[derive(Debug, thiserror::Error)]
#[error("{} {}", status, body.code)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after_secs: Option<u64>,
}

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

    /// 400 `validation_error` for a body or parameter the framework could not parse.
    pub fn malformed(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_error", reason)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::from_answer(answers::UNAUTHORIZED)
    }

    /// 500 `internal_error`; the cause is logged with its whole chain and, in development only,
    /// shown.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let chain = error_chain(cause);
        error!(error = %chain, "internal error");
        let mut err = Self::from_answer(answers::INTERNAL);
        if EXPOSE_INTERNAL_ERRORS.load(Ordering::Relaxed) {
            err.body.error = Some(chain);
        }
        err
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
        let body = serde_json::to_vec(&poem_openapi::types::ToJSON::to_json(&self.body))
            .unwrap_or_else(|_| br#"{"success":false,"code":"internal_error","message":"Something went wrong on our side."}"#.to_vec());
        let mut response = Response::builder()
            .status(self.status)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(body);
        if let Some(seconds) = self.retry_after_secs {
            response.headers_mut().insert(RETRY_AFTER, seconds.into());
        }
        response
    }
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

/// Converts any error that reaches the edge of the router into the §1 envelope: ours pass
/// through, the framework's are classified by status.
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
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "The body must be application/json.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
        s if s.is_server_error() => ApiError::internal(&err),
        s => ApiError::new(s, "bad_request", err.to_string()),
    };
    poem::error::ResponseError::as_response(&api)
}

/// A body or parameter poem-openapi refused. Its schema validators name the field
/// (`field `password` verification failed. minLength(8)`), which becomes a `details` entry;
/// anything else (malformed JSON, a missing field, a wrong type) is described in the message.
fn bad_request(err: &poem::Error) -> ApiError {
    let reason = err
        .downcast_ref::<ParseRequestPayloadError>()
        .map_or_else(|| err.to_string(), |e| e.reason.clone());
    match field_validation(&reason) {
        Some(detail) => ApiError::validation(vec![detail]),
        None => ApiError::malformed(format!(
            "The request is malformed: {}",
            without_values(&reason)
        )),
    }
}

/// poem-openapi's type errors quote the value they rejected (`..., found ["hunter2"].`), which
/// may be a password or a token; §1 allows neither in a response, so the value is cut out and
/// only the expected type and where it occurred remain.
fn without_values(reason: &str) -> String {
    let Some(found) = reason.find(", found ") else {
        return reason.to_owned();
    };
    let mut text = reason[..found].to_owned();
    if let Some(context) = reason
        .rfind(" (occurred while parsing \"")
        .filter(|c| *c > found)
    {
        text.push_str(&reason[context..]);
    }
    text
}

fn field_validation(reason: &str) -> Option<FieldError> {
    let (_, rest) = reason.split_once("field `")?;
    let (field, rule) = rest.split_once("` verification failed. ")?;
    let (name, limit) = rule.trim_end_matches(')').split_once('(')?;
    let message = match name {
        "minLength" => format!("must be at least {limit} characters"),
        "maxLength" => format!("must be at most {limit} characters"),
        _ => format!("fails {name}({limit})"),
    };
    Some(FieldError::new(field, message))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_failures_name_their_field() {
        let detail = field_validation(
            r#"failed to parse "SignupRequest": field `password` verification failed. minLength(8)"#,
        )
        .unwrap();
        assert_eq!(
            detail,
            FieldError::new("password", "must be at least 8 characters")
        );
        assert!(field_validation("EOF while parsing an object").is_none());
    }

    #[test]
    fn parse_messages_never_quote_the_rejected_value() {
        let reason = r#"Expected input type "string", found ["hunter2"]. (occurred while parsing "LoginRequest")"#;
        assert_eq!(
            without_values(reason),
            r#"Expected input type "string" (occurred while parsing "LoginRequest")"#
        );
        assert_eq!(
            without_values(r#"Expected input type "RefreshRequest", found "tok"."#),
            r#"Expected input type "RefreshRequest""#
        );
        assert_eq!(
            without_values("EOF while parsing a value"),
            "EOF while parsing a value"
        );
    }
}
