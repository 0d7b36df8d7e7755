//! The extractors that hand handlers a parsed body: [`ValidJson`] for a body the operation
//! requires, [`OptionalJson`] for one it may go without. Both register the body's schema for
//! the document and parse the bytes themselves (see [`super::parse`]).

use poem::{Request, RequestBody};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use super::{JsonBody, parse};
use crate::error::ApiError;

/// A required JSON body, parsed into `B::Parsed`.
pub struct ValidJson<B: JsonBody>(pub B::Parsed);

/// A JSON body that may be absent: no body at all (a bodiless `curl -X POST`, which sends no
/// `Content-Type`) or only whitespace is `None`.
pub struct OptionalJson<B: JsonBody>(pub Option<B::Parsed>);

impl<'a, B: JsonBody> ApiExtractor<'a> for ValidJson<B> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        B::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(request_meta::<B>(true))
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bytes = body.take()?.into_vec().await?;
        Ok(Self(parse_declared::<B>(request.content_type(), &bytes)?))
    }
}

impl<'a, B: JsonBody> ApiExtractor<'a> for OptionalJson<B> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        B::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(request_meta::<B>(false))
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bytes = body.take()?.into_vec().await?;
        let content_type = request.content_type();
        let absent = bytes.iter().all(u8::is_ascii_whitespace) && content_type.is_none_or(is_json);
        if absent {
            return Ok(Self(None));
        }
        Ok(Self(Some(parse_declared::<B>(content_type, &bytes)?)))
    }
}

/// The document's description of a body of type `B`.
fn request_meta<B: JsonBody>(required: bool) -> MetaRequest {
    MetaRequest {
        description: None,
        content: vec![MetaMediaType {
            content_type: <Json<B> as Payload>::CONTENT_TYPE,
            schema: B::schema_ref(),
        }],
        required,
    }
}

/// Whether `content_type` declares JSON (`application/json` or `+json`).
fn is_json(content_type: &str) -> bool {
    <Json<serde_json::Value> as Payload>::check_content_type(content_type)
}

/// `bytes` parsed as a `B`, when `content_type` declares JSON.
fn parse_declared<B: JsonBody>(
    content_type: Option<&str>,
    bytes: &[u8],
) -> poem::Result<B::Parsed> {
    if content_type.is_some_and(is_json) {
        parse::<B>(bytes)
    } else {
        Err(ApiError::malformed("The body must be application/json.").into())
    }
}
