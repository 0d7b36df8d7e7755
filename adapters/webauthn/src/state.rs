//! Ceremony states and stored credentials as text. A state is tagged with its kind of ceremony,
//! so that the answer to one kind can never finish another: a second-factor challenge answered
//! is not a passwordless sign-in, though webauthn-rs keeps the same fields for both.

use postern_core::ports::{CeremonyState, PasskeyBlob, WebAuthnError};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
};

/// A ceremony in progress, as webauthn-rs keeps it.
#[derive(Serialize, Deserialize)]
#[serde(tag = "ceremony", content = "state", rename_all = "snake_case")]
pub(crate) enum Ceremony {
    Registration(PasskeyRegistration),
    SecondFactor(PasskeyAuthentication),
    Discoverable(DiscoverableAuthentication),
}

impl Ceremony {
    /// The text the caller keeps.
    pub(crate) fn seal(&self) -> Result<CeremonyState, WebAuthnError> {
        serde_json::to_string(self)
            .map(CeremonyState::from_stored)
            .map_err(|e| WebAuthnError::Unexpected(e.into()))
    }

    /// Reads back a state. One this adapter did not write is the caller's mix-up or a forgery,
    /// so it is a [`WebAuthnError::StateMismatch`], like a state of another kind.
    pub(crate) fn open(state: &CeremonyState) -> Result<Self, WebAuthnError> {
        serde_json::from_str(state.as_str()).map_err(|_| WebAuthnError::StateMismatch)
    }
}

/// A credential as the caller stores it.
pub(crate) fn to_blob(passkey: &Passkey) -> Result<PasskeyBlob, WebAuthnError> {
    serde_json::to_string(passkey)
        .map(PasskeyBlob::from_stored)
        .map_err(|e| WebAuthnError::Unexpected(e.into()))
}

/// A stored credential read back. It came from this adapter through the caller's storage, so
/// one that does not parse is a broken invariant, not a client's mistake.
pub(crate) fn from_blob(blob: &PasskeyBlob) -> Result<Passkey, WebAuthnError> {
    serde_json::from_str(blob.as_str()).map_err(|e| WebAuthnError::Unexpected(e.into()))
}
