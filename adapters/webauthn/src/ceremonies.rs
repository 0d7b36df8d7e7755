//! [`WebAuthnCeremonies`] with webauthn-rs's passkey flows. Every credential is registered as a
//! passkey (user verification required), so that one registration serves both as a second
//! factor and, when the authenticator kept it as a discoverable credential, for passwordless
//! sign-in; whether to ask for that is the caller's [`ResidentKey`].

use postern_core::domain::UserId;
use postern_core::ports::{
    CeremonyStart, CeremonyState, CredentialId, CredentialStorage, DiscoveredCredential, JsonText,
    PasskeyBlob, RegisteredCredential, RegistrationRequest, ResidentKey, VerifiedAssertion,
    WebAuthnCeremonies, WebAuthnError,
};
use serde::Serialize;
use webauthn_rs::prelude::{
    AuthenticationResult, Credential, CredentialID, DiscoverableKey, Passkey, PublicKeyCredential,
    RegisterPublicKeyCredential, Webauthn, WebauthnBuilder, WebauthnError,
};
use webauthn_rs_proto::{PublicKeyCredentialCreationOptions, ResidentKeyRequirement};

use crate::relying_party::{RelyingParty, RelyingPartyError};
use crate::state::{Ceremony, from_blob, to_blob};

/// Runs the ceremonies of one relying party. Holds no state between calls: any instance built
/// from the same [`RelyingParty`] finishes a ceremony that another one started.
#[derive(Clone, Debug)]
pub struct WebAuthnRelyingParty {
    webauthn: Webauthn,
}

impl WebAuthnRelyingParty {
    /// The ceremonies of `relying_party`.
    ///
    /// # Errors
    /// [`RelyingPartyError::NotAnEffectiveDomain`] if webauthn-rs refuses the pair, which
    /// [`RelyingParty`]'s constructors already rule out.
    pub fn new(relying_party: &RelyingParty) -> Result<Self, RelyingPartyError> {
        let refused = || RelyingPartyError::NotAnEffectiveDomain {
            rp_id: relying_party.id().to_owned(),
            origin: relying_party.origin().clone(),
        };
        let webauthn = WebauthnBuilder::new(relying_party.id(), relying_party.origin())
            .and_then(WebauthnBuilder::build)
            .map_err(|_| refused())?;
        Ok(Self { webauthn })
    }
}

impl WebAuthnCeremonies for WebAuthnRelyingParty {
    fn start_registration(
        &self,
        request: &RegistrationRequest,
    ) -> Result<CeremonyStart, WebAuthnError> {
        let exclude: Vec<CredentialID> = request
            .exclude
            .iter()
            .map(|id| CredentialID::from(id.as_bytes()))
            .collect();
        let (mut challenge, state) = self
            .webauthn
            .start_passkey_registration(
                request.user.as_uuid(),
                &request.name,
                &request.display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(unexpected)?;
        ask_resident_key(&mut challenge.public_key, request.resident_key);
        started(&challenge.public_key, &Ceremony::Registration(state))
    }

    fn credential_id(&self, passkey: &PasskeyBlob) -> Result<CredentialId, WebAuthnError> {
        Ok(CredentialId::from_bytes(
            from_blob(passkey)?.cred_id().to_vec(),
        ))
    }

    fn finish_registration(
        &self,
        state: &CeremonyState,
        credential: &JsonText,
    ) -> Result<RegisteredCredential, WebAuthnError> {
        let Ceremony::Registration(state) = Ceremony::open(state)? else {
            return Err(WebAuthnError::StateMismatch);
        };
        let response: RegisterPublicKeyCredential = parse(credential)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&response, &state)
            .map_err(refusal)?;
        let details = Credential::from(passkey.clone());
        Ok(RegisteredCredential {
            id: CredentialId::from_bytes(details.cred_id.to_vec()),
            passkey: to_blob(&passkey)?,
            storage: storage(details.backup_eligible),
            user_verified: details.user_verified,
        })
    }

    fn start_authentication(
        &self,
        credentials: &[PasskeyBlob],
    ) -> Result<CeremonyStart, WebAuthnError> {
        if credentials.is_empty() {
            return Err(WebAuthnError::UnknownCredential);
        }
        let passkeys = credentials
            .iter()
            .map(from_blob)
            .collect::<Result<Vec<_>, _>>()?;
        let (challenge, state) = self
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(unexpected)?;
        started(&challenge.public_key, &Ceremony::SecondFactor(state))
    }

    fn finish_authentication(
        &self,
        state: &CeremonyState,
        credential: &JsonText,
        credentials: &[PasskeyBlob],
    ) -> Result<VerifiedAssertion, WebAuthnError> {
        let Ceremony::SecondFactor(state) = Ceremony::open(state)? else {
            return Err(WebAuthnError::StateMismatch);
        };
        let response: PublicKeyCredential = parse(credential)?;
        let result = self
            .webauthn
            .finish_passkey_authentication(&response, &state)
            .map_err(refusal)?;
        let stored = stored_credential(credentials, &result)?;
        verified(stored, &result)
    }

