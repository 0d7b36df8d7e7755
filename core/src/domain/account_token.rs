//! Single-use account tokens (docs/http-api.md §3): email verification and password reset. The raw
//! token goes to the user by mail once; storage keeps only its digest, with what it is for, whose
//! it is, until when it works and whether it was used.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{TokenDigest, UserId};

/// What an account token proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    /// That the user reads mail at the account's address.
    VerifyEmail,
    /// That the user may set a new password without the old one.
    ResetPassword,
}

impl TokenPurpose {
    /// The storage name: `verify_email` or `reset_password`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }

    /// How long a token works (docs/http-api.md §3): verification 24 h, reset 30 min.
    pub fn lifetime(self) -> Duration {
        match self {
            Self::VerifyEmail => Duration::hours(24),
            Self::ResetPassword => Duration::minutes(30),
        }
    }
}

/// A token to store, by its digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccountToken {
    /// The token's id.
    pub id: Uuid,
    /// Whose account it is for.
    pub user_id: UserId,
    /// What it proves.
    pub purpose: TokenPurpose,
    /// The digest of the raw token.
    pub digest: TokenDigest,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
}

impl NewAccountToken {
    /// A token for `purpose`, issued `at`, valid for the purpose's lifetime.
    pub fn new(
        user_id: UserId,
        purpose: TokenPurpose,
        digest: TokenDigest,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            user_id,
            purpose,
            digest,
            created_at: at,
            expires_at: at + purpose.lifetime(),
        }
    }
}

/// A stored token, found by the digest of a presented one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountTokenRecord {
    /// The token's id.
    pub id: Uuid,
    /// Whose account it is for.
    pub user_id: UserId,
    /// When it stops working.
    pub expires_at: OffsetDateTime,
    /// When it was used, if it was.
    pub used_at: Option<OffsetDateTime>,
}

impl AccountTokenRecord {
    /// Whether the token still works at `now`: unused and unexpired.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}
