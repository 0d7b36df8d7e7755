//! Checks of the docs/http-api.md §1 error envelope.

use poem::http::StatusCode;
use serde_json::json;

use super::Reply;

/// The keys an error envelope may have (docs/http-api.md §1); `error` only on a 500 in development.
const ENVELOPE_KEYS: [&str; 5] = ["success", "code", "message", "details", "error"];

/// Asserts that `reply` is a docs/http-api.md §1 error envelope with `status` and `code`: JSON,
/// `success` false, a sentence in `message`, no other keys, and `details` only on a validation
/// error and never empty.
pub fn assert_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "status of {}", reply.text);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "content type {:?}",
        reply.header("content-type")
    );
    assert_eq!(reply.body["success"], json!(false), "{}", reply.text);
    assert_eq!(reply.code(), code, "{}", reply.text);
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(!message.trim().is_empty(), "no message in {}", reply.text);
    let object = reply.body.as_object().expect("an object");
    for key in object.keys() {
        assert!(ENVELOPE_KEYS.contains(&key.as_str()), "extra key {key}");
    }
    if let Some(details) = reply.body.get("details") {
        assert_eq!(
            code, "validation_error",
            "details on {code}: {}",
            reply.text
        );
        let details = details.as_array().expect("details is an array");
        assert!(!details.is_empty(), "empty details in {}", reply.text);
        for detail in details {
            assert!(detail["field"].as_str().is_some_and(|f| !f.is_empty()));
            assert!(detail["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
}

/// Asserts a 400 `validation_error` whose `details` name exactly `fields`, in any order.
pub fn assert_invalid_fields(reply: &Reply, fields: &[&str]) {
    assert_error(reply, StatusCode::BAD_REQUEST, "validation_error");
    let mut named: Vec<&str> = reply.body["details"]
        .as_array()
        .map(|details| details.iter().filter_map(|d| d["field"].as_str()).collect())
        .unwrap_or_default();
    named.sort_unstable();
    let mut expected = fields.to_vec();
    expected.sort_unstable();
    assert_eq!(named, expected, "details of {}", reply.text);
}

/// Asserts a 400 `validation_error` without `details`: a body that could not be read as an
/// object at all.
pub fn assert_malformed(reply: &Reply) {
    assert_error(reply, StatusCode::BAD_REQUEST, "validation_error");
    assert!(reply.body.get("details").is_none(), "{}", reply.text);
}
