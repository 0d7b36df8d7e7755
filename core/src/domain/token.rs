//! Tokens: the claims of a signed access token, and opaque secrets (refresh, verification, reset)
//! that are handed out once and stored only as digests.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{Email, Role, SessionId, UserId};
use crate::error::FieldError;

/// The longest opaque token accepted from a client; ours are 43 characters.
const MAX_OPAQUE_LEN: usize = 512;

/// The claims of an access token (docs/http-api.md §2), independent of how it is signed. `iss` and
/// `aud` belong to the issuer's configuration and are checked by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessClaims {
    /// `sub`: the user.
    pub user_id: UserId,
    /// `sid`: the session the token belongs to; revoking it rejects the token.
    pub session_id: SessionId,
    /// `role` at the time of issue.
    pub role: Role,
    /// `email` at the time of issue.
    pub email: Email,
    /// `iat`.
    pub issued_at: OffsetDateTime,
    /// `exp`.
    pub expires_at: OffsetDateTime,
    /// `jti`: unique per token.
    pub token_id: Uuid,
    /// `amr`: how the session's login authenticated the user (RFC 8176).
    pub amr: Vec<AuthMethod>,
}

/// One way a login authenticated its user, as RFC 8176 names it in the `amr` claim. Kept on
/// the session, so that every token of it says how its login went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// `pwd`: a password.
    Pwd,
    /// `otp`: a one-time code (TOTP, or a recovery code).
    Otp,
    /// `mfa`: more than one factor.
    Mfa,
    /// `hwk`: proof of possession of a hardware-bound key (a security key, a device-bound
    /// passkey).
    Hwk,
    /// `swk`: proof of possession of a software-secured key (a passkey synced between
    /// devices).
    Swk,
    /// `fed`: an external identity provider vouched for the user (OpenID Connect).
    Fed,
}

impl AuthMethod {
    /// The RFC 8176 value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pwd => "pwd",
            Self::Otp => "otp",
            Self::Mfa => "mfa",
            Self::Hwk => "hwk",
            Self::Swk => "swk",
            Self::Fed => "fed",
        }
    }

    /// The method an RFC 8176 value names, among those Postern uses.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pwd" => Some(Self::Pwd),
            "otp" => Some(Self::Otp),
            "mfa" => Some(Self::Mfa),
            "hwk" => Some(Self::Hwk),
            "swk" => Some(Self::Swk),
            "fed" => Some(Self::Fed),
            _ => None,
        }
    }

    /// A password alone: the methods of a login without a second factor.
    pub const PASSWORD: &'static [Self] = &[Self::Pwd];

    /// A password and a one-time code: the methods of a login completed by a second factor.
    pub const PASSWORD_AND_CODE: &'static [Self] = &[Self::Pwd, Self::Otp, Self::Mfa];

    /// An external provider alone: the methods of a sign-in through one without a second
    /// factor.
    pub const FEDERATED: &'static [Self] = &[Self::Fed];

    /// An external provider and a one-time code: a provider's sign-in completed by a second
    /// factor.
    pub const FEDERATED_AND_CODE: &'static [Self] = &[Self::Fed, Self::Otp, Self::Mfa];
}

impl AccessClaims {
    /// How far ahead of the verifier's clock a token's `iat` (or `nbf`) may lie: the clocks of
    /// the instances that issue and verify tokens may differ by this much, no more.
    pub const ISSUED_AT_LEEWAY: Duration = Duration::seconds(30);
}

/// A signed access token, as sent to the client. Its `Debug` output is redacted.
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    /// Wraps an encoded token.
    pub fn new(encoded: String) -> Self {
        Self(SecretString::from(encoded))
    }

    /// The encoded token, for the response body only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(REDACTED)")
    }
}

/// An opaque secret token (refresh, email verification, password reset). Only its
/// [`TokenDigest`] is ever stored. Its `Debug` output is redacted.
#[derive(Clone)]
pub struct OpaqueToken(SecretString);

impl OpaqueToken {
    /// Wraps a freshly generated token.
    pub fn new(encoded: String) -> Self {
        Self(SecretString::from(encoded))
    }

    /// Wraps a token presented by a client. `field` names the request field for the error.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when it is empty or implausibly long. Anything else is left
    /// to the lookup, which fails with `invalid_token`.
    pub fn presented(raw: String, field: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if raw.len() > MAX_OPAQUE_LEN {
            return Err(FieldError::new(field, "is not a valid token"));
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// The token, for the response body and for hashing only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpaqueToken(REDACTED)")
    }
}

/// The SHA-256 digest of an [`OpaqueToken`], hex-encoded: what storage keeps and looks up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenDigest(String);

impl TokenDigest {
    /// Wraps a digest computed by a [`crate::ports::OpaqueTokens`] adapter or read from storage.
    pub fn new(hex: String) -> Self {
        Self(hex)
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An access token and a refresh token issued together, as login and refresh return them.
#[derive(Clone, Debug)]
pub struct TokenPair {
    /// The signed access token.
    pub access_token: AccessToken,
    /// The opaque refresh token that obtains the next pair.
    pub refresh_token: OpaqueToken,
    /// The access token's lifetime.
    pub expires_in: Duration,
}