    fn start_discoverable(&self) -> Result<CeremonyStart, WebAuthnError> {
        let (challenge, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(unexpected)?;
        started(&challenge.public_key, &Ceremony::Discoverable(state))
    }

    fn identify_discoverable(
        &self,
        credential: &JsonText,
    ) -> Result<DiscoveredCredential, WebAuthnError> {
        let response: PublicKeyCredential = parse(credential)?;
        let (user, credential) = self
            .webauthn
            .identify_discoverable_authentication(&response)
            .map_err(|_| WebAuthnError::InvalidCredential)?;
        Ok(DiscoveredCredential {
            user: UserId::from_uuid(user),
            credential: CredentialId::from_bytes(credential),
        })
    }

    fn finish_discoverable(
        &self,
        state: &CeremonyState,
        credential: &JsonText,
        stored: &PasskeyBlob,
    ) -> Result<VerifiedAssertion, WebAuthnError> {
        let Ceremony::Discoverable(state) = Ceremony::open(state)? else {
            return Err(WebAuthnError::StateMismatch);
        };
        let response: PublicKeyCredential = parse(credential)?;
        let passkey = from_blob(stored)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication(
                &response,
                state,
                &[DiscoverableKey::from(&passkey)],
            )
            .map_err(refusal)?;
        verified(passkey, &result)
    }
}

/// webauthn-rs's passkey registration always discourages resident keys; the options are the
/// only place that asks for one, since no server can check whether the authenticator kept it.
fn ask_resident_key(options: &mut PublicKeyCredentialCreationOptions, wanted: ResidentKey) {
    let requirement = match wanted {
        ResidentKey::Discouraged => ResidentKeyRequirement::Discouraged,
        ResidentKey::Preferred => ResidentKeyRequirement::Preferred,
        ResidentKey::Required => ResidentKeyRequirement::Required,
    };
    if let Some(selection) = options.authenticator_selection.as_mut() {
        selection.require_resident_key = wanted == ResidentKey::Required;
        selection.resident_key = Some(requirement);
    }
}

/// The options for the browser (the `publicKey` member alone: how to mediate the prompt is the
/// page's choice) and the sealed state.
fn started(options: &impl Serialize, ceremony: &Ceremony) -> Result<CeremonyStart, WebAuthnError> {
    let options =
        serde_json::to_string(options).map_err(|e| WebAuthnError::Unexpected(e.into()))?;
    Ok(CeremonyStart {
        options: JsonText::new(options),
        state: ceremony.seal()?,
    })
}

/// The browser's answer, which is the client's input: malformed is its fault.
fn parse<T: serde::de::DeserializeOwned>(credential: &JsonText) -> Result<T, WebAuthnError> {
    serde_json::from_str(credential.as_str()).map_err(|_| WebAuthnError::InvalidCredential)
}

/// The stored credential that signed: webauthn-rs checked the assertion against the copy the
/// state took at the start, the counter must also pass the stored one as it is now.
fn stored_credential(
    credentials: &[PasskeyBlob],
    result: &AuthenticationResult,
) -> Result<Passkey, WebAuthnError> {
    for blob in credentials {
        let passkey = from_blob(blob)?;
        if passkey.cred_id() == result.cred_id() {
            return Ok(passkey);
        }
    }
    Err(WebAuthnError::UnknownCredential)
}

/// Refuses a counter that does not move past the stored one (unless both are 0, as a synced
/// passkey's always are), then brings the credential up to date.
fn verified(
    mut passkey: Passkey,
    result: &AuthenticationResult,
) -> Result<VerifiedAssertion, WebAuthnError> {
    let stored_counter = Credential::from(passkey.clone()).counter;
    if (result.counter() > 0 || stored_counter > 0) && result.counter() <= stored_counter {
        return Err(WebAuthnError::Replayed);
    }
    let changed = passkey.update_credential(result) == Some(true);
    Ok(VerifiedAssertion {
        credential: CredentialId::from_bytes(result.cred_id().to_vec()),
        passkey: to_blob(&passkey)?,
        changed,
        storage: storage(result.backup_eligible()),
        user_verified: result.user_verified(),
    })
}

fn storage(backup_eligible: bool) -> CredentialStorage {
    if backup_eligible {
        CredentialStorage::Synced
    } else {
        CredentialStorage::DeviceBound
    }
}

/// webauthn-rs's refusal of a client's answer, in the port's terms. What is not the client's
/// doing (a configuration webauthn-rs rejects) is unexpected; any other failure means the
/// answer does not verify.
fn refusal(error: WebauthnError) -> WebAuthnError {
    match error {
        WebauthnError::InvalidRPOrigin
        | WebauthnError::InvalidRPIDHash
        | WebauthnError::CredentialCrossOrigin => WebAuthnError::WrongOrigin,
        WebauthnError::MismatchedChallenge
        | WebauthnError::ChallengeNotFound
        | WebauthnError::InvalidClientDataType => WebAuthnError::StateMismatch,
        WebauthnError::CredentialNotFound
        | WebauthnError::CredentialExcludedFromRequest
        | WebauthnError::CredentialAlreadyExists => WebAuthnError::UnknownCredential,
        WebauthnError::UserNotVerified => WebAuthnError::UserNotVerified,
        WebauthnError::CredentialPossibleCompromise => WebAuthnError::Replayed,
        WebauthnError::Configuration => unexpected(error),
        _ => WebAuthnError::InvalidCredential,
    }
}

fn unexpected(error: WebauthnError) -> WebAuthnError {
    WebAuthnError::Unexpected(error.into())
}
