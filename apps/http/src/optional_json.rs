//! An optional JSON body. poem-openapi's `Json<Option<T>>` still demands a `Content-Type`, so a
//! bodiless `curl -X POST` would fail; this extractor treats "no body at all" as `None`.

use poem::{Request, RequestBody};
use poem_openapi::error::{ContentTypeError, ParseRequestPayloadError};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

/// A JSON body that may be absent.
pub struct OptionalJson<T>(pub Option<T>);

impl<'a, T: ParseFromJSON + Type> ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Json<T> as Payload>::CONTENT_TYPE,
                schema: T::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(content_type) if <Json<T> as Payload>::check_content_type(content_type) => {
                let bytes = body.take()?.into_vec().await?;
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    return Ok(Self(None));
                }
                let value: serde_json::Value =
                    serde_json::from_slice(&bytes).map_err(|err| ParseRequestPayloadError {
                        reason: err.to_string(),
                    })?;
                let parsed =
                    T::parse_from_json(Some(value)).map_err(|err| ParseRequestPayloadError {
                        reason: err.into_message(),
                    })?;
                Ok(Self(Some(parsed)))
            }
            Some(content_type) => Err(ContentTypeError::NotSupported {
                content_type: content_type.to_owned(),
            }
            .into()),
            None => {
                let bytes = body.take()?.into_vec().await?;
                if bytes.is_empty() {
                    Ok(Self(None))
                } else {
                    Err(ContentTypeError::ExpectContentType.into())
                }
            }
        }
    }
}

impl<T: ParseFromJSON + Type> OptionalJson<T> {
    /// The body, if one was sent.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}
