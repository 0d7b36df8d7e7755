//! Email addresses, normalised once at the edge so that lookups and the unique index agree.

use std::fmt;

use crate::error::FieldError;

/// The longest address docs/http-api.md §2 accepts, in characters.
const MAX_LEN: usize = 254;

/// A syntactically valid email address, trimmed and lower-cased.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and validates `raw`.
    ///
    /// # Errors
    /// A [`FieldError`] on `email` when the address is empty, too long or malformed.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let normalised = raw.trim().to_lowercase();
        if normalised.is_empty() {
            return Err(FieldError::new("email", "is required"));
        }
        if normalised.chars().count() > MAX_LEN {
            return Err(FieldError::new("email", "must be at most 254 characters"));
        }
        if !email_address::EmailAddress::is_valid(&normalised) {
            return Err(FieldError::new("email", "must be a valid email address"));
        }
        Ok(Self(normalised))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_trims_and_lowercases() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn parse_rejects_malformed_and_overlong_addresses() {
        assert!(Email::parse("not-an-email").is_err());
        assert!(Email::parse("   ").is_err());
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            Email::parse(&long).unwrap_err().message,
            "must be at most 254 characters"
        );
    }
}
