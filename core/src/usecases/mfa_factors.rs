//! Managing second factors after enrolment (docs/http-api.md, multi-factor authentication):
//! listing them, removing one, replacing the recovery set, and an admin's reset of them all.
//! Each change that weakens an account (a removal, new recovery codes) asks for the current
//! password again, as enrolment does.

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::mfa_enrol::ManageMfaError;
use super::reauth::Reauthentication;
use crate::domain::{
    AccessClaims, Event, EventData, Factor, FactorId, Password, RecoveryCode, SessionPolicy, UserId,
};
use crate::error::BoxError;
use crate::ports::{Clock, MfaFactors, SecretBox, UserRepo};

/// Lists the caller's active factors.
pub struct ListFactors {
    factors: Arc<dyn MfaFactors>,
}

impl ListFactors {
    /// Built from `ports`.
    pub fn new(ports: &Ports) -> Self {
        Self {
            factors: ports.factors.clone(),
        }
    }

    /// The active factors of `user`, oldest first; pending ones are not factors yet.
    ///
    /// # Errors
    /// The factor store's failure.
    pub async fn execute(&self, user: UserId) -> crate::ports::PortResult<Vec<Factor>> {
        let mut factors = self.factors.list(user).await?;
        factors.retain(Factor::is_active);
        Ok(factors)
    }
}

/// Removes one factor of the caller's.
pub struct RemoveFactor {
    reauth: Reauthentication,
    factors: Arc<dyn MfaFactors>,
    clock: Arc<dyn Clock>,
}

impl RemoveFactor {
    /// Built from `ports` under `policy` (see [`super::EnrolTotp::new`]).
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            reauth: Reauthentication::new(ports, policy),
            factors: ports.factors.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Removes the caller's factor `id`, active or pending, once `current` is proved the
    /// caller's password. The last active factor takes the recovery set with it.
    ///
    /// # Errors
    /// Re-authentication's; [`ManageMfaError::FactorNotFound`] when the caller has no such
    /// factor.
    #[instrument(skip_all, name = "remove_factor", fields(user_id = %caller.user_id))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        id: FactorId,
        current: &Password,
    ) -> Result<(), ManageMfaError> {
        let credentials = self.reauth.check(caller, current).await?;
        let event = Event::new(
            EventData::MfaDisabled {
                email: credentials.user.email.as_str().to_owned(),
                factor_id: Some(id),
                reset_by: None,
            },
            Some(caller.user_id),
            self.clock.now(),
        );
        if self.factors.remove(caller.user_id, id, &event).await? {
            Ok(())
        } else {
            Err(ManageMfaError::FactorNotFound)
        }
    }
}

/// Replaces the caller's recovery set.
pub struct RegenerateRecoveryCodes {
    reauth: Reauthentication,
    factors: Arc<dyn MfaFactors>,
    secret_box: Arc<dyn SecretBox>,
    clock: Arc<dyn Clock>,
}

impl RegenerateRecoveryCodes {
    /// Built from `ports` under `policy` (see [`super::EnrolTotp::new`]).
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            reauth: Reauthentication::new(ports, policy),
            factors: ports.factors.clone(),
            secret_box: ports.secret_box.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// A fresh recovery set for the caller, shown once; the old set stops working.
    ///
    /// # Errors
    /// Re-authentication's; [`ManageMfaError::MfaNotEnabled`] when the caller has no active
    /// factor.
    #[instrument(skip_all, name = "regenerate_recovery_codes", fields(user_id = %caller.user_id))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        current: &Password,
    ) -> Result<Vec<RecoveryCode>, ManageMfaError> {
        self.reauth.check(caller, current).await?;
        let codes = self.secret_box.recovery_codes();
        let digests: Vec<_> = codes.iter().map(|c| self.secret_box.digest(c)).collect();
        if self
            .factors
            .replace_recovery_codes(caller.user_id, &digests, self.clock.now())
            .await?
        {
            Ok(codes)
        } else {
            Err(ManageMfaError::MfaNotEnabled)
        }
    }
}

/// Why an admin's reset of an account's factors changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ResetFactorsError {
    /// No account has this id.
    #[error("no such account")]
    NotFound,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Removes every factor and recovery code of an account, for an admin helping a user who lost
/// them all.
pub struct ResetFactors {
    users: Arc<dyn UserRepo>,
    factors: Arc<dyn MfaFactors>,
    clock: Arc<dyn Clock>,
}

impl ResetFactors {
    /// Built from `ports`.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
            factors: ports.factors.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Removes every factor of `target` on behalf of `admin`; the `user.mfa_disabled` event
    /// names the admin, so the audit log says who did it. Returns how many were removed.
    ///
    /// # Errors
    /// [`ResetFactorsError::NotFound`] when no account has the id.
    #[instrument(skip_all, name = "reset_factors", fields(user_id = %target, admin = %admin))]
    pub async fn execute(&self, admin: UserId, target: UserId) -> Result<u64, ResetFactorsError> {
        let user = self
            .users
            .find_by_id(target)
            .await?
            .ok_or(ResetFactorsError::NotFound)?;
        let event = Event::new(
            EventData::MfaDisabled {
                email: user.email.as_str().to_owned(),
                factor_id: None,
                reset_by: Some(admin),
            },
            Some(target),
            self.clock.now(),
        );
        Ok(self.factors.remove_all(target, &event).await?)
    }
}

#[cfg(test)]
#[path = "mfa_factors_tests.rs"]
mod tests;
