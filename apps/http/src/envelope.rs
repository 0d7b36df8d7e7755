//! The docs/http-api.md §1 envelopes: `{"success": true, "data": ...}`, with `meta` for lists, and
//! the error body every failure uses.

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

/// Where a list continues.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
#[oai(rename = "PageMeta", rename_all = "camelCase")]
pub struct PageMeta {
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
    /// The page length used.
    pub limit: u32,
}

/// A successful list: `{"success": true, "data": [...], "meta": {"nextCursor", "limit"}}`.
#[derive(Object)]
#[oai(rename = "ListSuccess")]
pub struct ListSuccess<T: ParseFromJSON + ToJSON> {
    /// Always `true`.
    pub success: bool,
    /// The page's items.
    pub data: Vec<T>,
    /// Where the list continues.
    pub meta: PageMeta,
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

/// Every error the server produces.
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
