//! Email addresses, normalised once at the edge so that lookups and the unique index agree,
//! and narrowed to the plain form, so that one mailbox is one account: an address that could
//! be spelled two ways (fullwidth letters, a quoted local part, an IP literal for a domain)
//! or that only looks like another (a Cyrillic letter among Latin ones) is folded or refused.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::error::FieldError;

/// The longest address docs/http-api.md §2 accepts, in characters.
const MAX_LEN: usize = 254;

/// The characters of an unquoted local part besides letters and digits (RFC 5322 `atext`).
const LOCAL_PUNCTUATION: &str = "!#$%&'*+-/=?^_`{|}~.";

/// A syntactically valid email address: trimmed, NFKC-normalised, lower-cased and ASCII, with
/// an unquoted local part and a domain name (no address literal).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Normalises and validates `raw`: trims it, folds compatibility characters (NFKC, so
    /// fullwidth `ａ` is `a`), lower-cases it, then accepts only the plain ASCII form.
    ///
    /// # Errors
    /// A [`FieldError`] on `email` when the address is empty, too long, not ASCII once
    /// normalised, quoted, an address literal, or otherwise malformed.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let normalised: String = raw.trim().nfkc().collect::<String>().to_lowercase();
        if normalised.is_empty() {
            return Err(FieldError::new("email", "is required"));
        }
        if normalised.chars().count() > MAX_LEN {
            return Err(FieldError::new("email", "must be at most 254 characters"));
        }
        if !normalised.is_ascii() {
            return Err(FieldError::new(
                "email",
                "must be written in ASCII: internationalised addresses are not accepted",
            ));
        }
        if !email_address::EmailAddress::is_valid(&normalised) {
            return Err(FieldError::new("email", "must be a valid email address"));
        }
        if !is_plain(&normalised) {
            return Err(FieldError::new(
                "email",
                "must be a plain address such as name@example.com: no quotes, comments or IP \
                 address literals",
            ));
        }
        Ok(Self(normalised))
    }

    /// The address a deleted account is left with (docs/adr/0016): unique to the account, so
    /// that the unique index holds, and under the reserved `.invalid` top-level domain (RFC
    /// 2606), so that no mail can reach it.
    pub fn erased(account: super::UserId) -> Self {
        Self(format!("deleted-{account}@deleted.invalid"))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether an ASCII `address` has the plain form: one `@`, an unquoted local part of `atext`
/// and dots, and a domain of letters, digits, hyphens and dots.
fn is_plain(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || LOCAL_PUNCTUATION.contains(c));
    let domain_ok = domain
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
    local_ok && domain_ok
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

    #[test]
    fn parse_folds_fullwidth_and_compatibility_forms_into_one_address() {
        assert_eq!(
            Email::parse("ＡＤＡ@ｅｘａｍｐｌｅ.com").unwrap(),
            Email::parse("ada@example.com").unwrap()
        );
    }

    #[test]
    fn parse_refuses_lookalike_letters_of_other_scripts() {
        // The first letter is Cyrillic, which NFKC leaves alone.
        let refused = Email::parse("\u{0430}da@example.com").unwrap_err();

        assert_eq!(refused.field, "email");
        assert!(refused.message.contains("ASCII"), "{}", refused.message);
    }

    #[test]
    fn parse_refuses_quoted_local_parts_comments_and_address_literals() {
        for other_spelling in [
            "\"ada\"@example.com",
            "\"a@b\"@example.com",
            "ada(comment)@example.com",
            "ada@[127.0.0.1]",
            "ada@[ipv6:::1]",
            "ada@example.com@evil.com",
        ] {
            assert!(Email::parse(other_spelling).is_err(), "{other_spelling}");
        }
    }

    #[test]
    fn parse_keeps_plain_addresses_with_tags_and_dots() {
        for plain in [
            "ada.lovelace+news@mail.example.com",
            "o'brien@example.ie",
            "a_b-c@x-y.org",
        ] {
            assert_eq!(Email::parse(plain).unwrap().as_str(), plain);
        }
    }
}
