//! Rate limits declared by an operation's signature (docs/http-api.md §6): a handler takes
//! [`Limited<L>`], where `L` names what is counted (the bucket) and how a request is keyed. The
//! extractor first extracts `L`'s source (a validated body, or the bearer identity), then checks
//! the limiter, so that a request refused as invalid neither spends quota nor creates a key; the
//! handler's work runs only when admitted, through [`Limited::run`], which puts the check's
//! `RateLimit-*` headers on whatever comes out.

use std::pin::Pin;
use std::sync::Arc;

use poem::web::Data;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::registry::{MetaParamIn, MetaRequest, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use postern_core::ports::{PortError, RateDecision, RateLimitBucket};

use crate::client::Client;
use crate::observability;
use crate::responses::{Failure, RateLimited};
use crate::state::AppState;

/// What an operation counts: the bucket, and the key of one request in it.
pub trait RateLimit {
    /// What the key is read from, extracted (and so validated) before the check.
    type Source: Send;

    /// The bucket counted against.
    const BUCKET: RateLimitBucket;

    /// The key of a request in [`Self::BUCKET`].
    fn key(source: &Self::Source, client: &Client) -> String;
}

/// `L`'s source, with the limiter's verdict on the request.
pub struct Limited<L: RateLimit> {
    source: L::Source,
    verdict: Verdict,
}

/// The limiter's verdict.
enum Verdict {
    /// Admitted; `None` when the bucket is off.
    Admitted(Option<RateDecision>),
    /// Refused: the quota is spent.
    Refused(RateDecision),
    /// The limiter failed: the request was neither counted nor run.
    Unchecked(PortError),
}

impl<L: RateLimit> Limited<L> {
    /// Runs `work` on the source if the request was admitted, and answers with the headers of
    /// the check; answers 429 (or the limiter's failure) without running it otherwise.
    pub async fn run<T, S>(
        self,
        work: impl AsyncFnOnce(L::Source) -> Result<T, Failure<S>>,
    ) -> RateLimited<T, S> {
        match self.verdict {
            Verdict::Admitted(decision) => RateLimited::new(work(self.source).await, decision),
            Verdict::Refused(decision) => RateLimited::refused(decision),
            Verdict::Unchecked(err) => RateLimited::unchecked(err),
        }
    }
}

/// Counts a request keyed by `key` against `L`'s bucket.
async fn check<L: RateLimit>(state: &AppState, key: &str) -> Verdict {
    match state.rate_limiter.check(L::BUCKET, key).await {
        Ok(Some(decision)) if !decision.allowed => {
            observability::record_rate_limited(L::BUCKET);
            Verdict::Refused(decision)
        }
        Ok(decision) => Verdict::Admitted(decision),
        Err(err) => Verdict::Unchecked(err),
    }
}

/// Documented as its source is; extracts it, then checks the limiter.
impl<'a, L: RateLimit + 'static> ApiExtractor<'a> for Limited<L>
where
    L::Source: ApiExtractor<'a, ParamType = ()> + 'static,
{
    const TYPES: &'static [ApiExtractorType] = <L::Source as ApiExtractor<'a>>::TYPES;
    const PARAM_IS_REQUIRED: bool = <L::Source as ApiExtractor<'a>>::PARAM_IS_REQUIRED;
    type ParamType = ();
    type ParamRawType = <L::Source as ApiExtractor<'a>>::ParamRawType;

    fn register(registry: &mut Registry) {
        <L::Source as ApiExtractor<'a>>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <L::Source as ApiExtractor<'a>>::security_schemes()
    }

    fn has_security_fallback() -> bool {
        <L::Source as ApiExtractor<'a>>::has_security_fallback()
    }

    fn param_in() -> Option<MetaParamIn> {
        <L::Source as ApiExtractor<'a>>::param_in()
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        <L::Source as ApiExtractor<'a>>::param_schema_ref()
    }

    fn request_meta() -> Option<MetaRequest> {
        <L::Source as ApiExtractor<'a>>::request_meta()
    }

    fn param_raw_type(&self) -> Option<&Self::ParamRawType> {
        self.source.param_raw_type()
    }

    // Boxed, so that the future is known to be `Send` here, where `L`'s source is known to
    // extract: left opaque, the compiler cannot prove it `Send` for every lifetime of the
    // request. The box owns the body, so that it borrows only the request.
    fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<()>,
    ) -> impl Future<Output = poem::Result<Self>> + Send {
        let mut body = std::mem::take(body);
        let extract: Pin<Box<dyn Future<Output = poem::Result<Self>> + Send + 'a>> =
            Box::pin(async move {
                let source = L::Source::from_request(request, &mut body, param_opts).await?;
                let state =
                    <Data<&Arc<AppState>> as FromRequest>::from_request(request, &mut body).await?;
                let client = <Client as FromRequest>::from_request(request, &mut body).await?;
                let verdict = check::<L>(&state, &L::key(&source, &client)).await;
                Ok(Self { source, verdict })
            });
        extract
    }
}
