//! Request bodies, parsed in one step into domain values. A body type keeps its poem-openapi
//! derive, so that the document describes its fields, types and limits; [`JsonBody::read`] then
//! reads the JSON object field by field, parsing each value into its domain type and recording
//! every failure with the field's name as the client sent it. A request learns all of its
//! invalid fields at once, and no message is ever guessed from a framework's error text.

mod extract;
mod fields;

pub use extract::{OptionalJson, ValidJson};
pub use fields::{BodyFields, FieldErrors};

use poem_openapi::types::Type;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON request body: documented by its derived schema, parsed by [`JsonBody::read`].
pub trait JsonBody: Type {
    /// What the body becomes once every field is valid.
    type Parsed: Send;

    /// Reads every field the schema documents from `fields`, each into its domain value;
    /// `None` when any of them is invalid (`fields` then holds every failure).
    fn read(fields: &mut BodyFields) -> Option<Self::Parsed>;
}

/// Parses `bytes` as a `B`: 400 `validation_error` without `details` when they are not a JSON
/// object, with a `details` entry per invalid field otherwise.
fn parse<B: JsonBody>(bytes: &[u8]) -> poem::Result<B::Parsed> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::malformed("The body is not valid JSON."))?;
    let Value::Object(object) = value else {
        return Err(ApiError::malformed("The body must be a JSON object.").into());
    };
    let mut fields = BodyFields::new(object);
    let parsed = B::read(&mut fields);
    Ok(fields.finish(parsed).map_err(ApiError::validation)?)
}
