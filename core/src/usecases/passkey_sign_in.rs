//! Passwordless sign-in with a passkey (docs/http-api.md, multi-factor authentication): a
//! challenge that names no account, answered by a discoverable credential that names its
//! account itself, starts a session with no password and no second step.
//!
//! Every refusal is the same `InvalidCredentials`, whatever was wrong (an unknown challenge,
//! an unknown key, a bad signature), so an answer tells a prober nothing about which accounts
//! or keys exist. Nothing counts toward the lockout, which bounds guesses at a password: an
//! assertion cannot be guessed, and the routes are rate limited per client instead.

use std::sync::Arc;

use tracing::instrument;
use uuid::Uuid;

use super::Ports;
use super::mfa_verify::MfaLogin;
use super::session_start::SessionStarter;
use super::webauthn::{WebAuthnPorts, key_method, passkey_of, refused, unexpected};
use crate::domain::{ClientContext, FactorCredential, SessionPolicy};
use crate::error::BoxError;
use crate::ports::{
    CEREMONY_TTL, CeremonyPurpose, CeremonyStates, Clock, JsonText, MfaFactors, PendingCeremony,
    PortError, UserRepo, WebAuthnCeremonies, WebAuthnError,
};

/// A sign-in challenge: what the browser needs, and the id that finishes it.
#[derive(Debug)]
pub struct PasskeyChallenge {
    /// Names the ceremony at the finish; single use, 5 minutes.
    pub challenge_id: Uuid,
    /// The `publicKey` options for `navigator.credentials.get()`.
    pub options: JsonText,
}

/// Starts passwordless sign-ins.
pub struct StartPasskeySignIn {
    ceremonies: Arc<dyn WebAuthnCeremonies>,
    states: Arc<dyn CeremonyStates>,
    clock: Arc<dyn Clock>,
}

impl StartPasskeySignIn {
    /// Built from `ports` and `webauthn`.
    pub fn new(ports: &Ports, webauthn: &WebAuthnPorts) -> Self {
        Self {
            ceremonies: webauthn.ceremonies.clone(),
            states: webauthn.states.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// A challenge for any discoverable credential of this relying party.
    ///
    /// # Errors
    /// A [`PortError`] when the challenge cannot be made or stored.
    #[instrument(skip_all, name = "start_passkey_sign_in")]
    pub async fn execute(&self) -> Result<PasskeyChallenge, PortError> {
        let start = self.ceremonies.start_discoverable().map_err(unexpected)?;
        let now = self.clock.now();
        let ceremony = PendingCeremony {
            id: Uuid::now_v7(),
            purpose: CeremonyPurpose::SignIn,
            user_id: None,
            state: start.state,
            factor_name: None,
            expires_at: now + CEREMONY_TTL,
        };
        self.states.put(&ceremony, now).await?;
        Ok(PasskeyChallenge {
            challenge_id: ceremony.id,
            options: start.options,
        })
    }
}

/// A passwordless sign-in presented.
#[derive(Debug)]
pub struct PasskeySignInRequest {
    /// The id the start answered.
    pub challenge_id: Uuid,
    /// The browser's `PublicKeyCredential` (assertion with a user handle).
    pub credential: JsonText,
    /// Where the request came from.
    pub client: ClientContext,
}

/// Why a passwordless sign-in started no session.
#[derive(Debug, thiserror::Error)]
pub enum PasskeySignInError {
    /// The answer does not sign in: unknown or used challenge, unknown key, bad signature.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// An admin disabled the account; said only to whoever holds its key.
    #[error("account disabled")]
    AccountDisabled,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

impl From<WebAuthnError> for PasskeySignInError {
    fn from(error: WebAuthnError) -> Self {
        match refused(error) {
            Ok(_) => Self::InvalidCredentials,
            Err(error) => Self::Unexpected(error.into()),
        }
    }
}

/// Finishes passwordless sign-ins.
pub struct FinishPasskeySignIn {
    users: Arc<dyn UserRepo>,
    factors: Arc<dyn MfaFactors>,
    ceremonies: Arc<dyn WebAuthnCeremonies>,
    states: Arc<dyn CeremonyStates>,
    clock: Arc<dyn Clock>,
    starter: SessionStarter,
}

impl FinishPasskeySignIn {
    /// Built from `ports` and `webauthn`, issuing tokens under `policy`.
    pub fn new(ports: &Ports, policy: SessionPolicy, webauthn: &WebAuthnPorts) -> Self {
        Self {
            users: ports.users.clone(),
            factors: ports.factors.clone(),
            ceremonies: webauthn.ceremonies.clone(),
            states: webauthn.states.clone(),
            clock: ports.clock.clone(),
            starter: SessionStarter::new(ports, policy),
        }
    }

    /// Verifies the answer against its challenge and the key it names, and starts a session
    /// of the key's account; `amr` says `hwk` or `swk` as the authenticator keeps the key.
    ///
    /// # Errors
    /// [`PasskeySignInError::InvalidCredentials`] for anything wrong with the answer;
    /// [`PasskeySignInError::AccountDisabled`] for a right answer for a disabled account.
    #[instrument(skip_all, name = "finish_passkey_sign_in")]
    pub async fn execute(
        &self,
        request: PasskeySignInRequest,
    ) -> Result<MfaLogin, PasskeySignInError> {
        let now = self.clock.now();
        let ceremony = self
            .states
            .take(request.challenge_id, CeremonyPurpose::SignIn, now)
            .await?
            .ok_or(PasskeySignInError::InvalidCredentials)?;
        let discovered = self.ceremonies.identify_discoverable(&request.credential)?;
        // By credential id *and* user handle, so that a key cannot sign in as another account.
        let factor = self
            .factors
            .find_by_credential(&discovered.credential)
            .await?
            .filter(|factor| factor.user_id == discovered.user)
            .ok_or(PasskeySignInError::InvalidCredentials)?;
        let verified = self.ceremonies.finish_discoverable(
            &ceremony.state,
            &request.credential,
            &passkey_of(&factor)?,
        )?;
        let updated = FactorCredential::new(verified.passkey.as_str().as_bytes().to_vec());
        if !self
            .factors
            .record_webauthn_use(factor.id, &factor.credential, &updated, now)
            .await?
        {
            return Err(PasskeySignInError::InvalidCredentials);
        }
        let user = self
            .users
            .find_by_id(factor.user_id)
            .await?
            .ok_or(PasskeySignInError::InvalidCredentials)?;
        if user.disabled {
            return Err(PasskeySignInError::AccountDisabled);
        }
        let tokens = self
            .starter
            .start(&user, request.client, &[key_method(verified.storage)], None)
            .await?;
        Ok(MfaLogin { user, tokens })
    }
}

#[cfg(test)]
#[path = "passkey_sign_in_tests.rs"]
mod tests;
