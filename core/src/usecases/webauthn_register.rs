//! Registering a WebAuthn credential (a security key or a passkey) as a second factor
//! (docs/http-api.md, multi-factor authentication). A signed-in user who proves the current
//! password starts a ceremony; the browser's answer finishes it, and the credential becomes an
//! active factor at once: the ceremony proved it works, so there is nothing to confirm. The
//! first factor of an account comes with its recovery set, as a confirmed TOTP factor does.
//!
//! Credentials are registered as discoverable where the authenticator can, so that the same
//! key also signs in without a password (`passkey_sign_in`), and the authenticator is told the
//! account's keys, so that it does not register one of them twice.

use std::sync::Arc;

use tracing::instrument;
use uuid::Uuid;

use super::Ports;
use super::mfa_enrol::{ConfirmedFactor, ManageMfaError};
use super::reauth::Reauthentication;
use super::webauthn::{WebAuthnPorts, passkey_of, refused, unexpected};
use crate::domain::{
    AccessClaims, Event, EventData, Factor, FactorCredential, FactorId, FactorKind, FactorName,
    Password, SessionPolicy, User,
};
use crate::error::BoxError;
use crate::ports::{
    CEREMONY_TTL, CeremonyPurpose, CeremonyStates, Clock, CredentialId, Enrolled, JsonText,
    MfaFactors, PendingCeremony, PortError, RegistrationRequest, ResidentKey, SecretBox, UserRepo,
    WebAuthnCeremonies, WebAuthnEnrolment, WebAuthnError,
};

/// A registration started: what the browser needs, and the id that finishes it.
#[derive(Debug)]
pub struct WebAuthnRegistration {
    /// Names the ceremony at the finish; single use, 5 minutes.
    pub registration_id: Uuid,
    /// The `publicKey` options for `navigator.credentials.create()`.
    pub options: JsonText,
}

/// Starts WebAuthn registrations.
pub struct StartWebAuthnRegistration {
    reauth: Reauthentication,
    factors: Arc<dyn MfaFactors>,
    ceremonies: Arc<dyn WebAuthnCeremonies>,
    states: Arc<dyn CeremonyStates>,
    clock: Arc<dyn Clock>,
}

