//! Opaque secret tokens (refresh, email verification, password reset): 256 bits from the
//! operating system's RNG, base64url without padding, stored only as their SHA-256 digest so
//! that a leaked table holds nothing a client could present.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use postern_core::domain::{OpaqueToken, TokenDigest};
use postern_core::ports::OpaqueTokens;
use sha2::{Digest as _, Sha256};

/// Random bytes per token: docs/http-api.md §2 asks for at least 256 bits.
const TOKEN_BYTES: usize = 32;

/// Makes tokens from the OS RNG and digests them with SHA-256.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomTokens;

impl OpaqueTokens for RandomTokens {
    // The port is infallible, and there is no safe fallback for a broken OS RNG: a predictable
    // token would be a forgeable session. Failing the request loudly is the only honest answer,
    // and getrandom cannot fail on a supported OS once it has booted.
    #[allow(
        clippy::expect_used,
        reason = "no secure fallback exists when the OS RNG fails"
    )]
    fn generate(&self) -> OpaqueToken {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).expect("the OS random number generator failed");
        OpaqueToken::new(URL_SAFE_NO_PAD.encode(bytes))
    }

    fn digest(&self, token: &OpaqueToken) -> TokenDigest {
        let digest = Sha256::digest(token.expose().as_bytes());
        TokenDigest::new(format!("{digest:x}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_characters_and_differ() {
        let (first, second) = (RandomTokens.generate(), RandomTokens.generate());

        assert_eq!(first.expose().len(), 43);
        assert!(
            first
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(first.expose(), second.expose());
    }

    #[test]
    fn the_digest_is_stable_lowercase_sha256_hex() {
        let token = OpaqueToken::new("abc".into());

        let digest = RandomTokens.digest(&token);

        assert_eq!(digest, RandomTokens.digest(&token));
        assert_eq!(
            digest.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
