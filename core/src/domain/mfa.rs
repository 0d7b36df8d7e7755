//! Second factors (docs/http-api.md, multi-factor authentication): the factors an account holds,
//! the codes presented for them, and the recovery codes that stand in for a lost factor.
//!
//! A factor is a row with a kind, a name and an opaque credential: for TOTP the shared secret
//! sealed by a [`crate::ports::SecretBox`], for a WebAuthn key what its adapter needs to keep.
//! Core never reads a credential, so a new kind adds a variant here and an adapter, nothing
//! more. Secrets and codes are wrapped so that `Debug` cannot print them.

use std::fmt;

use secrecy::{ExposeSecret, SecretSlice, SecretString};
use time::OffsetDateTime;

use super::{Event, FactorId, UserId};
use crate::error::FieldError;

/// What kind of second factor a factor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FactorKind {
    /// A time-based one-time password (RFC 6238).
    Totp,
    /// A WebAuthn credential (a passkey or a security key).
    Webauthn,
}

impl FactorKind {
    /// The name on the wire and in storage: `totp` or `webauthn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Webauthn => "webauthn",
        }
    }

    /// The kind stored as `raw`, if it names one.
    pub fn from_storage(raw: &str) -> Option<Self> {
        match raw {
            "totp" => Some(Self::Totp),
            "webauthn" => Some(Self::Webauthn),
            _ => None,
        }
    }
}

/// The longest factor name, in characters.
const MAX_NAME_CHARS: usize = 64;

/// A factor's name, chosen by its owner to tell factors apart: 1 to 64 characters, trimmed,
/// without control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactorName(String);

impl FactorName {
    /// Validates a name sent as `field`.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when it is blank, too long or holds control characters.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(FieldError::new(field, "must not be blank"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(FieldError::new(field, "must be at most 64 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// Wraps a name read from storage, where only parsed names are written.
    pub fn from_storage(raw: String) -> Self {
        Self(raw)
    }

    /// The default name of a factor of `kind` its owner did not name.
    pub fn default_for(kind: FactorKind) -> Self {
        Self(
            match kind {
                FactorKind::Totp => "Authenticator app",
                FactorKind::Webauthn => "Security key",
            }
            .to_owned(),
        )
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A factor's credential as storage keeps it: bytes only its adapter can read (a sealed TOTP
/// secret). `Debug` prints its length only.
#[derive(Clone, PartialEq, Eq)]
pub struct FactorCredential(Vec<u8>);

impl FactorCredential {
    /// Wraps stored or freshly sealed bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes, for storage and for the adapter that reads them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for FactorCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FactorCredential({} bytes)", self.0.len())
    }
}

/// A factor of an account, as storage returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Factor {
    /// The factor's id.
    pub id: FactorId,
    /// Whose factor it is.
    pub user_id: UserId,
    /// Its kind.
    pub kind: FactorKind,
    /// Its owner's name for it.
    pub name: FactorName,
    /// Its credential.
    pub credential: FactorCredential,
    /// When it was enrolled.
    pub created_at: OffsetDateTime,
    /// When its owner proved it works; until then it is pending and asked at no login.
    pub confirmed_at: Option<OffsetDateTime>,
    /// When it last completed a login.
    pub last_used_at: Option<OffsetDateTime>,
}

impl Factor {
    /// The pending factor `id` of `kind`, enrolled `at`.
    pub fn pending(
        id: FactorId,
        user_id: UserId,
        kind: FactorKind,
        name: FactorName,
        credential: FactorCredential,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            user_id,
            kind,
            name,
            credential,
            created_at: at,
            confirmed_at: None,
            last_used_at: None,
        }
    }

    /// Whether logins ask for it: its owner confirmed it.
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// A TOTP shared secret (at least 160 random bits, RFC 4226). `Debug` is redacted; it leaves
/// the server once, in the enrolment answer, and is stored only sealed.
#[derive(Clone)]
pub struct TotpSecret(SecretSlice<u8>);

impl TotpSecret {
    /// Wraps secret bytes, freshly generated or just unsealed.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(SecretSlice::from(bytes))
    }

    /// The bytes, for the TOTP computation and for sealing only.
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(REDACTED)")
    }
}

/// The TOTP time step a code belongs to: Unix time divided by 30 s. A code is accepted once
/// per factor and step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TotpStep(pub u64);

/// A six-digit TOTP code as presented. `Debug` is redacted.
#[derive(Clone)]
pub struct TotpCode(SecretString);

impl TotpCode {
    /// The digits, for the TOTP check only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpCode(REDACTED)")
    }
}

/// A code presented as a second factor: six digits are a TOTP code, anything else of the
/// recovery-code alphabet a recovery code. `Debug` is redacted.
#[derive(Clone, Debug)]
pub enum MfaCode {
    /// Six digits.
    Totp(TotpCode),
    /// A recovery code, normalised: upper case, without separators.
    Recovery(RecoveryCode),
}

