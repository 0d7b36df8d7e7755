//! The one error type of the domain. Every port returns it and every use case fails with it; the
//! HTTP edge maps each variant to a §1 status and code in exactly one place.

use std::error::Error as StdError;

use time::Duration;

/// A cause kept for logs: never shown to clients.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// One field that failed validation, with a message meant for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Everything a use case or a port can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input broke a domain rule (400 `validation_error`).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// No bearer token, or one that is malformed, forged or revoked (401 `unauthorized`).
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// Unknown email or wrong password; the two are indistinguishable (401 `invalid_credentials`).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// An opaque token (refresh, verification, reset) that is unknown, expired or revoked
    /// (401 `invalid_token`).
    #[error("invalid token")]
    InvalidToken,
    /// A well-formed access token past its expiry (401 `token_expired`).
    #[error("token expired")]
    TokenExpired,
    /// A refresh token presented again after the grace window; its session is now revoked
    /// (401 `refresh_token_reused`).
    #[error("refresh token reused")]
    RefreshTokenReused,
    /// Authenticated, but not allowed (403 `forbidden`).
    #[error("forbidden")]
    Forbidden,
    /// The right password of an account an admin has disabled (403 `forbidden`, saying so).
    #[error("account disabled")]
    AccountDisabled,
    /// The resource does not exist, or is not the caller's (404 `not_found`).
    #[error("not found")]
    NotFound,
    /// Another account already uses this email (409 `email_taken`).
    #[error("email already registered")]
    EmailTaken,
    /// Too many consecutive failed logins; the account is locked for a while (423
    /// `account_locked`, with `Retry-After`).
    #[error("account locked")]
    AccountLocked {
        /// How long until the lock lifts.
        retry_after: Duration,
    },
    /// Too many requests for this key (429 `rate_limited`, with `Retry-After`).
    #[error("rate limited")]
    RateLimited {
        /// How long until the next attempt may succeed.
        retry_after: Duration,
    },
    /// A dependency (database, cache, broker) cannot be reached (503 `unavailable`).
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant (500 `internal_error`).
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

impl Error {
    /// A validation error for a single field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// Wraps an unexpected cause.
    pub fn unexpected(cause: impl Into<BoxError>) -> Self {
        Self::Unexpected(cause.into())
    }

    /// Wraps the cause of an unreachable dependency.
    pub fn unavailable(cause: impl Into<BoxError>) -> Self {
        Self::Unavailable(cause.into())
    }
}

impl From<crate::ports::PortError> for Error {
    fn from(err: crate::ports::PortError) -> Self {
        match err {
            crate::ports::PortError::Unavailable(cause) => Self::Unavailable(cause),
            crate::ports::PortError::Unexpected(cause) => Self::Unexpected(cause),
        }
    }
}

impl From<crate::ports::CreateUserError> for Error {
    fn from(err: crate::ports::CreateUserError) -> Self {
        match err {
            crate::ports::CreateUserError::EmailTaken => Self::EmailTaken,
            crate::ports::CreateUserError::Port(err) => err.into(),
        }
    }
}

impl From<crate::ports::UpdateUserError> for Error {
    fn from(err: crate::ports::UpdateUserError) -> Self {
        match err {
            crate::ports::UpdateUserError::NotFound => Self::NotFound,
            crate::ports::UpdateUserError::Port(err) => err.into(),
        }
    }
}

impl From<crate::ports::TokenRejected> for Error {
    fn from(err: crate::ports::TokenRejected) -> Self {
        match err {
            crate::ports::TokenRejected::Expired => Self::TokenExpired,
            crate::ports::TokenRejected::Invalid => Self::Unauthorized,
        }
    }
}

/// The result of every fallible operation in the domain.
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
