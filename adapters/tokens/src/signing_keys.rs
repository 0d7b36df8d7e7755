//! Ed25519 keys for EdDSA access tokens, read and written as PEM: PKCS#8 for the private key and
//! SubjectPublicKeyInfo for the public one, the forms `openssl genpkey -algorithm ed25519` and
//! `openssl pkey -pubout` write.
//!
//! A key's id (`kid`) is its RFC 7638 JWK thumbprint, derived and never configured: the same key
//! has the same id on every instance and after every restart, two keys cannot share an id by
//! mistake, and a resource server can recompute it from the published JWK.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{
    self, DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _, EncodePublicKey as _,
    KeypairBytes,
};
use ed25519_dalek::{SECRET_KEY_LENGTH, SigningKey, VerifyingKey};
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

/// Why a key could not be read, made or written. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A public key was given where the private key is needed.
    #[error(
        "this is a public key (BEGIN PUBLIC KEY); the private key (BEGIN PRIVATE KEY) is needed here"
    )]
    PublicKeyGiven,
    /// A private key was given where a public key belongs.
    #[error(
        "this is a private key (BEGIN PRIVATE KEY); give its public key (BEGIN PUBLIC KEY) instead"
    )]
    PrivateKeyGiven,
    /// The text is not a PKCS#8 PEM Ed25519 private key.
    #[error(
        "not a PEM-encoded PKCS#8 Ed25519 private key, as `postern keys generate` or \
         `openssl genpkey -algorithm ed25519` write it"
    )]
    InvalidPrivateKey(#[source] pkcs8::Error),
    /// The text is not a PEM Ed25519 public key.
    #[error(
        "not a PEM-encoded Ed25519 public key, as `postern keys generate` or \
         `openssl pkey -pubout` write it"
    )]
    InvalidPublicKey(#[source] pkcs8::spki::Error),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Randomness(#[source] getrandom::Error),
    /// Encoding a key failed.
    #[error("encoding the key failed")]
    Encoding(#[source] pkcs8::Error),
}

/// The private key that signs access tokens, with its public half. `Debug` shows the key id
/// only.
pub struct Ed25519KeyPair {
    signing: SigningKey,
    public: Ed25519PublicKey,
}

impl Ed25519KeyPair {
    /// A new key pair from the operating system's random number generator.
    ///
    /// # Errors
    /// [`KeyError::Randomness`] when the generator fails.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; SECRET_KEY_LENGTH]);
        getrandom::fill(seed.as_mut()).map_err(KeyError::Randomness)?;
        Ok(Self::from_signing_key(SigningKey::from_bytes(&seed)))
    }

    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    /// [`KeyError::PublicKeyGiven`] for a public key, [`KeyError::InvalidPrivateKey`] for
    /// anything else that is not an Ed25519 private key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if pem.contains("PUBLIC KEY-----") {
            return Err(KeyError::PublicKeyGiven);
        }
        SigningKey::from_pkcs8_pem(pem.trim())
            .map(Self::from_signing_key)
            .map_err(KeyError::InvalidPrivateKey)
    }

    fn from_signing_key(signing: SigningKey) -> Self {
        let public = Ed25519PublicKey::new(signing.verifying_key());
        Self { signing, public }
    }

    /// The private key as PKCS#8 PEM, in the widespread v1 form without the public key.
    ///
    /// # Errors
    /// [`KeyError::Encoding`] when encoding fails.
    pub fn to_pem(&self) -> Result<SecretString, KeyError> {
        let pem = self
            .keypair_bytes()
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(KeyError::Encoding)?;
        Ok(SecretString::from(pem.as_str()))
    }

    /// The private key as PKCS#8 DER (v1), as jsonwebtoken's EdDSA signer reads it.
    pub(crate) fn to_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let der = self
            .keypair_bytes()
            .to_pkcs8_der()
            .map_err(KeyError::Encoding)?;
        Ok(Zeroizing::new(der.as_bytes().to_vec()))
    }

    fn keypair_bytes(&self) -> KeypairBytes {
        KeypairBytes {
            secret_key: self.signing.to_bytes(),
            public_key: None,
        }
    }

    /// The private key's 32 bytes, for deriving the other keys a deployment shares with it.
    pub(crate) fn secret_bytes(&self) -> Zeroizing<[u8; SECRET_KEY_LENGTH]> {
        Zeroizing::new(self.signing.to_bytes())
    }

    /// The public half, which verifies what this key signs.
    pub fn public_key(&self) -> &Ed25519PublicKey {
        &self.public
    }

    /// The key id: the public key's RFC 7638 thumbprint.
    pub fn kid(&self) -> &str {
        self.public.kid()
    }
}

impl fmt::Debug for Ed25519KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519KeyPair")
            .field("kid", &self.kid())
            .finish_non_exhaustive()
    }
}

/// A public key that verifies access tokens, with its key id.
#[derive(Clone, PartialEq, Eq)]
pub struct Ed25519PublicKey {
    verifying: VerifyingKey,
    kid: String,
}

impl Ed25519PublicKey {
    fn new(verifying: VerifyingKey) -> Self {
        let kid = thumbprint(&verifying);
        Self { verifying, kid }
    }

    /// Reads a PEM public key (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// # Errors
    /// [`KeyError::PrivateKeyGiven`] for a private key, [`KeyError::InvalidPublicKey`] for
    /// anything else that is not an Ed25519 public key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if pem.contains("PRIVATE KEY-----") {
            return Err(KeyError::PrivateKeyGiven);
        }
        VerifyingKey::from_public_key_pem(pem.trim())
            .map(Self::new)
            .map_err(KeyError::InvalidPublicKey)
    }

    /// The key as SubjectPublicKeyInfo PEM.
    ///
    /// # Errors
    /// [`KeyError::Encoding`] when encoding fails.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.verifying
            .to_public_key_pem(LineEnding::LF)
            .map_err(|error| KeyError::Encoding(error.into()))
    }

    /// The key id: the RFC 7638 thumbprint of the key's JWK, base64url without padding.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The 32 bytes of the key as a JWK's `x` (RFC 8037): base64url without padding.
    pub fn x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.verifying.as_bytes())
    }

    /// The 32 bytes of the key.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.verifying.as_bytes()
    }
}

impl fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519PublicKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// RFC 7638 section 3: SHA-256 of the required members in lexicographic order, without whitespace.
fn thumbprint(key: &VerifyingKey) -> String {
    let x = URL_SAFE_NO_PAD.encode(key.as_bytes());
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests;
