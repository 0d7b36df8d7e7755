//! Single-use account tokens (docs/http-api.md §3 and §4): email verification, password reset and
//! email change. The raw
//! token goes to the user by mail once; storage keeps only its digest, with what it is for, whose
//! it is, until when it works and whether it was used.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{Email, ProviderName, TokenDigest, UserId};

/// What an account token proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    /// That the user reads mail at the account's address.
    VerifyEmail,
    /// That the user may set a new password without the old one.
    ResetPassword,
    /// That the user reads mail at the new address the token names, which then replaces the
    /// account's address.
    ChangeEmail,
    /// That the user gave the right password at a login that now waits for a second factor
    /// (the `mfaToken`): it completes that login, once.
    MfaLogin,
    /// That an external provider vouched for the user at a sign-in that now waits for a
    /// second factor (the `mfaToken` of a provider's sign-in): it completes that sign-in, once.
    FederatedMfaLogin,
}

impl TokenPurpose {
    /// The storage name: `verify_email`, `reset_password`, `change_email`, `mfa_login` or
    /// `mfa_login_fed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ChangeEmail => "change_email",
            Self::MfaLogin => "mfa_login",
            Self::FederatedMfaLogin => "mfa_login_fed",
        }
    }

    /// How long a token works (docs/http-api.md §3, §4 and multi-factor authentication):
    /// verification and email change 24 h, reset 30 min, a login's second step 5 min.
    pub fn lifetime(self) -> Duration {
        match self {
            Self::VerifyEmail | Self::ChangeEmail => Duration::hours(24),
            Self::ResetPassword => Duration::minutes(30),
            Self::MfaLogin | Self::FederatedMfaLogin => Duration::minutes(5),
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
    /// The address an email-change token moves the account to; `None` for other purposes.
    pub new_email: Option<Email>,
    /// The provider whose sign-in a [`TokenPurpose::FederatedMfaLogin`] token completes, which
    /// the login's event names; `None` for other purposes.
    pub provider: Option<ProviderName>,
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
            new_email: None,
            provider: None,
        }
    }

    /// The second-step token of a sign-in through `provider`, issued `at`.
    pub fn federated_mfa_login(
        user_id: UserId,
        provider: ProviderName,
        digest: TokenDigest,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            provider: Some(provider),
            ..Self::new(user_id, TokenPurpose::FederatedMfaLogin, digest, at)
        }
    }

    /// An email-change token moving `user` to `new_email`, issued `at`.
    pub fn change_email(
        user_id: UserId,
        new_email: Email,
        digest: TokenDigest,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            new_email: Some(new_email),
            ..Self::new(user_id, TokenPurpose::ChangeEmail, digest, at)
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
    /// The address an email-change token moves the account to; `None` for other purposes.
    pub new_email: Option<Email>,
    /// The provider of a federated second-step token; `None` for other purposes.
    pub provider: Option<ProviderName>,
}

impl AccountTokenRecord {
    /// Whether the token still works at `now`: unused and unexpired.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}
