//! How failures are answered: each use case's error enum is mapped here once, variant by variant,
//! to an [`Answer`] (status, docs/http-api.md §1 code, public message), and the same mapping is
//! what the OpenAPI document lists for every operation that can meet the error, so the document
//! cannot drift from the code.
//!
//! The [`answers!`] macro writes both halves from one list of arms: the `match` that answers a
//! value (which the compiler holds to every variant) and the list that documents the type.
//! The enums of the core are mapped beside the handlers that use them; what several modules
//! share (the ports' failures, bearer authentication, the request's own validation) is here.

use poem::http::StatusCode;
use postern_core::ports::PortError;
use postern_core::{FieldError, error_chain};
use tracing::warn;

use super::error::ApiError;

/// One way an operation can fail, as the client sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The docs/http-api.md §1 `code` of the envelope.
    pub code: &'static str,
    /// The envelope's `message`: for people, and never about internals.
    pub message: &'static str,
    /// When the answer is given, as the OpenAPI document says it: a lower-case phrase without
    /// a full stop, joined with the others of its status into one description.
    pub doc: &'static str,
}

/// A type whose failures an operation documents.
pub trait Documented {
    /// Every answer the type can be given.
    const ANSWERS: &'static [Answer];
}

/// An error an operation answers with: which of its [`Documented::ANSWERS`] a value gets, and
/// what the envelope adds for it.
pub trait Answered: Documented + std::error::Error + 'static {
    /// The answer to this value.
    fn answer(&self) -> Answer;

    /// The invalid fields the envelope lists under `details`; none by default.
    fn details(&self) -> Vec<FieldError> {
        Vec::new()
    }

    /// How long the client should wait (`Retry-After`); not at all by default.
    fn retry_after(&self) -> Option<time::Duration> {
        None
    }
}

/// Implements [`Documented`] and [`Answered`] for an error from one list of
/// `pattern => answer` arms, so that what a value is answered and what the type documents
/// cannot differ. Overrides of [`Answered`]'s provided methods may follow in braces.
macro_rules! answers {
    ($error:ty { $($pattern:pat => $answer:expr),+ $(,)? } $({ $($extra:tt)* })?) => {
        impl $crate::answers::Documented for $error {
            const ANSWERS: &'static [$crate::answers::Answer] = &[$($answer),+];
        }

        impl $crate::answers::Answered for $error {
            fn answer(&self) -> $crate::answers::Answer {
                match self {
                    $($pattern => $answer),+
                }
            }

            $($($extra)*)?
        }
    };
}
pub(crate) use answers;

impl<E: Answered> From<E> for ApiError {
    /// The envelope of `error`'s answer. A 500 logs the whole cause chain and a 503 warns with
    /// it; neither tells the client more than its message.
    fn from(error: E) -> Self {
        let answer = error.answer();
        let api = match answer.status {
            StatusCode::INTERNAL_SERVER_ERROR => ApiError::internal(&error),
            status => {
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    warn!(error = %error_chain(&error), "dependency unavailable");
                }
                ApiError::from_answer(answer)
            }
        };
        let api = api.with_details(error.details());
        match error.retry_after() {
            Some(wait) => api.retry_after(whole_seconds_up(wait)),
            None => api,
        }
    }
}

/// Seconds to wait, rounded up: a client that waits exactly this long must not be refused again.
fn whole_seconds_up(wait: time::Duration) -> u64 {
    let whole = wait.whole_seconds().max(0).unsigned_abs();
    whole + u64::from(wait.subsec_nanoseconds() > 0)
}

/// 500 `internal_error`.
pub const INTERNAL: Answer = Answer {
    status: StatusCode::INTERNAL_SERVER_ERROR,
    code: "internal_error",
    message: "Something went wrong on our side.",
    doc: "a fault on the server; nothing internal is disclosed",
};

/// 503 `unavailable`.
pub const UNAVAILABLE: Answer = Answer {
    status: StatusCode::SERVICE_UNAVAILABLE,
    code: "unavailable",
    message: "The service is temporarily unavailable.",
    doc: "a dependency such as the database cannot be reached; retry later",
};

