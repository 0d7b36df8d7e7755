//! The one place where failures become HTTP responses: domain errors map to the §1 codes here,
//! and framework errors (unknown routes, missing bearer, bad query parameters, ...) are
//! converted into the same envelope by [`into_envelope`]. Request bodies are parsed by
//! `crate::body`, which reports its own failures as [`ApiError`]s.

use poem::http::StatusCode;
use poem::http::header::{CONTENT_TYPE, RETRY_AFTER};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::ParseParamError;
use postern_core::{Error, FieldError, error_chain};
use tracing::error;

use super::envelope::{ErrorBody, FieldDetail};

/// A failure on its way to the client: a status, the envelope and, for 423 and 429, how long to
/// wait. The envelope's `error` holds a 500's internal cause, which only a server that exposes
/// internal errors sends (see [`reveal_internal_causes`]).
#[derive(Debug, thiserror::Error)]
#[error("{} {}", status, body.code)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after_secs: Option<u64>,
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
        }
    }

    /// 400 `validation_error` listing the invalid fields.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let mut err = Self::new(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "The request is invalid.",
        );
        err.body.details = Some(
            fields
                .into_iter()
                .map(|f| FieldDetail {
                    field: f.field,
                    message: f.message,
                })
                .collect(),
        );
        err
    }

    /// 400 `validation_error` without `details`: a request that could not be read at all.
    pub fn malformed(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_error", reason)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "A valid bearer token is required.",
        )
    }

    /// 500 `internal_error`; the cause is logged with its whole chain and kept for
    /// [`reveal_internal_causes`].
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let chain = error_chain(cause);
        error!(error = %chain, "internal error");
        let mut err = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side.",
        );
        err.body.error = Some(chain);
        err
    }

    /// Sets `Retry-After`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_secs = Some(seconds.max(1));
        self
    }
}

impl ApiError {
    /// The mapping for operations that spend a token from a mail link (§3 email verify,
    /// password reset): such a token is a field of the request, not a credential, so an
    /// unusable one is 400 `invalid_token`, as §3 lists; everything else maps as usual.
    pub fn from_link_token(err: Error) -> Self {
        match err {
            Error::InvalidToken => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "The link is invalid, already used or expired; ask for a new one.",
            ),
            other => other.into(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        use StatusCode as S;
        match err {
            Error::Validation(fields) => Self::validation(fields),
            Error::Unauthorized => Self::unauthorized(),
            Error::InvalidCredentials => Self::new(
                S::UNAUTHORIZED,
                "invalid_credentials",
                "The email or password is wrong.",
            ),
            Error::InvalidToken => Self::new(
                S::UNAUTHORIZED,
                "invalid_token",
                "The token is invalid or has expired.",
            ),
            Error::TokenExpired => Self::new(
                S::UNAUTHORIZED,
                "token_expired",
                "The access token has expired.",
            ),
            Error::RefreshTokenReused => Self::new(
                S::UNAUTHORIZED,
                "refresh_token_reused",
                "The refresh token was already used; its session has been revoked.",
            ),
            Error::Forbidden => Self::new(S::FORBIDDEN, "forbidden", "You may not do this."),
            Error::AccountDisabled => Self::new(
                S::FORBIDDEN,
                "forbidden",
                "This account has been disabled by an administrator.",
            ),
            Error::NotFound => Self::new(S::NOT_FOUND, "not_found", "Not found."),
            Error::EmailTaken => Self::new(
                S::CONFLICT,
                "email_taken",
                "An account with this email already exists.",
            ),
            Error::AccountLocked { retry_after } => Self::new(
                S::LOCKED,
                "account_locked",
                "Too many failed logins; the account is locked for a while.",
            )
            .retry_after(whole_seconds_up(retry_after)),
            Error::RateLimited { retry_after } => Self::new(
                S::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests; try again later.",
            )
            .retry_after(whole_seconds_up(retry_after)),
            Error::Unavailable(cause) => {
                tracing::warn!(error = %error_chain(cause.as_ref()), "dependency unavailable");
                Self::new(
                    S::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The service is temporarily unavailable.",
                )
            }
            Error::Unexpected(cause) => Self::internal(cause.as_ref()),
        }
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

/// Shows the internal cause in the body of every 500 when `reveal` is set (§1: development
/// mode only, `AppState::expose_internal_errors`); otherwise the 500 stays as it is, without it.
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
        StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
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

/// Seconds to wait, rounded up: a client that waits exactly this long must not be refused again.
fn whole_seconds_up(wait: time::Duration) -> u64 {
    let whole = wait.whole_seconds().max(0).unsigned_abs();
    whole + u64::from(wait.subsec_nanoseconds() > 0)
}

/// 413 `payload_too_large`.
pub fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "The body must not exceed 64 KiB.",
    )
}

/// The response for any failure, for code outside an OpenAPI operation.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        poem::error::ResponseError::as_response(&self)
    }
}
