//! The name of an external identity provider, as it is configured and as stored accounts and
//! tokens refer to it.

use std::fmt;

/// The longest provider name accepted, in characters.
const MAX_NAME_LEN: usize = 32;

/// The name a provider is configured and addressed by (`google` in `OIDC_PROVIDERS` and in
/// `/oauth/google/authorize`): lower-case ASCII letters, digits and `-`, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderName(String);

/// Why a text is not a provider name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a provider name: 1 to 32 lower-case letters, digits or `-`, starting with a letter"
)]
pub struct InvalidProviderName(pub String);

impl ProviderName {
    /// Validates `raw` as it is written: names are compared exactly, so no case folding here.
    ///
    /// # Errors
    /// [`InvalidProviderName`] when `raw` is empty, too long, or has another character.
    pub fn parse(raw: &str) -> Result<Self, InvalidProviderName> {
        let valid = raw.len() <= MAX_NAME_LEN
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidProviderName(raw.to_owned()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
