//! Passwords as typed secrets: a plaintext that cannot be printed, and the PHC hash that is
//! stored in its place.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::error::FieldError;

const MIN_CHARS: usize = 8;
const MAX_CHARS: usize = 128;

/// A plaintext password that satisfies §2: 8 to 128 Unicode scalar values, not only whitespace.
/// Its `Debug` output is redacted.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    /// Validates a new password. `field` names the request field for the error.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when the password is too short, too long or blank.
    pub fn parse(raw: String, field: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(FieldError::new(field, "must be at least 8 characters"));
        }
        if chars > MAX_CHARS {
            return Err(FieldError::new(field, "must be at most 128 characters"));
        }
        if raw.trim().is_empty() {
            return Err(FieldError::new(field, "must not be only whitespace"));
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// Wraps a password presented at login without applying the strength rules, so that a
    /// password stored under older rules can still be checked. Only its length is bounded, so
    /// that nobody can make the server hash a megabyte.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when it is empty or longer than 128 characters.
    pub fn presented(raw: String, field: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if raw.chars().count() > MAX_CHARS {
            return Err(FieldError::new(field, "must be at most 128 characters"));
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// The plaintext, for the hasher only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(REDACTED)")
    }
}

/// A password hash in PHC string format (`$argon2id$...`, or a legacy `$2b$...` bcrypt hash).
/// Its `Debug` output is redacted: hashes never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a stored hash. The hasher that reads it decides whether it is well formed.
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for storage and verification.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(REDACTED)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_counts_unicode_scalars_not_bytes() {
        assert!(Password::parse("ééééééé".into(), "password").is_err());
        assert!(Password::parse("éééééééé".into(), "password").is_ok());
    }

    #[test]
    fn parse_rejects_short_long_and_blank_passwords() {
        assert!(Password::parse("1234567".into(), "password").is_err());
        assert!(Password::parse("x".repeat(129), "password").is_err());
        assert_eq!(
            Password::parse("         ".into(), "password")
                .unwrap_err()
                .message,
            "must not be only whitespace"
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let password = Password::parse("correct horse".into(), "password").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
        let hash = PasswordHash::new("$argon2id$v=19$secret".into());
        assert!(!format!("{hash:?}").contains("secret"));
    }
}
