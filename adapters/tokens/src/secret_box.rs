//! The [`SecretBox`] of second factors: TOTP secrets sealed with AES-256-GCM under a key derived
//! from `MFA_ENCRYPTION_KEY`, each bound to its factor's id as associated data, and recovery
//! codes digested with HMAC-SHA256 under a second derived key.
//!
//! aws-lc-rs is already this crate's cryptography (HMAC for refresh-token successors), so the
//! AEAD adds no dependency; a random 96-bit nonce per seal is safe for the few secrets one key
//! ever seals. A sealed credential reads `version (1) | nonce (12) | ciphertext | tag (16)`, so a
//! later algorithm or key can be told apart from this one.

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hmac;
use postern_core::domain::{
    FactorCredential, FactorId, RECOVERY_ALPHABET, RECOVERY_CODE_CHARS, RECOVERY_SET_SIZE,
    RecoveryCode, RecoveryCodeDigest, TotpSecret,
};
use postern_core::ports::{PortError, PortResult, SecretBox};

/// The first byte of every credential this version seals.
const VERSION: u8 = 1;

/// Separates the derived keys from the configured key and from each other.
const SEAL_LABEL: &[u8] = b"postern mfa secret sealing key v1";
const DIGEST_LABEL: &[u8] = b"postern mfa recovery code digest key v1";

/// The shortest `MFA_ENCRYPTION_KEY`, in bytes: the keys used are derived from it with HMAC,
/// so any longer one serves as well.
pub const MFA_KEY_LEN: usize = 32;

/// Why a key could not become a [`AeadSecretBox`].
#[derive(Debug, thiserror::Error)]
#[error("MFA_ENCRYPTION_KEY must be at least 32 bytes")]
pub struct MfaKeyError;

/// Seals TOTP secrets and digests recovery codes under one configured key.
pub struct AeadSecretBox {
    seal: RandomizedNonceKey,
    digest: hmac::Key,
}

impl AeadSecretBox {
    /// A box keyed from the bytes of `MFA_ENCRYPTION_KEY`.
    ///
    /// # Errors
    /// [`MfaKeyError`] when `key` is shorter than [`MFA_KEY_LEN`].
    pub fn new(key: &[u8]) -> Result<Self, MfaKeyError> {
        if key.len() < MFA_KEY_LEN {
            return Err(MfaKeyError);
        }
        let master = hmac::Key::new(hmac::HMAC_SHA256, key);
        let seal_key = hmac::sign(&master, SEAL_LABEL);
        let digest_key = hmac::sign(&master, DIGEST_LABEL);
        Ok(Self {
            seal: RandomizedNonceKey::new(&AES_256_GCM, seal_key.as_ref())
                .map_err(|_| MfaKeyError)?,
            digest: hmac::Key::new(hmac::HMAC_SHA256, digest_key.as_ref()),
        })
    }
}

impl SecretBox for AeadSecretBox {
    fn seal(&self, secret: &TotpSecret, factor: FactorId) -> PortResult<FactorCredential> {
        let mut in_out = secret.expose().to_vec();
        let nonce = self
            .seal
            .seal_in_place_append_tag(Aad::from(factor.as_uuid().as_bytes()), &mut in_out)
            .map_err(|_| PortError::unexpected("sealing a factor secret failed"))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&in_out);
        Ok(FactorCredential::new(sealed))
    }

    fn open(&self, sealed: &FactorCredential, factor: FactorId) -> PortResult<TotpSecret> {
        let refused = || PortError::unexpected("a sealed factor secret does not open");
        let bytes = sealed.as_bytes();
        let (version, rest) = bytes.split_first().ok_or_else(refused)?;
        if *version != VERSION || rest.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut in_out = ciphertext.to_vec();
        let plain = self
            .seal
            .open_in_place(nonce, Aad::from(factor.as_uuid().as_bytes()), &mut in_out)
            .map_err(|_| refused())?;
        Ok(TotpSecret::new(plain.to_vec()))
    }

    fn recovery_codes(&self) -> Vec<RecoveryCode> {
        (0..RECOVERY_SET_SIZE)
            .filter_map(|_| recovery_code())
            .collect()
    }

    fn digest(&self, code: &RecoveryCode) -> RecoveryCodeDigest {
        let tag = hmac::sign(&self.digest, code.expose().as_bytes());
        RecoveryCodeDigest::new(tag.as_ref().iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// A random code: each character picks one of 32 from a random byte's low 5 bits, which 256
/// divides evenly, so every character is equally likely.
fn recovery_code() -> Option<RecoveryCode> {
    let mut bytes = [0u8; RECOVERY_CODE_CHARS];
    // The OS generator does not fail once the system has booted; a set short of a code would
    // be noticed by the caller's count rather than panic here.
    aws_lc_rs::rand::fill(&mut bytes).ok()?;
    let code: String = bytes
        .iter()
        .map(|b| char::from(RECOVERY_ALPHABET[usize::from(b & 0x1f)]))
        .collect();
    RecoveryCode::parse(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed() -> AeadSecretBox {
        AeadSecretBox::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_as_its_own_factor_only_and_hides_the_plain_bytes() {
        let factor = FactorId::generate();
        let secret = TotpSecret::new(b"twenty bytes secret!".to_vec());

        let sealed = boxed().seal(&secret, factor).unwrap();

        assert!(
            !sealed
                .as_bytes()
                .windows(secret.expose().len())
                .any(|w| w == secret.expose())
        );
        assert_eq!(
            boxed().open(&sealed, factor).unwrap().expose(),
            secret.expose()
        );
        assert!(boxed().open(&sealed, FactorId::generate()).is_err());
        let other_key = AeadSecretBox::new(&[8u8; 32]).unwrap();
        assert!(other_key.open(&sealed, factor).is_err());
    }

    #[test]
    fn an_altered_credential_does_not_open() {
        let factor = FactorId::generate();
        let sealed = boxed().seal(&TotpSecret::new(vec![1; 20]), factor).unwrap();
        let mut bytes = sealed.as_bytes().to_vec();
        if let Some(last) = bytes.last_mut() {
            *last ^= 1;
        }

        assert!(boxed().open(&FactorCredential::new(bytes), factor).is_err());
    }

    #[test]
    fn a_recovery_set_has_ten_distinct_codes_with_keyed_digests() {
        let codes = boxed().recovery_codes();
        let mut distinct: Vec<_> = codes.iter().map(|c| c.expose().to_owned()).collect();
        distinct.sort();
        distinct.dedup();

        assert_eq!(distinct.len(), 10);
        let digest = boxed().digest(&codes[0]);
        assert_eq!(digest, boxed().digest(&codes[0]));
        assert_ne!(
            digest,
            AeadSecretBox::new(&[8u8; 32]).unwrap().digest(&codes[0])
        );
        assert_eq!(digest.as_str().len(), 64);
    }

    #[test]
    fn a_key_shorter_than_32_bytes_is_refused() {
        assert!(AeadSecretBox::new(&[0u8; 16]).is_err());
    }
}
