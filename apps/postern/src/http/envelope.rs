//! The §1 envelopes: `{"success": true, "data": ...}` and the error body every failure uses.

use poem_openapi::Object;
use poem_openapi::types::{ParseFromJSON, ToJSON};

/// A successful response: `{"success": true, "data": <payload>}`.
#[derive(Object)]
#[oai(rename = "Success")]
pub struct Success<T: ParseFromJSON + ToJSON> {
    /// Always `true`.
    pub success: bool,
    /// The payload.
    pub data: T,
}

impl<T: ParseFromJSON + ToJSON> Success<T> {
    /// Wraps a payload.
    pub fn new(data: T) -> Self {
        Self {
            success: true,
            data,
        }
    }
}

/// One invalid field of a request.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
#[oai(rename = "FieldError")]
pub struct FieldDetail {
    /// The field's name as sent, e.g. `email`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Every error the server produces (§1).
#[derive(Object, Clone, Debug)]
#[oai(rename = "Error")]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// A stable snake_case code, e.g. `validation_error`.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// The invalid fields, for `validation_error` only.
    #[oai(skip_serializing_if_is_none)]
    pub details: Option<Vec<FieldDetail>>,
    /// Development mode only, on a 500: the internal cause.
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}
