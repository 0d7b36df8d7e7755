//! Response types that poem-openapi's derives cannot express: a per-operation set of documented
//! errors that all share the docs/http-api.md §1 envelope, derived from the errors'
//! [`crate::answers`], and the `RateLimit-*` headers that a rate-limited operation adds to every
//! response, success or not.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::sync::{Mutex, PoisonError};

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry,
};
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};
use postern_core::ports::RateDecision;

use super::answers::{self, Answer, Answered, Documented};
use super::envelope::{ErrorBody, ListSuccess, PageMeta, Success};
use super::error::ApiError;
use postern_core::ports::PortError;

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

/// A 200 response carrying one page of a list in the list envelope (docs/http-api.md §1).
pub struct Listed<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// Where the list continues.
    pub meta: PageMeta,
}

impl<T> Listed<T> {
    /// A list answered whole, in one page: `meta.nextCursor` is null and `meta.limit` is the
    /// number of items, so that every list carries `meta` (docs/http-api.md §1).
    pub fn whole(items: Vec<T>) -> Self {
        let limit = u32::try_from(items.len()).unwrap_or(u32::MAX);
        Self {
            items,
            meta: PageMeta {
                next_cursor: None,
                limit,
            },
        }
    }
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

/// The failures an operation documents: every answer of the types it names. A handler returns
/// [`Failure`] of it, so that the document lists exactly what the handler can answer.
pub trait ErrorSet: Send + Sync + 'static {
    /// The answers of every type in the set, in order, repeats included.
    fn answers() -> Vec<Answer>;
}

/// Says that the error `E` belongs to a set, so that a handler may return it with `?`. Only
/// [`failures!`] implements it, for the types it lists: an error the set does not document
/// cannot be returned.
pub trait Includes<E> {}

/// Declares an [`ErrorSet`] from the types whose failures an operation can answer with: the
/// error enums of the use cases it calls, and what the edge adds ([`crate::answers::JsonBody`]
/// for a body, [`crate::answers::Invalid`] for the handler's own validation,
/// `AuthenticateError` for a bearer token).
macro_rules! failures {
    ($(#[$doc:meta])* $name:ident = $($member:ty),+ $(,)?) => {
        $(#[$doc])*
        pub enum $name {}

        impl $crate::responses::ErrorSet for $name {
            fn answers() -> Vec<$crate::answers::Answer> {
                [$(<$member as $crate::answers::Documented>::ANSWERS),+].concat()
            }
        }

        $(impl $crate::responses::Includes<$member> for $name {})+
    };
}
pub(crate) use failures;

/// A failed operation, documented as the answers of `S`.
pub struct Failure<S>(ApiError, PhantomData<S>);

impl<S: Includes<E>, E: Answered> From<E> for Failure<S> {
    fn from(err: E) -> Self {
        Self(err.into(), PhantomData)
    }
}

impl<S> From<Failure<S>> for poem::Error {
    fn from(failure: Failure<S>) -> Self {
        poem::Error::from(failure.0)
    }
}

impl<S: ErrorSet> ApiResponse for Failure<S> {
    /// The answers of `S`, and the global limit's 429, which every operation can meet.
    fn meta() -> MetaResponses {
        documented([S::answers(), vec![answers::GLOBALLY_RATE_LIMITED]].concat())
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

/// One response per status among `answers`, in order of status, each described by every code
/// it can carry.
fn documented(mut answers: Vec<Answer>) -> MetaResponses {
    answers.sort_by_key(|answer| answer.status);
    let responses = answers
        .chunk_by(|a, b| a.status == b.status)
        .map(|same_status| {
            let status = same_status[0].status.as_u16();
            MetaResponse {
                description: intern(describe(same_status)),
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
            }
        })
        .collect();
    MetaResponses { responses }
}

/// The description of one status: each code once, with every distinct case of it
/// (`` `invalid_token`: ...; `refresh_token_reused`: ...``).
fn describe(same_status: &[Answer]) -> String {
    let mut codes: Vec<(&str, Vec<&str>)> = Vec::new();
    for answer in same_status {
        match codes.iter_mut().find(|(code, _)| *code == answer.code) {
            Some((_, cases)) if cases.contains(&answer.doc) => {}
            Some((_, cases)) => cases.push(answer.doc),
            None => codes.push((answer.code, vec![answer.doc])),
        }
    }
    let described: Vec<String> = codes
        .into_iter()
        .map(|(code, cases)| format!("`{code}`: {}", cases.join(", or ")))
        .collect();
    format!("{}.", described.join("; "))
}

/// `text` as a `&'static str`, which poem-openapi's descriptions must be; each distinct text is
/// kept once, so building the document again allocates nothing new.
fn intern(text: String) -> &'static str {
    static TEXTS: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut texts = TEXTS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = texts.get(text.as_str()) {
        return known;
    }
    let kept: &'static str = Box::leak(text.into_boxed_str());
    texts.insert(kept);
    kept
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

    /// 429 `rate_limited` by `decision`, with its headers and `Retry-After`.
    pub fn refused(decision: RateDecision) -> Self {
        let refused =
            ApiError::from_answer(answers::RATE_LIMITED).retry_after(reset_seconds(&decision));
        Self::new(Err(Failure(refused, PhantomData)), Some(decision))
    }

    /// The limiter's own failure: the request was neither counted nor run.
    pub fn unchecked(err: PortError) -> Self {
        Self::new(Err(Failure(err.into(), PhantomData)), None)
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
        let limits = [answers::RATE_LIMITED, answers::GLOBALLY_RATE_LIMITED];
        let failures = [&S::answers(), PortError::ANSWERS, &limits].concat();
        meta.responses.extend(documented(failures).responses);
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
