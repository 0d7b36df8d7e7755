//! Passwords as typed secrets: a plaintext that cannot be printed, and the PHC hash that is
//! stored in its place.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::error::FieldError;

const MIN_CHARS: usize = 8;
const MAX_CHARS: usize = 128;

/// A plaintext password that satisfies docs/http-api.md §2: 8 to 128 Unicode scalar values, not
/// only whitespace. Its `Debug` output is redacted.
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

/// What a new password must satisfy beyond [`Password::parse`] (docs/http-api.md §2): a
/// minimum length an operator may raise, and a minimum strength score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// The fewest characters (Unicode scalar values), never below 8 (8 by default).
    pub min_length: usize,
    /// The lowest [`PasswordStrength::score`] accepted, 0 to 4 (0 by default: no estimate).
    pub min_score: u8,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: MIN_CHARS,
            min_score: 0,
        }
    }
}

impl PasswordPolicy {
    /// Checks `password` against the policy; `estimate` is asked only when a minimum score is
    /// set, since estimating costs a few milliseconds.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` saying what to change: the length, or the estimate's hint.
    pub fn check(
        &self,
        password: &Password,
        field: &str,
        estimate: impl FnOnce() -> PasswordStrength,
    ) -> Result<(), FieldError> {
        if password.expose().chars().count() < self.min_length {
            return Err(FieldError::new(
                field,
                format!("must be at least {} characters", self.min_length),
            ));
        }
        if self.min_score == 0 {
            return Ok(());
        }
        let strength = estimate();
        if strength.score >= self.min_score {
            return Ok(());
        }
        let hint = strength
            .hint
            .unwrap_or_else(|| "add another word or two; uncommon words are better".to_owned());
        Err(FieldError::new(
            field,
            format!("is too easy to guess: {hint}"),
        ))
    }
}

/// An estimate of how hard a password is to guess.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordStrength {
    /// 0 (guessed within a thousand tries) to 4 (more than ten billion).
    pub score: u8,
    /// For a weak password, what would make it stronger.
    pub hint: Option<String>,
}

/// The highest bcrypt cost an import accepts: about a second per verification on a server of
/// today, already twice what Argon2id costs at the default settings.
pub const MAX_BCRYPT_COST: u8 = 14;

/// Why [`PasswordHash::legacy_bcrypt`] refused a hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LegacyHashError {
    /// Not a bcrypt hash in modular crypt format.
    #[error("password hash is not a bcrypt hash")]
    NotBcrypt,
    /// A bcrypt hash too costly to verify.
    #[error("password hash has a bcrypt cost above 14, too slow to verify at login")]
    CostTooHigh,
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

    /// Accepts a legacy bcrypt hash in modular crypt format (`$2a$`, `$2b$` or `$2y$`, a cost
    /// of 04 to [`MAX_BCRYPT_COST`], 53 characters of bcrypt's base64), as imports bring them.
    /// Checks the shape and cost only; whether the password matches is the hasher's business.
    ///
    /// # Errors
    /// [`LegacyHashError::NotBcrypt`] for anything else of that shape, and
    /// [`LegacyHashError::CostTooHigh`] for a cost above [`MAX_BCRYPT_COST`]: each step of
    /// cost doubles the work, and a cost of 31 would hold a hashing thread for hours at every
    /// login.
    pub fn legacy_bcrypt(raw: &str) -> Result<Self, LegacyHashError> {
        let bytes = raw.as_bytes();
        let cost = raw.get(4..6).and_then(|cost| cost.parse::<u8>().ok());
        let well_formed = bytes.len() == 60
            && ["$2a$", "$2b$", "$2y$"].iter().any(|p| raw.starts_with(p))
            && cost.is_some_and(|cost| (4..=31).contains(&cost))
            && bytes[6] == b'$'
            && bytes[7..]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/'));
        match cost {
            _ if !well_formed => Err(LegacyHashError::NotBcrypt),
            Some(cost) if cost > MAX_BCRYPT_COST => Err(LegacyHashError::CostTooHigh),
            _ => Ok(Self(raw.to_owned())),
        }
    }

    /// The PHC string, for storage and verification.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the account has no password at all: one created through an external provider,
    /// or a deleted one (docs/adr/0019). No password verifies against it, and the hasher
    /// cannot read it, so callers answer it as a wrong password without asking the hasher.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
    fn legacy_bcrypt_accepts_only_well_formed_bcrypt_hashes() {
        let good = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
        assert!(PasswordHash::legacy_bcrypt(good).is_ok());
        assert!(PasswordHash::legacy_bcrypt(&good.replace("$2b$", "$2y$")).is_ok());
        assert!(PasswordHash::legacy_bcrypt(&good.replace("$10$", "$14$")).is_ok());
        for bad in [
            "",
            "plaintext",
            &good.replace("$2b$", "$2x$"),
            &good.replace("$10$", "$03$"),
            &good.replace("$10$", "$1a$"),
            &good[..59],
            &format!("{}!", &good[..59]),
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        ] {
            assert_eq!(
                PasswordHash::legacy_bcrypt(bad),
                Err(LegacyHashError::NotBcrypt),
                "{bad}"
            );
        }
    }

    #[test]
    fn legacy_bcrypt_refuses_costs_above_fourteen() {
        let good = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
        for cost in ["15", "20", "31"] {
            let costly = good.replace("$10$", &format!("${cost}$"));

            assert_eq!(
                PasswordHash::legacy_bcrypt(&costly),
                Err(LegacyHashError::CostTooHigh),
                "cost {cost}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let password = Password::parse("correct horse".into(), "password").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
        let hash = PasswordHash::new("$argon2id$v=19$secret".into());
        assert!(!format!("{hash:?}").contains("secret"));
    }
}
