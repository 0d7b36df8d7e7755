//! The user account and the values it is made of.

use std::fmt;

use time::OffsetDateTime;

use super::{Email, PasswordHash, Role, UserId};
use crate::error::FieldError;

const MAX_NAME_CHARS: usize = 100;

/// A display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims and validates `raw`.
    ///
    /// # Errors
    /// A [`FieldError`] on `name` when it is blank, too long or holds control characters.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("name", "must not be blank"));
        }
        if trimmed.chars().count() > MAX_NAME_CHARS {
            return Err(FieldError::new("name", "must be at most 100 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DisplayName({:?})", self.0)
    }
}

/// A user account as clients see it (docs/http-api.md §2): never a hash, token or counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The account's identifier.
    pub id: UserId,
    /// The normalised email address; unique across accounts.
    pub email: Email,
    /// An optional display name.
    pub name: Option<DisplayName>,
    /// What the account may do.
    pub role: Role,
    /// Whether the address has been verified.
    pub email_verified: bool,
    /// Whether an admin has disabled the account (docs/http-api.md §5): it can then neither log in
    /// nor refresh. Shown to managers and admins only, never in the docs/http-api.md §2 user
    /// object.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: OffsetDateTime,
    /// When the account last changed.
    pub updated_at: OffsetDateTime,
}

/// A user together with the stored password hash, as login needs it.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    /// The account.
    pub user: User,
    /// Its stored password hash.
    pub password_hash: PasswordHash,
}

/// What signup asks a [`crate::ports::UserRepo`] to store.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// The new account's identifier.
    pub id: UserId,
    /// Its normalised email.
    pub email: Email,
    /// Its optional display name.
    pub name: Option<DisplayName>,
    /// Its role: [`Role::User`] from signup, any from the command line.
    pub role: Role,
    /// The hash of its password.
    pub password_hash: PasswordHash,
    /// The creation time, also the first `updated_at`.
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_name_is_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse("a\u{0}b").is_err());
    }
}