impl MfaCode {
    /// Parses a code sent as `field`, ignoring spaces and hyphens.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when it is blank, or is neither six digits nor a recovery
    /// code's length and alphabet.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Self::Totp(TotpCode(SecretString::from(compact))));
        }
        RecoveryCode::parse(&compact)
            .map(Self::Recovery)
            .ok_or_else(|| FieldError::new(field, "must be a 6-digit code or a recovery code"))
    }
}

/// The readable alphabet of recovery codes: Crockford's base 32, without I, L, O and U, so
/// that no two characters look alike; 5 bits each.
pub const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a recovery code: 12 of 5 bits, 60 bits in all.
pub const RECOVERY_CODE_CHARS: usize = 12;

/// How many codes a recovery set holds.
pub const RECOVERY_SET_SIZE: usize = 10;

/// A single-use recovery code. Shown once as `XXXX-XXXX-XXXX`; stored only as a keyed digest.
/// `Debug` is redacted.
#[derive(Clone)]
pub struct RecoveryCode(SecretString);

impl RecoveryCode {
    /// A code of exactly [`RECOVERY_CODE_CHARS`] characters of [`RECOVERY_ALPHABET`], read
    /// case-insensitively; `None` otherwise.
    pub fn parse(compact: &str) -> Option<Self> {
        let upper = compact.to_ascii_uppercase();
        (upper.len() == RECOVERY_CODE_CHARS
            && upper.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
        .then(|| Self(SecretString::from(upper)))
    }

    /// The code without separators, for hashing.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The code in groups of four, as shown to its owner.
    pub fn display(&self) -> String {
        let code = self.expose();
        code.as_bytes()
            .chunks(4)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(REDACTED)")
    }
}

/// The keyed digest of a [`RecoveryCode`], hex-encoded: what storage keeps and matches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecoveryCodeDigest(String);

impl RecoveryCodeDigest {
    /// Wraps a digest computed by a [`crate::ports::SecretBox`] or read from storage.
    pub fn new(hex: String) -> Self {
        Self(hex)
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A confirmation to store: the factor becomes active, `step` is spent, and, when it is the
/// account's first active factor, `recovery_codes` become its recovery set.
#[derive(Clone, Debug)]
pub struct FactorConfirmation {
    /// The factor.
    pub factor_id: FactorId,
    /// Whose factor it is.
    pub user_id: UserId,
    /// The step of the code that confirmed it.
    pub step: TotpStep,
    /// When.
    pub at: OffsetDateTime,
    /// The digests of a fresh recovery set, stored only for a first factor.
    pub recovery_codes: Vec<RecoveryCodeDigest>,
    /// `user.mfa_enabled`.
    pub event: Event,
}

/// What confirming a factor stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// The factor is active; `recovery_set` when it was the first, so the recovery set was
    /// stored with it.
    Active {
        /// Whether the recovery set was stored.
        recovery_set: bool,
    },
    /// No pending factor of the user has this id (unknown, someone else's, confirmed or deleted
    /// meanwhile).
    NotPending,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_a_totp_code_and_twelve_letters_a_recovery_code() {
        assert!(matches!(
            MfaCode::parse(" 123 456 ", "code"),
            Ok(MfaCode::Totp(_))
        ));
        let recovery = MfaCode::parse("abcd-efgh-jk12", "code").unwrap();
        assert!(
            matches!(&recovery, MfaCode::Recovery(code) if code.expose() == "ABCDEFGHJK12"),
            "{recovery:?}"
        );
    }

    #[test]
    fn codes_of_another_shape_are_refused_with_the_field_named() {
        for raw in ["", "12345", "1234567", "ABCD-EFGH-IJKL", "ABCD-EFGH-JK1"] {
            let error = MfaCode::parse(raw, "code").err();
            assert_eq!(error.map(|e| e.field), Some("code".to_owned()), "{raw:?}");
        }
    }

    #[test]
    fn a_recovery_code_shows_in_groups_of_four_and_debug_hides_it() {
        let code = RecoveryCode::parse("ABCDEFGHJK12").unwrap();
        assert_eq!(code.display(), "ABCD-EFGH-JK12");
        assert!(!format!("{code:?}").contains("ABCD"));
        assert!(!format!("{:?}", TotpSecret::new(b"secret".to_vec())).contains("secret"));
    }

    #[test]
    fn a_factor_name_is_trimmed_and_bounded() {
        assert_eq!(
            FactorName::parse("  Phone ", "name").unwrap().as_str(),
            "Phone"
        );
        assert!(FactorName::parse("  ", "name").is_err());
        assert!(FactorName::parse(&"x".repeat(65), "name").is_err());
        assert!(FactorName::parse("a\u{7}b", "name").is_err());
    }

    #[test]
    fn the_recovery_alphabet_has_no_look_alikes_and_a_code_holds_at_least_50_bits() {
        for confusable in b"ILOU" {
            assert!(!RECOVERY_ALPHABET.contains(confusable));
        }
        const { assert!(RECOVERY_CODE_CHARS * 5 >= 50) };
    }
}