/// 401 `unauthorized`.
pub const UNAUTHORIZED: Answer = Answer {
    status: StatusCode::UNAUTHORIZED,
    code: "unauthorized",
    message: "A valid bearer token is required.",
    doc: "missing, invalid or revoked bearer token",
};

/// 400 `validation_error`, with the invalid fields in `details`.
pub const INVALID: Answer = Answer {
    status: StatusCode::BAD_REQUEST,
    code: "validation_error",
    message: "The request is invalid.",
    doc: "a missing, `null`, wrongly typed or invalid value, each named in `details`",
};

/// 400 `validation_error` for a new password the operator's policy refuses, with what to change
/// in `details`.
pub const WEAK_PASSWORD: Answer = Answer {
    doc: "the new password is shorter than `PASSWORD_MIN_LENGTH` or scores below \
          `PASSWORD_MIN_SCORE`; `details` says what to change",
    ..INVALID
};

/// 415 `unsupported_media_type`, for a form operation called without a form body.
pub const UNSUPPORTED_MEDIA_TYPE: Answer = Answer {
    status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
    code: "unsupported_media_type",
    message: "The body must be application/x-www-form-urlencoded.",
    doc: "no `Content-Type: application/x-www-form-urlencoded`",
};

/// 413 `payload_too_large`.
pub const PAYLOAD_TOO_LARGE: Answer = Answer {
    status: StatusCode::PAYLOAD_TOO_LARGE,
    code: "payload_too_large",
    message: "The body must not exceed 64 KiB.",
    doc: "the body exceeds 64 KiB",
};

/// 431 `headers_too_large`.
pub const HEADERS_TOO_LARGE: Answer = Answer {
    status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
    code: "headers_too_large",
    message: "The request's headers must not exceed 32 KiB.",
    doc: "the request line and headers exceed 32 KiB",
};

/// 429 `rate_limited`, with `Retry-After`.
pub const RATE_LIMITED: Answer = Answer {
    status: StatusCode::TOO_MANY_REQUESTS,
    code: "rate_limited",
    message: "Too many requests; try again later.",
    doc: "too many requests under this operation's rate limit; see `Retry-After`",
};

/// 429 `rate_limited` by the global per-client limit, which every operation but the probes
/// comes under.
pub const GLOBALLY_RATE_LIMITED: Answer = Answer {
    doc: "too many requests from this client under the global limit; see `Retry-After`",
    ..RATE_LIMITED
};

answers!(PortError {
    PortError::Unavailable(_) => UNAVAILABLE,
    PortError::Unexpected(_) => INTERNAL,
});

/// Fields of a request that break the domain's rules.
#[derive(Debug, thiserror::Error)]
#[error("validation failed")]
pub struct Invalid(pub Vec<FieldError>);

impl From<FieldError> for Invalid {
    fn from(field: FieldError) -> Self {
        Self(vec![field])
    }
}

answers!(Invalid {
    Invalid(_) => INVALID,
} {
    fn details(&self) -> Vec<FieldError> {
        self.0.clone()
    }
});

/// What an operation with a JSON body can be refused before its handler runs (by
/// `crate::body`): a body that is not a JSON object, one whose fields break their rules, or one
/// that is too large.
pub enum JsonBody {}

impl Documented for JsonBody {
    const ANSWERS: &'static [Answer] = &[
        Answer {
            status: StatusCode::BAD_REQUEST,
            code: "validation_error",
            message: "The body is not valid JSON.",
            doc: "a body that is not a JSON object sent as `application/json` (without `details`)",
        },
        INVALID,
        PAYLOAD_TOO_LARGE,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_failure_is_503_when_unavailable_and_500_otherwise() {
        assert_eq!(PortError::unavailable("down").answer(), UNAVAILABLE);
        assert_eq!(PortError::unexpected("bug").answer(), INTERNAL);
    }

    #[test]
    fn waits_are_rounded_up_to_whole_seconds() {
        assert_eq!(whole_seconds_up(time::Duration::milliseconds(1500)), 2);
        assert_eq!(whole_seconds_up(time::Duration::seconds(3)), 3);
        assert_eq!(whole_seconds_up(time::Duration::seconds(-1)), 0);
    }
}
