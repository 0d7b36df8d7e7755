//! What adapters fail with. Every port method returns [`PortError`], or, where a use case relies
//! on one more outcome (an email already taken, an account that does not exist), a small enum
//! of its own that wraps it; those live beside their port.

use crate::error::BoxError;

/// Why a port could not do what it was asked. The two variants tell a use case whether trying
/// again later may help; the cause is kept for logs, never shown to clients.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The backend (database, cache, broker, mail server) cannot be reached, or cannot serve
    /// now: a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug, a broken invariant, a refusal that will not pass.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

impl PortError {
    /// Wraps the cause of an unreachable backend.
    pub fn unavailable(cause: impl Into<BoxError>) -> Self {
        Self::Unavailable(cause.into())
    }

    /// Wraps an unexpected cause.
    pub fn unexpected(cause: impl Into<BoxError>) -> Self {
        Self::Unexpected(cause.into())
    }
}

/// The result of a port method: [`PortError`] unless the method names its own error.
pub type PortResult<T, E = PortError> = std::result::Result<T, E>;
