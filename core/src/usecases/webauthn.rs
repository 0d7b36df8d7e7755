//! What the WebAuthn use cases share (docs/adr/0020): their two ports, and how a ceremony's
//! failure, a stored credential and a verified assertion read to them.

use std::sync::Arc;

use crate::domain::{AuthMethod, Factor};
use crate::ports::{
    CeremonyStates, CredentialStorage, PasskeyBlob, PortError, WebAuthnCeremonies, WebAuthnError,
};

/// The ports of the WebAuthn use cases, beside [`super::Ports`]: kept apart so that an
/// embedding without WebAuthn needs no WebAuthn adapter.
#[derive(Clone)]
pub struct WebAuthnPorts {
    /// The ceremonies of the relying party.
    pub ceremonies: Arc<dyn WebAuthnCeremonies>,
    /// Ceremonies in progress, shared by every instance.
    pub states: Arc<dyn CeremonyStates>,
}

/// Sorts a ceremony's failure: `Ok` when the client's answer was refused (a 4xx), `Err` when
/// the failure is ours.
pub(super) fn refused(error: WebAuthnError) -> Result<WebAuthnError, WebAuthnError> {
    match error {
        WebAuthnError::Unexpected(_) => Err(error),
        refusal => Ok(refusal),
    }
}

/// A ceremony's failure where no client input was involved: ours.
pub(super) fn unexpected(error: WebAuthnError) -> PortError {
    PortError::unexpected(error)
}

/// The adapter's data of a WebAuthn factor, as stored in its credential.
///
/// # Errors
/// [`PortError::Unexpected`] when the stored bytes are not text: storage was altered.
pub(super) fn passkey_of(factor: &Factor) -> Result<PasskeyBlob, PortError> {
    String::from_utf8(factor.credential.as_bytes().to_vec())
        .map(PasskeyBlob::from_stored)
        .map_err(PortError::unexpected)
}

/// The method of a proof with a credential kept so: `hwk` for a device-bound key, `swk` for a
/// synced passkey. Alone it is a passwordless sign-in's `amr`, without `mfa` (docs/adr/0020:
/// the user verification behind it is the authenticator's word).
pub(super) fn key_method(storage: CredentialStorage) -> AuthMethod {
    match storage {
        CredentialStorage::DeviceBound => AuthMethod::Hwk,
        CredentialStorage::Synced => AuthMethod::Swk,
    }
}
