//! What errors share across the core: the cause a failure keeps for logs, the field errors of
//! domain parsing, and a way to print a whole cause chain. The errors themselves live where
//! they arise: [`crate::ports::PortError`] beside the ports, one enum per use case beside it.

use std::error::Error as StdError;

/// A cause kept for logs: never shown to clients.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// One field that failed validation, with a message meant for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {message}")]
pub struct FieldError {
    /// The field's name as the client sent it (camelCase), e.g. `email`.
    pub field: String,
    /// What is wrong with it, e.g. `must be a valid email address`.
    pub message: String,
}

impl FieldError {
    /// A field error for `field` with `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error and its causes on one line (`outer: inner: root`), for logs and stored failure
/// reasons: `Display` alone shows only the outermost message.
pub fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
