//! The user account and the values it is made of.

use std::fmt;

use time::OffsetDateTime;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::{Email, PasswordHash, Role, UserId};
use crate::error::FieldError;

const MAX_NAME_CHARS: usize = 100;

/// A display name: trimmed, 1 to 100 characters, none of them invisible or layout-changing:
/// no control (`Cc`) or format (`Cf`: zero-width and bidirectional) character, no line or
/// paragraph separator, nothing of private use.
#[derive(Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims and validates `raw`.
    ///
    /// # Errors
    /// A [`FieldError`] on `name` when it is blank, too long or holds a character that hides
    /// or reorders text (see the type's documentation).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("name", "must not be blank"));
        }
        if trimmed.chars().count() > MAX_NAME_CHARS {
            return Err(FieldError::new("name", "must be at most 100 characters"));
        }
        if trimmed.chars().any(is_hidden) {
            return Err(FieldError::new(
                "name",
                "must not contain control, format, bidirectional or separator characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `c` is a character a name must not hold: a control (`Cc`), a format character
/// (`Cf`: zero-width characters and every bidirectional override, embedding and isolate), a
/// line or paragraph separator, or private use. Each can hide or reorder what a reader of a
/// greeting or an admin list sees.
fn is_hidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
    )
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
    /// The hash of its password; empty for an account without one (created through an
    /// external provider).
    pub password_hash: PasswordHash,
    /// Whether its email is verified from the start: only when an external provider asserted
    /// it; a signup's address is verified by its mail link later.
    pub email_verified: bool,
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

    #[test]
    fn display_name_refuses_format_bidi_and_separator_characters() {
        for hidden in [
            "\u{202E}nimda",  // right-to-left override
            "Ada\u{2066}x",   // left-to-right isolate
            "Ad\u{200B}a",    // zero-width space
            "Ada\u{200F}",    // right-to-left mark
            "Ada\u{FEFF}",    // byte order mark
            "Ada\u{2028}Bob", // line separator
            "Ada\u{E000}",    // private use
        ] {
            let refused = DisplayName::parse(hidden).unwrap_err();
            assert_eq!(refused.field, "name", "{hidden:?}");
        }
    }

    #[test]
    fn display_name_keeps_letters_of_any_script_and_plain_spaces() {
        for name in [
            "Ada Lovelace",
            "Zoë",
            "Łukasz",
            "محمد",
            "李小龍",
            "O'Brien-Smith",
        ] {
            assert_eq!(DisplayName::parse(name).unwrap().as_str(), name);
        }
    }
}
