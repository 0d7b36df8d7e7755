//! docs/http-api.md §1 validation: every operation with a body names each missing, `null`, wrongly
//! typed and over-long field, all of them in one answer, and never repeats a rejected value; a body
//! that is not a JSON object is refused without `details`; query parameters are named too.

mod auth;
mod queries;
mod recovery;
mod unreadable;
mod user_admin;

use crate::support::{Reply, assert_invalid_fields};

/// An address of 255 characters, one over docs/http-api.md §2's limit.
fn overlong_email() -> String {
    format!("{}@example.com", "a".repeat(243))
}

/// A string of `n` characters.
fn chars(n: usize) -> String {
    "x".repeat(n)
}

/// Asserts a 400 `validation_error` whose `details` are exactly `expected` (field, message),
/// in any order.
fn assert_details(reply: &Reply, expected: &[(&str, &str)]) {
    let fields: Vec<&str> = expected.iter().map(|(field, _)| *field).collect();
    assert_invalid_fields(reply, &fields);
    for (field, message) in expected {
        let detail = reply.body["details"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["field"] == *field)
            .unwrap_or_else(|| panic!("no detail on {field} in {}", reply.text));
        assert_eq!(detail["message"], *message, "{}", reply.text);
    }
}
