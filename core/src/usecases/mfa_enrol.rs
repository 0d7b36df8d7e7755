//! TOTP enrolment (docs/http-api.md, multi-factor authentication): a signed-in user who proves
//! the current password gets a fresh secret, as a pending factor; a code from it confirms the
//! factor, which logins then ask for. The first factor of an account comes with its recovery
//! set, shown once.
//!
//! The secret leaves the server once, in the enrolment answer; storage keeps it sealed by the
//! [`SecretBox`], bound to its factor's id. Re-authentication draws on the same quota of wrong
//! guesses as every other request that asks for the current password (see `reauth`).

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::reauth::{ReauthError, Reauthentication};
use crate::domain::{
    AccessClaims, Confirmed, Event, EventData, Factor, FactorConfirmation, FactorId, FactorKind,
    FactorName, Password, RecoveryCode, SessionPolicy, TotpCode,
};
use crate::error::BoxError;
use crate::ports::{Clock, MfaFactors, SecretBox, TotpProvisioning, TotpVerifier, UserRepo};

/// Why a second-factor request of a signed-in user changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ManageMfaError {
    /// The current password is wrong.
    #[error("wrong current password")]
    WrongPassword,
    /// The current password is wrong, and it was the session's last allowed guess: the session
    /// has been ended.
    #[error("session ended after too many wrong passwords")]
    SessionEnded,
    /// The caller's account no longer exists.
    #[error("account not found")]
    AccountGone,
    /// The caller has no such factor (for a confirmation: no such pending TOTP factor).
    #[error("factor not found")]
    FactorNotFound,
    /// The code is not the factor's current one.
    #[error("invalid code")]
    InvalidCode,
    /// The caller has no active factor, so no recovery set.
    #[error("no second factor enabled")]
    MfaNotEnabled,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

impl From<ReauthError> for ManageMfaError {
    fn from(error: ReauthError) -> Self {
        match error {
            ReauthError::WrongPassword => Self::WrongPassword,
            ReauthError::SessionEnded => Self::SessionEnded,
            ReauthError::NotFound => Self::AccountGone,
            ReauthError::Port(error) => error.into(),
        }
    }
}

/// A pending TOTP factor and what an authenticator app needs to add it.
#[derive(Debug)]
pub struct TotpEnrolment {
    /// The pending factor, to name at confirmation.
    pub factor_id: FactorId,
    /// The secret and its `otpauth://` URI.
    pub provisioning: TotpProvisioning,
}

/// Starts TOTP enrolments.
pub struct EnrolTotp {
    reauth: Reauthentication,
    factors: Arc<dyn MfaFactors>,
    totp: Arc<dyn TotpVerifier>,
    secret_box: Arc<dyn SecretBox>,
    clock: Arc<dyn Clock>,
}

impl EnrolTotp {
    /// Built from `ports`; `policy` bounds how long the tokens of a session ended for wrong
    /// passwords are rejected.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            reauth: Reauthentication::new(ports, policy),
            factors: ports.factors.clone(),
            totp: ports.totp.clone(),
            secret_box: ports.secret_box.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Stores a pending TOTP factor named `name` (or the default name) for the caller, once
    /// `current` is proved the caller's password.
    ///
    /// # Errors
    /// [`ManageMfaError::WrongPassword`], [`ManageMfaError::SessionEnded`] or
    /// [`ManageMfaError::AccountGone`] from re-authentication.
    #[instrument(skip_all, name = "enrol_totp", fields(user_id = %caller.user_id))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        current: &Password,
        name: Option<FactorName>,
    ) -> Result<TotpEnrolment, ManageMfaError> {
        let credentials = self.reauth.check(caller, current).await?;
        let secret = self.totp.generate_secret();
        let name = name.unwrap_or_else(|| FactorName::default_for(FactorKind::Totp));
        let id = FactorId::generate();
        // Sealed under the factor's own id, so a sealed secret copied to another row fails to open.
        let sealed = self.secret_box.seal(&secret, id)?;
        let factor = Factor::pending(
            id,
            caller.user_id,
            FactorKind::Totp,
            name,
            sealed,
            self.clock.now(),
        );
        let provisioning = self
            .totp
            .provisioning(&secret, credentials.user.email.as_str())?;
        self.factors.add_pending(&factor).await?;
        Ok(TotpEnrolment {
            factor_id: factor.id,
            provisioning,
        })
    }
}

/// A confirmed factor, with the recovery set it came with when it was the account's first.
#[derive(Debug)]
pub struct ConfirmedFactor {
    /// The factor, now active.
    pub factor: Factor,
    /// The new recovery set, shown once; `None` when the account had an active factor already.
    pub recovery_codes: Option<Vec<RecoveryCode>>,
}

/// Confirms pending TOTP factors.
pub struct ConfirmTotp {
    users: Arc<dyn UserRepo>,
    factors: Arc<dyn MfaFactors>,
    totp: Arc<dyn TotpVerifier>,
    secret_box: Arc<dyn SecretBox>,
    clock: Arc<dyn Clock>,
}

impl ConfirmTotp {
    /// Built from `ports`.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
            factors: ports.factors.clone(),
            totp: ports.totp.clone(),
            secret_box: ports.secret_box.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Activates the caller's pending TOTP factor `id` with a `code` from it.
    ///
    /// # Errors
    /// [`ManageMfaError::FactorNotFound`] when the caller has no pending TOTP factor `id`;
    /// [`ManageMfaError::InvalidCode`] when `code` is none of its codes around now.
    #[instrument(skip_all, name = "confirm_totp", fields(user_id = %caller.user_id))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        id: FactorId,
        code: &TotpCode,
    ) -> Result<ConfirmedFactor, ManageMfaError> {
        let mut factor = self
            .factors
            .find(caller.user_id, id)
            .await?
            .filter(|f| f.kind == FactorKind::Totp && !f.is_active())
            .ok_or(ManageMfaError::FactorNotFound)?;
        let user = self
            .users
            .find_by_id(caller.user_id)
            .await?
            .ok_or(ManageMfaError::AccountGone)?;
        let now = self.clock.now();
        let secret = self.secret_box.open(&factor.credential, factor.id)?;
        let step = self
            .totp
            .check(&secret, code, now)
            .ok_or(ManageMfaError::InvalidCode)?;
        let codes = self.secret_box.recovery_codes();
        let confirmation = FactorConfirmation {
            factor_id: id,
            user_id: caller.user_id,
            step,
            at: now,
            recovery_codes: codes.iter().map(|c| self.secret_box.digest(c)).collect(),
            event: Event::new(
                EventData::MfaEnabled {
                    email: user.email.as_str().to_owned(),
                    factor_id: id,
                    kind: FactorKind::Totp.as_str().to_owned(),
                },
                Some(user.id),
                now,
            ),
        };
        match self.factors.confirm(&confirmation).await? {
            Confirmed::NotPending => Err(ManageMfaError::FactorNotFound),
            Confirmed::Active { recovery_set } => {
                factor.confirmed_at = Some(now);
                Ok(ConfirmedFactor {
                    factor,
                    recovery_codes: recovery_set.then_some(codes),
                })
            }
        }
    }
}

#[cfg(test)]
#[path = "mfa_enrol_tests.rs"]
mod tests;
