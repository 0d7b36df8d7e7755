//! Response types that poem-openapi's derives cannot express: a per-operation set of documented
//! errors that all share the §1 envelope, and the `RateLimit-*` headers that a rate-limited
//! operation adds to every response, success or not.

use std::marker::PhantomData;

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry,
};
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};
use postern_core::ports::RateDecision;

use super::envelope::{ErrorBody, ListSuccess, PageMeta, Success};
use super::error::ApiError;

/// A 200 response carrying `data` in the success envelope.
pub struct Done<T>(pub T);

impl<T: ParseFromJSON + ToJSON> ApiResponse for Done<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "Success: the payload is in `data`.",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: Success::<T>::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        Success::<T>::register(registry);
    }
}

impl<T: ParseFromJSON + ToJSON> IntoResponse for Done<T> {
    fn into_response(self) -> Response {
        Json(Success::new(self.0)).into_response()
    }
}

/// A 200 response carrying one page of a list in the list envelope (§1).
pub struct Listed<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Where the list continues.
    pub meta: PageMeta,
}

impl<T: ParseFromJSON + ToJSON> ApiResponse for Listed<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "Success: one page of items in `data`; `meta.nextCursor` continues \
                              the list.",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: ListSuccess::<T>::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        ListSuccess::<T>::register(registry);
    }
}

impl<T: ParseFromJSON + ToJSON> IntoResponse for Listed<T> {
    fn into_response(self) -> Response {
        Json(ListSuccess {
            success: true,
            data: self.items,
            meta: self.meta,
        })
        .into_response()
    }
}

/// The error statuses an operation documents, each with a description. 500 and 503 are added to
/// every set, because every operation can meet a bug or an unreachable database, unless the set
/// describes that status itself (a status may appear only once among an operation's responses).
pub trait ErrorSet: Send + Sync + 'static {
    /// `(status, description)` pairs.
    const RESPONSES: &'static [(u16, &'static str)];
}

/// Declares an [`ErrorSet`].
macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident { $($status:literal => $desc:literal),* $(,)? }) => {
        $(#[$doc])*
        pub enum $name {}
        impl $crate::responses::ErrorSet for $name {
            const RESPONSES: &'static [(u16, &'static str)] = &[$(($status, $desc)),*];
        }
    };
}
pub(crate) use error_set;

const ALWAYS: &[(u16, &str)] = &[
    (
        500,
        "`internal_error`: a fault on the server; nothing internal is disclosed.",
    ),
    (
        503,
        "`unavailable`: a dependency such as the database cannot be reached; retry later.",
    ),
];

/// A failed operation: any [`ApiError`], documented as the statuses of `S`.
pub struct Failure<S>(ApiError, PhantomData<S>);

impl<S> From<ApiError> for Failure<S> {
    fn from(err: ApiError) -> Self {
        Self(err, PhantomData)
    }
}

impl<S> From<postern_core::Error> for Failure<S> {
    fn from(err: postern_core::Error) -> Self {
        Self(err.into(), PhantomData)
    }
}

impl<S> From<Failure<S>> for poem::Error {
    fn from(failure: Failure<S>) -> Self {
        poem::Error::from(failure.0)
    }
}

impl<S: ErrorSet> ApiResponse for Failure<S> {
    fn meta() -> MetaResponses {
        let own = S::RESPONSES;
        let always = ALWAYS
            .iter()
            .filter(|&&(status, _)| own.iter().all(|&(taken, _)| taken != status));
        let responses = own
            .iter()
            .chain(always)
            .map(|&(status, description)| MetaResponse {
                description,
                status: Some(status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: MetaSchemaRef::Reference(ErrorBody::name().into_owned()),
                }],
                headers: if matches!(status, 423 | 429) {
                    vec![header("Retry-After", "Seconds until a retry may succeed.")]
                } else {
                    vec![]
                },
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}

impl<S: Send + Sync> IntoResponse for Failure<S> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// The outcome of a rate-limited operation, success or failure, with the `RateLimit-*` headers
/// of its check on either.
pub struct RateLimited<T, S> {
    result: Result<T, Failure<S>>,
    decision: Option<RateDecision>,
}

impl<T, S> RateLimited<T, S> {
    /// Wraps `result` with the headers of `decision` (`None` when the bucket is off).
    pub fn new(result: Result<T, Failure<S>>, decision: Option<RateDecision>) -> Self {
        Self { result, decision }
    }
}

/// Adds the `RateLimit-*` headers of `decision` to `response`.
pub fn apply_rate_limit_headers(response: &mut Response, decision: &RateDecision) {
    let headers = response.headers_mut();
    headers.insert("RateLimit-Limit", decision.limit.into());
    headers.insert("RateLimit-Remaining", decision.remaining.into());
    headers.insert("RateLimit-Reset", reset_seconds(decision).into());
}

/// Whole seconds until the window resets, rounded up so that a client never retries early.
pub fn reset_seconds(decision: &RateDecision) -> u64 {
    decision.reset_after.as_secs() + u64::from(decision.reset_after.subsec_nanos() > 0)
}

fn header(name: &str, description: &str) -> MetaHeader {
    MetaHeader {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        required: false,
        deprecated: false,
        schema: u64::schema_ref(),
    }
}

impl<T: ApiResponse, S: ErrorSet> ApiResponse for RateLimited<T, S> {
    fn meta() -> MetaResponses {
        let mut meta = T::meta();
        meta.responses.extend(Failure::<S>::meta().responses);
        for response in &mut meta.responses {
            response.headers.extend([
                header("RateLimit-Limit", "Requests the window admits."),
                header("RateLimit-Remaining", "Requests left in the window."),
                header("RateLimit-Reset", "Seconds until the quota is full again; on a 429, until the next request may pass."),
            ]);
        }
        meta
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
        Failure::<S>::register(registry);
    }
}

impl<T: IntoResponse, S: Send + Sync> IntoResponse for RateLimited<T, S> {
    fn into_response(self) -> Response {
        let mut response = match self.result {
            Ok(success) => success.into_response(),
            Err(failure) => failure.into_response(),
        };
        if let Some(decision) = &self.decision {
            apply_rate_limit_headers(&mut response, decision);
        }
        response
    }
}
