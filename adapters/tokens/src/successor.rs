//! The successors of refresh tokens: HMAC-SHA256 of the presented token under a key derived
//! from the access-token signing key. Every instance of a deployment signs with the same key,
//! so all of them derive the same successor of a token, and nobody without that key can:
//! holding a refresh token tells nothing of the ones that follow it.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use postern_core::domain::OpaqueToken;
use postern_core::ports::SuccessorTokens;

use super::signing_keys::Ed25519KeyPair;

/// Separates the successor key from the signing key it is derived from, and from any other key
/// derived from it.
const KEY_LABEL: &[u8] = b"postern refresh-token successor key v1";

/// Derives successors with HMAC-SHA256 under a key of its own.
pub struct HmacSuccessors {
    key: hmac::Key,
}

impl HmacSuccessors {
    /// Successors keyed from `secret`, the HS256 signing secret (`JWT_SECRET`).
    pub fn from_secret(secret: &[u8]) -> Self {
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), KEY_LABEL);
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
        }
    }

    /// Successors keyed from the private key of an EdDSA signing key pair.
    pub fn from_key_pair(pair: &Ed25519KeyPair) -> Self {
        Self::from_secret(pair.secret_bytes().as_ref())
    }
}

impl SuccessorTokens for HmacSuccessors {
    fn successor(&self, token: &OpaqueToken) -> OpaqueToken {
        let tag = hmac::sign(&self.key, token.expose().as_bytes());
        OpaqueToken::new(URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    const SECRET: &[u8] = b"a test secret of at least thirty-two bytes";

    fn token(text: &str) -> OpaqueToken {
        OpaqueToken::new(text.into())
    }

    #[test]
    fn a_token_has_one_successor_on_every_instance_sharing_the_secret() {
        let (one, another) = (
            HmacSuccessors::from_secret(SECRET),
            HmacSuccessors::from_secret(SECRET),
        );

        let successor = one.successor(&token("presented"));

        assert_eq!(
            successor.expose(),
            another.successor(&token("presented")).expose()
        );
        assert_eq!(successor.expose().len(), 43);
        assert!(
            successor
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn successors_differ_by_token_and_by_secret() {
        let successors = HmacSuccessors::from_secret(SECRET);
        let other_key = HmacSuccessors::from_secret(b"another secret of at least thirty-two bytes");

        let successor = successors
            .successor(&token("presented"))
            .expose()
            .to_owned();

        assert_ne!(
            successor,
            successors.successor(&token("presentee")).expose()
        );
        assert_ne!(successor, other_key.successor(&token("presented")).expose());
        assert_ne!(successor, "presented");
    }

    #[test]
    fn the_successor_key_is_derived_not_the_secret_itself() {
        let plain_hmac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), b"presented");

        let successor = HmacSuccessors::from_secret(SECRET).successor(&token("presented"));

        assert_ne!(
            successor.expose(),
            URL_SAFE_NO_PAD.encode(plain_hmac.as_ref())
        );
    }

    #[test]
    fn a_key_pair_keys_successors_by_its_private_half() {
        let pair = Ed25519KeyPair::generate().unwrap();
        let same = Ed25519KeyPair::from_pem(pair.to_pem().unwrap().expose_secret()).unwrap();
        let other = Ed25519KeyPair::generate().unwrap();

        let successor = HmacSuccessors::from_key_pair(&pair).successor(&token("presented"));

        assert_eq!(
            successor.expose(),
            HmacSuccessors::from_key_pair(&same)
                .successor(&token("presented"))
                .expose()
        );
        assert_ne!(
            successor.expose(),
            HmacSuccessors::from_key_pair(&other)
                .successor(&token("presented"))
                .expose()
        );
    }
}
