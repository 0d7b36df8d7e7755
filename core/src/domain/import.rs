//! Accounts brought over from another system (Backlume): the rows as read, unvalidated, and
//! the accounts they become once every field has passed Postern's own rules.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{Email, PasswordHash, Role, UserId};

/// A user row as the source system stores it. Every column but the key may be missing or
/// malformed there, so each is optional here and judged by the import use case, which counts
/// a bad row instead of failing the whole import.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceUser {
    /// The source's primary key, kept as the Postern id so that re-runs recognise the row.
    pub id: Uuid,
    /// The address as stored, not yet normalised.
    pub email: Option<String>,
    /// The stored password hash (bcrypt in Backlume).
    pub password_hash: Option<String>,
    /// The source's role name.
    pub role: Option<String>,
    /// Whether the source had verified the address.
    pub email_verified: Option<bool>,
    /// When the source created the account.
    pub created_at: Option<OffsetDateTime>,
    /// When the source last changed the account.
    pub updated_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for SourceUser {
    /// Leaves out the hash, like [`PasswordHash`] does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceUser")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// An account ready to be stored by an import: every field valid under Postern's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedUser {
    /// The id, the source's own.
    pub id: UserId,
    /// The normalised email.
    pub email: Email,
    /// The mapped role.
    pub role: Role,
    /// Whether the address was verified at the source.
    pub email_verified: bool,
    /// The source's hash, upgraded to Argon2id at the user's next login.
    pub password_hash: PasswordHash,
    /// When the source created the account.
    pub created_at: OffsetDateTime,
    /// When the source last changed the account.
    pub updated_at: OffsetDateTime,
}

/// What became of one account offered to storage by an import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Stored now.
    Imported,
    /// An account with this id already exists (an earlier run, usually); left as it is.
    AlreadyPresent,
    /// Another account (a different id) already has this email; the existing account is kept.
    EmailTaken,
}