impl StartWebAuthnRegistration {
    /// Built from `ports` and `webauthn`; `policy` bounds how long the tokens of a session
    /// ended for wrong passwords are rejected.
    pub fn new(ports: &Ports, policy: SessionPolicy, webauthn: &WebAuthnPorts) -> Self {
        Self {
            reauth: Reauthentication::new(ports, policy),
            factors: ports.factors.clone(),
            ceremonies: webauthn.ceremonies.clone(),
            states: webauthn.states.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Starts registering a credential for the caller, to be named `name` (or the default
    /// name), once `current` is proved the caller's password.
    ///
    /// # Errors
    /// [`ManageMfaError::WrongPassword`], [`ManageMfaError::SessionEnded`] or
    /// [`ManageMfaError::AccountGone`] from re-authentication.
    #[instrument(skip_all, name = "start_webauthn_registration", fields(user_id = %caller.user_id))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        current: &Password,
        name: Option<FactorName>,
    ) -> Result<WebAuthnRegistration, ManageMfaError> {
        let user = self.reauth.check(caller, current).await?.user;
        let exclude = self.registered_credentials(&user).await?;
        let start = self
            .ceremonies
            .start_registration(&registration_request(&user, exclude))
            .map_err(unexpected)?;
        let now = self.clock.now();
        let ceremony = PendingCeremony {
            id: Uuid::now_v7(),
            purpose: CeremonyPurpose::Registration,
            user_id: Some(user.id),
            state: start.state,
            factor_name: name,
            expires_at: now + CEREMONY_TTL,
        };
        self.states.put(&ceremony, now).await?;
        Ok(WebAuthnRegistration {
            registration_id: ceremony.id,
            options: start.options,
        })
    }
}

impl StartWebAuthnRegistration {
    /// The ids of the account's keys, which the authenticator is told not to register again.
    async fn registered_credentials(&self, user: &User) -> Result<Vec<CredentialId>, PortError> {
        self.factors
            .list(user.id)
            .await?
            .iter()
            .filter(|factor| factor.kind == FactorKind::Webauthn)
            .map(|factor| {
                self.ceremonies
                    .credential_id(&passkey_of(factor)?)
                    .map_err(unexpected)
            })
            .collect()
    }
}

/// What the authenticator is told about the account; `exclude` are the ids of its keys.
fn registration_request(user: &User, exclude: Vec<CredentialId>) -> RegistrationRequest {
    let email = user.email.as_str().to_owned();
    RegistrationRequest {
        user: user.id,
        display_name: user
            .name
            .as_ref()
            .map_or_else(|| email.clone(), |name| name.as_str().to_owned()),
        name: email,
        exclude,
        resident_key: ResidentKey::Preferred,
    }
}

/// Why a registration's finish stored no factor.
#[derive(Debug, thiserror::Error)]
pub enum RegisterWebAuthnError {
    /// The registration id is unknown, expired, already finished, or the caller's not.
    #[error("unknown registration")]
    UnknownRegistration,
    /// The browser's answer does not complete the ceremony: malformed, made for another
    /// origin, for another challenge, or without user verification.
    #[error("invalid WebAuthn credential")]
    InvalidCredential(#[source] WebAuthnError),
    /// The credential is already a factor of an account.
    #[error("credential already registered")]
    AlreadyRegistered,
    /// The caller's account no longer exists.
    #[error("account not found")]
    AccountGone,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// A WebAuthn factor's registration to finish.
#[derive(Debug)]
pub struct WebAuthnAnswer {
    /// The id the start answered.
    pub registration_id: Uuid,
    /// The browser's `PublicKeyCredential`.
    pub credential: JsonText,
}

/// Finishes WebAuthn registrations.
pub struct FinishWebAuthnRegistration {
    users: Arc<dyn UserRepo>,
    factors: Arc<dyn MfaFactors>,
    secret_box: Arc<dyn SecretBox>,
    ceremonies: Arc<dyn WebAuthnCeremonies>,
    states: Arc<dyn CeremonyStates>,
    clock: Arc<dyn Clock>,
}

impl FinishWebAuthnRegistration {
    /// Built from `ports` and `webauthn`.
    pub fn new(ports: &Ports, webauthn: &WebAuthnPorts) -> Self {
        Self {
            users: ports.users.clone(),
            factors: ports.factors.clone(),
            secret_box: ports.secret_box.clone(),
            ceremonies: webauthn.ceremonies.clone(),
            states: webauthn.states.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Verifies the browser's answer and stores the credential as an active factor of the
    /// caller, with a recovery set when it is the first.
    ///
    /// # Errors
    /// [`RegisterWebAuthnError::UnknownRegistration`] when the ceremony is not the caller's
    /// or no longer waits; [`RegisterWebAuthnError::InvalidCredential`] for an answer that
    /// does not verify; [`RegisterWebAuthnError::AlreadyRegistered`] for a known credential.
    #[instrument(skip_all, name = "finish_webauthn_registration", fields(user_id = %caller.user_id))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        answer: WebAuthnAnswer,
    ) -> Result<ConfirmedFactor, RegisterWebAuthnError> {
        let now = self.clock.now();
        let ceremony = self
            .states
            .take(answer.registration_id, CeremonyPurpose::Registration, now)
            .await?
            .filter(|ceremony| ceremony.user_id == Some(caller.user_id))
            .ok_or(RegisterWebAuthnError::UnknownRegistration)?;
        let registered = self
            .ceremonies
            .finish_registration(&ceremony.state, &answer.credential)
            .map_err(|error| match refused(error) {
                Ok(refusal) => RegisterWebAuthnError::InvalidCredential(refusal),
                Err(error) => RegisterWebAuthnError::Unexpected(error.into()),
            })?;
        let user = self
            .users
            .find_by_id(caller.user_id)
            .await?
            .ok_or(RegisterWebAuthnError::AccountGone)?;
        let id = FactorId::generate();
        let factor = Factor {
            confirmed_at: Some(now),
            ..Factor::pending(
                id,
                user.id,
                FactorKind::Webauthn,
                ceremony
                    .factor_name
                    .unwrap_or_else(|| FactorName::default_for(FactorKind::Webauthn)),
                FactorCredential::new(registered.passkey.as_str().as_bytes().to_vec()),
                now,
            )
        };
        let codes = self.secret_box.recovery_codes();
        let enrolment = WebAuthnEnrolment {
            factor: factor.clone(),
            credential_id: registered.id,
            recovery_codes: codes.iter().map(|c| self.secret_box.digest(c)).collect(),
            event: Event::new(
                EventData::MfaEnabled {
                    email: user.email.as_str().to_owned(),
                    factor_id: id,
                    kind: FactorKind::Webauthn.as_str().to_owned(),
                },
                Some(user.id),
                now,
            ),
        };
        match self.factors.add_webauthn(&enrolment).await? {
            Enrolled::CredentialTaken => Err(RegisterWebAuthnError::AlreadyRegistered),
            Enrolled::Active { recovery_set } => Ok(ConfirmedFactor {
                factor,
                recovery_codes: recovery_set.then_some(codes),
            }),
        }
    }
}
