//! The WebAuthn second step of a login (docs/http-api.md, multi-factor authentication): the
//! login's `mfaToken` starts a challenge for the account's security keys and passkeys, and the
//! browser's assertion completes the login as a code would.
//!
//! The challenge is kept under the id of the login's token, so the client names it with the
//! token it already holds; starting again replaces it. An assertion is an attempt like a code
//! ([`VerifyMfa`]'s lockout, failure counting and token spending): a wrong one counts, and it
//! takes the challenge with it, so each challenge is answered once, right or wrong.

use std::sync::Arc;

use time::OffsetDateTime;
use tracing::instrument;

use super::Ports;
use super::mfa_verify::{MfaLogin, VerifyMfa, VerifyMfaError};
use super::webauthn::{WebAuthnPorts, key_method, passkey_of, refused, unexpected};
use crate::domain::{
    AccountTokenRecord, AuthMethod, ClientContext, Factor, FactorCredential, FactorKind,
    LockoutPolicy, OpaqueToken, SessionPolicy, User,
};
use crate::error::BoxError;
use crate::ports::{
    CEREMONY_TTL, CeremonyPurpose, CeremonyStates, Clock, JsonText, MfaFactors, PendingCeremony,
    PortError, WebAuthnCeremonies,
};

/// Why no WebAuthn challenge was started.
#[derive(Debug, thiserror::Error)]
pub enum StartWebAuthnStepError {
    /// The token is unknown, spent or expired, or its account gone.
    #[error("invalid token")]
    InvalidToken,
    /// The account has no active WebAuthn factor to ask for.
    #[error("no WebAuthn factor")]
    NoWebAuthnFactor,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Reading the login's token fails as [`VerifyMfaError::InvalidToken`] or a port's failure;
/// any other refusal would be a broken invariant.
impl From<VerifyMfaError> for StartWebAuthnStepError {
    fn from(error: VerifyMfaError) -> Self {
        match error {
            VerifyMfaError::InvalidToken => Self::InvalidToken,
            VerifyMfaError::Unavailable(cause) => Self::Unavailable(cause),
            VerifyMfaError::Unexpected(cause) => Self::Unexpected(cause),
            other => Self::Unexpected(other.into()),
        }
    }
}

/// The active WebAuthn factors of `user`.
async fn webauthn_factors(factors: &dyn MfaFactors, user: &User) -> Result<Vec<Factor>, PortError> {
    Ok(factors
        .list(user.id)
        .await?
        .into_iter()
        .filter(|factor| factor.kind == FactorKind::Webauthn && factor.is_active())
        .collect())
}

/// Starts WebAuthn second steps.
pub struct StartWebAuthnStep {
    logins: VerifyMfa,
    factors: Arc<dyn MfaFactors>,
    ceremonies: Arc<dyn WebAuthnCeremonies>,
    states: Arc<dyn CeremonyStates>,
    clock: Arc<dyn Clock>,
}

impl StartWebAuthnStep {
    /// Built from `ports` and `webauthn`, reading logins' tokens as [`VerifyMfa`] does.
    pub fn new(
        ports: &Ports,
        policy: SessionPolicy,
        lockout: LockoutPolicy,
        webauthn: &WebAuthnPorts,
    ) -> Self {
        Self {
            logins: VerifyMfa::new(ports, policy, lockout),
            factors: ports.factors.clone(),
            ceremonies: webauthn.ceremonies.clone(),
            states: webauthn.states.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// A challenge for the security keys and passkeys of the login behind `token`: the
    /// `publicKey` options for `navigator.credentials.get()`. Counts nothing toward the
    /// lockout; only an answer does.
    ///
    /// # Errors
    /// [`StartWebAuthnStepError::InvalidToken`] for a token that does not work;
    /// [`StartWebAuthnStepError::NoWebAuthnFactor`] when the account has no WebAuthn factor.
    #[instrument(skip_all, name = "start_webauthn_step")]
    pub async fn execute(&self, token: &OpaqueToken) -> Result<JsonText, StartWebAuthnStepError> {
        let now = self.clock.now();
        let (record, _, user) = self.logins.pending_login(token, now).await?;
        let passkeys = webauthn_factors(&*self.factors, &user)
            .await?
            .iter()
            .map(passkey_of)
            .collect::<Result<Vec<_>, _>>()?;
        if passkeys.is_empty() {
            return Err(StartWebAuthnStepError::NoWebAuthnFactor);
        }
        let start = self
            .ceremonies
            .start_authentication(&passkeys)
            .map_err(unexpected)?;
        let ceremony = PendingCeremony {
            id: record.id,
            purpose: CeremonyPurpose::SecondFactor,
            user_id: Some(user.id),
            state: start.state,
            factor_name: None,
            // Never beyond the login's own token: the challenge answers that login only.
            expires_at: (now + CEREMONY_TTL).min(record.expires_at),
        };
        self.states.put(&ceremony, now).await?;
        Ok(start.options)
    }
}

/// A WebAuthn second step presented.
#[derive(Debug)]
pub struct WebAuthnStepRequest {
    /// The token the login answered with.
    pub token: OpaqueToken,
    /// The browser's `PublicKeyCredential` (assertion).
    pub credential: JsonText,
    /// Where the request came from.
    pub client: ClientContext,
}

/// Completes logins with a WebAuthn assertion.
pub struct VerifyWebAuthnStep {
    logins: VerifyMfa,
    factors: Arc<dyn MfaFactors>,
    ceremonies: Arc<dyn WebAuthnCeremonies>,
    states: Arc<dyn CeremonyStates>,
}

impl VerifyWebAuthnStep {
    /// Built from `ports` and `webauthn`, issuing tokens under `policy` and counting wrong
    /// assertions under `lockout`, as [`VerifyMfa`] does for codes.
    pub fn new(
        ports: &Ports,
        policy: SessionPolicy,
        lockout: LockoutPolicy,
        webauthn: &WebAuthnPorts,
    ) -> Self {
        Self {
            logins: VerifyMfa::new(ports, policy, lockout),
            factors: ports.factors.clone(),
            ceremonies: webauthn.ceremonies.clone(),
            states: webauthn.states.clone(),
        }
    }

    /// Checks the assertion against the login's challenge and starts its session; `amr` says
    /// `pwd`, then `hwk` or `swk` as the authenticator keeps the key, then `mfa`.
    ///
    /// # Errors
    /// As [`VerifyMfa::execute`], with [`VerifyMfaError::InvalidCode`] for an assertion that
    /// does not verify, answers no waiting challenge (none started, expired, or already
    /// answered), or lost the race to another assertion of the same key.
    #[instrument(skip_all, name = "verify_webauthn_step")]
    pub async fn execute(&self, request: WebAuthnStepRequest) -> Result<MfaLogin, VerifyMfaError> {
        let credential = request.credential;
        self.logins
            .complete(&request.token, request.client, async |record, user, now| {
                self.check(record, user, &credential, now).await
            })
            .await
    }

    /// The key's method when `credential` answers the login's challenge with one of the
    /// account's keys (whose counter is then recorded); `None` when it does not.
    async fn check(
        &self,
        record: &AccountTokenRecord,
        user: &User,
        credential: &JsonText,
        now: OffsetDateTime,
    ) -> Result<Option<AuthMethod>, VerifyMfaError> {
        let Some(ceremony) = self
            .states
            .take(record.id, CeremonyPurpose::SecondFactor, now)
            .await?
            .filter(|ceremony| ceremony.user_id == Some(user.id))
        else {
            return Ok(None);
        };
        let factors = webauthn_factors(&*self.factors, user).await?;
        let passkeys = factors
            .iter()
            .map(passkey_of)
            .collect::<Result<Vec<_>, _>>()?;
        let verified =
            match self
                .ceremonies
                .finish_authentication(&ceremony.state, credential, &passkeys)
            {
                Ok(verified) => verified,
                Err(error) => {
                    refused(error).map_err(|error| VerifyMfaError::Unexpected(error.into()))?;
                    return Ok(None);
                }
            };
        let Some(factor) = self
            .factors
            .find_by_credential(&verified.credential)
            .await?
            .filter(|factor| factor.user_id == user.id)
        else {
            return Ok(None);
        };
        let updated = FactorCredential::new(verified.passkey.as_str().as_bytes().to_vec());
        let recorded = self
            .factors
            .record_webauthn_use(factor.id, &factor.credential, &updated, now)
            .await?;
        Ok(recorded.then(|| key_method(verified.storage)))
    }
}
