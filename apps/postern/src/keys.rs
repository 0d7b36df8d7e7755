//! Ed25519 signing keys on disk: `postern keys generate` writes a pair as PEM files, and the
//! server reads the private key named by `JWT_PRIVATE_KEY_FILE` and the public keys listed in
//! `JWT_PREVIOUS_PUBLIC_KEY_FILES`.
//!
//! Files rather than values in variables, because PEM spans lines and because secret stores
//! (Kubernetes secrets, Docker secrets, systemd credentials) hand keys over as files. Errors
//! name the variable and the file, never the key.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use postern_tokens::{Ed25519KeyPair, Ed25519PublicKey};
use secrecy::{ExposeSecret as _, SecretString};

use crate::config::JwtKeyFiles;

/// The name `postern keys generate` gives the private key.
pub const PRIVATE_KEY_FILE: &str = "jwt-private-key.pem";
/// The name `postern keys generate` gives the public key.
pub const PUBLIC_KEY_FILE: &str = "jwt-public-key.pem";

/// A key pair just written by [`generate`].
#[derive(Debug)]
pub struct GeneratedKeys {
    /// The key id tokens signed with the new key will carry.
    pub kid: String,
    /// The private key file (mode 0600).
    pub private_key: PathBuf,
    /// The public key file.
    pub public_key: PathBuf,
}

/// Writes a new Ed25519 key pair into `out_dir` (created if missing) as
/// [`PRIVATE_KEY_FILE`], readable by its owner only, and [`PUBLIC_KEY_FILE`].
///
/// # Errors
/// When either file already exists (a key is never overwritten), or a file cannot be written.
pub fn generate(out_dir: &Path) -> anyhow::Result<GeneratedKeys> {
    let private_key = out_dir.join(PRIVATE_KEY_FILE);
    let public_key = out_dir.join(PUBLIC_KEY_FILE);
    for path in [&private_key, &public_key] {
        if path.symlink_metadata().is_ok() {
            bail!(
                "{} already exists; a key is never overwritten: choose another --out-dir",
                path.display()
            );
        }
    }
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("creating the directory {}", out_dir.display()))?;
    let pair = Ed25519KeyPair::generate()?;
    create_new(&private_key, pair.to_pem()?.expose_secret(), 0o600)?;
    create_new(&public_key, &pair.public_key().to_pem()?, 0o644)?;
    Ok(GeneratedKeys {
        kid: pair.kid().to_owned(),
        private_key,
        public_key,
    })
}

/// What `postern keys generate` tells the operator after writing `keys`.
pub fn instructions(keys: &GeneratedKeys) -> String {
    let private = keys.private_key.display();
    let public = keys.public_key.display();
    format!(
        "Wrote a new Ed25519 signing key.\n\
         \x20 private key: {private} (mode 0600: keep it secret, never commit it)\n\
         \x20 public key:  {public}\n\
         \x20 kid:         {kid}\n\
         \n\
         To sign access tokens with it (EdDSA; unset JWT_SECRET):\n\
         \x20 JWT_PRIVATE_KEY_FILE={private}\n\
         \n\
         To rotate from a key in use without logging anyone out, list the OLD key's public file as\n\
         previous, then restart every instance:\n\
         \x20 JWT_PREVIOUS_PUBLIC_KEY_FILES=<old jwt-public-key.pem>[,<older ones>]\n\
         Once JWT_EXPIRES_IN (15m by default) has passed, remove the old key from that list.\n",
        kid = keys.kid,
    )
}

/// Reads the signing key and the previous public keys that `files` names.
///
/// # Errors
/// When a file cannot be read or does not hold the right kind of key; the message names the
/// variable and the file.
pub fn load(files: &JwtKeyFiles) -> anyhow::Result<(Ed25519KeyPair, Vec<Ed25519PublicKey>)> {
    let path = &files.private_key;
    let context = || format!("JWT_PRIVATE_KEY_FILE ({})", path.display());
    let pem = std::fs::read_to_string(path)
        .map(SecretString::from)
        .with_context(context)?;
    let signing = Ed25519KeyPair::from_pem(pem.expose_secret()).with_context(context)?;
    let previous = files
        .previous_public_keys
        .iter()
        .map(|path| {
            let context = || format!("JWT_PREVIOUS_PUBLIC_KEY_FILES ({})", path.display());
            let pem = std::fs::read_to_string(path).with_context(context)?;
            Ed25519PublicKey::from_pem(&pem).with_context(context)
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((signing, previous))
}

/// Writes a file that must not exist yet, with `mode` from the start (never wider for a moment).
fn create_new(path: &Path, contents: &str, mode: u32) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests;
