//! [`MfaFactors`] in memory: each step that must hold under concurrency (spending a TOTP step,
//! using a recovery code, confirming the first factor) is one critical section of the store's
//! lock, as it is one transaction in the SeaORM adapter.

use async_trait::async_trait;
use postern_core::domain::{
    Confirmed, Event, Factor, FactorConfirmation, FactorCredential, FactorId, FactorKind,
    RecoveryCodeDigest, TotpStep, UserId,
};
use postern_core::ports::{CredentialId, Enrolled, MfaFactors, PortResult, WebAuthnEnrolment};
use time::OffsetDateTime;

use super::{MemoryStore, Tables, conflict};

/// A factor, the last TOTP step it accepted, and a WebAuthn factor's credential id.
pub(super) struct FactorRow {
    factor: Factor,
    last_step: Option<TotpStep>,
    credential_id: Option<CredentialId>,
}

/// One recovery code of an account.
pub(super) struct RecoveryRow {
    user_id: UserId,
    digest: String,
    used_at: Option<OffsetDateTime>,
}

impl Tables {
    fn has_active_factor(&self, user: UserId) -> bool {
        self.factors
            .values()
            .any(|row| row.factor.user_id == user && row.factor.is_active())
    }

    /// Drops every factor, recovery code and WebAuthn ceremony of `user`.
    pub(super) fn erase_factors_of(&mut self, user: UserId) {
        self.factors.retain(|_, row| row.factor.user_id != user);
        self.recovery_codes.retain(|row| row.user_id != user);
        self.ceremonies
            .retain(|_, ceremony| ceremony.user_id != Some(user));
    }

    fn store_recovery_set(&mut self, user: UserId, codes: &[RecoveryCodeDigest]) {
        self.recovery_codes.retain(|row| row.user_id != user);
        self.recovery_codes
            .extend(codes.iter().map(|digest| RecoveryRow {
                user_id: user,
                digest: digest.as_str().to_owned(),
                used_at: None,
            }));
    }
}

#[async_trait]
impl MfaFactors for MemoryStore {
    async fn add_pending(&self, factor: &Factor) -> PortResult<()> {
        let mut tables = self.lock();
        if tables.factors.contains_key(&factor.id) {
            return Err(conflict("duplicate factor"));
        }
        tables.factors.insert(
            factor.id,
            FactorRow {
                factor: factor.clone(),
                last_step: None,
                credential_id: None,
            },
        );
        Ok(())
    }

    async fn list(&self, user: UserId) -> PortResult<Vec<Factor>> {
        let tables = self.lock();
        let mut factors: Vec<Factor> = tables
            .factors
            .values()
            .filter(|row| row.factor.user_id == user)
            .map(|row| row.factor.clone())
            .collect();
        factors.sort_by_key(|f| (f.created_at, f.id));
        Ok(factors)
    }

    async fn find(&self, user: UserId, id: FactorId) -> PortResult<Option<Factor>> {
        let tables = self.lock();
        Ok(tables
            .factors
            .get(&id)
            .filter(|row| row.factor.user_id == user)
            .map(|row| row.factor.clone()))
    }

    async fn confirm(&self, confirmation: &FactorConfirmation) -> PortResult<Confirmed> {
        let mut tables = self.lock();
        let first = !tables.has_active_factor(confirmation.user_id);
        let Some(row) = tables
            .factors
            .get_mut(&confirmation.factor_id)
            .filter(|row| row.factor.user_id == confirmation.user_id && !row.factor.is_active())
        else {
            return Ok(Confirmed::NotPending);
        };
        row.factor.confirmed_at = Some(confirmation.at);
        row.last_step = Some(confirmation.step);
        if first {
            tables.store_recovery_set(confirmation.user_id, &confirmation.recovery_codes);
        }
        tables.write_event(&confirmation.event);
        Ok(Confirmed::Active {
            recovery_set: first,
        })
    }

    async fn spend_step(
        &self,
        factor: FactorId,
        step: TotpStep,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        let mut tables = self.lock();
        let Some(row) = tables
            .factors
            .get_mut(&factor)
            .filter(|row| row.factor.is_active() && row.last_step.is_none_or(|last| last < step))
        else {
            return Ok(false);
        };
        row.last_step = Some(step);
        row.factor.last_used_at = Some(at);
        Ok(true)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        digest: &RecoveryCodeDigest,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<bool> {
        let mut tables = self.lock();
        let Some(row) = tables.recovery_codes.iter_mut().find(|row| {
            row.user_id == user && row.digest == digest.as_str() && row.used_at.is_none()
        }) else {
            return Ok(false);
        };
        row.used_at = Some(at);
        tables.write_event(event);
        Ok(true)
    }

    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
        _at: OffsetDateTime,
    ) -> PortResult<bool> {
        let mut tables = self.lock();
        if !tables.has_active_factor(user) {
            return Ok(false);
        }
        tables.store_recovery_set(user, codes);
        Ok(true)
    }

    async fn unused_recovery_codes(&self, user: UserId) -> PortResult<u32> {
        let tables = self.lock();
        let unused = tables
            .recovery_codes
            .iter()
            .filter(|row| row.user_id == user && row.used_at.is_none())
            .count();
        Ok(u32::try_from(unused).unwrap_or(u32::MAX))
    }

    async fn remove(&self, user: UserId, id: FactorId, event: &Event) -> PortResult<bool> {
        let mut tables = self.lock();
        if tables
            .factors
            .get(&id)
            .is_none_or(|row| row.factor.user_id != user)
        {
            return Ok(false);
        }
        tables.factors.remove(&id);
        if !tables.has_active_factor(user) {
            tables.recovery_codes.retain(|row| row.user_id != user);
        }
        tables.write_event(event);
        Ok(true)
    }

    async fn add_webauthn(&self, enrolment: &WebAuthnEnrolment) -> PortResult<Enrolled> {
        let mut tables = self.lock();
        let factor = &enrolment.factor;
        if tables.factors.contains_key(&factor.id) {
            return Err(conflict("duplicate factor"));
        }
        if tables
            .factors
            .values()
            .any(|row| row.credential_id.as_ref() == Some(&enrolment.credential_id))
        {
            return Ok(Enrolled::CredentialTaken);
        }
        let first = !tables.has_active_factor(factor.user_id);
        tables.factors.insert(
            factor.id,
            FactorRow {
                factor: factor.clone(),
                last_step: None,
                credential_id: Some(enrolment.credential_id.clone()),
            },
        );
        if first {
            tables.store_recovery_set(factor.user_id, &enrolment.recovery_codes);
        }
        tables.write_event(&enrolment.event);
        Ok(Enrolled::Active {
            recovery_set: first,
        })
    }

    async fn find_by_credential(&self, credential: &CredentialId) -> PortResult<Option<Factor>> {
        let tables = self.lock();
        Ok(tables
            .factors
            .values()
            .find(|row| {
                row.credential_id.as_ref() == Some(credential)
                    && row.factor.kind == FactorKind::Webauthn
                    && row.factor.is_active()
            })
            .map(|row| row.factor.clone()))
    }

    async fn record_webauthn_use(
        &self,
        factor: FactorId,
        seen: &FactorCredential,
        updated: &FactorCredential,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        let mut tables = self.lock();
        let Some(row) = tables.factors.get_mut(&factor).filter(|row| {
            row.factor.kind == FactorKind::Webauthn
                && row.factor.is_active()
                && row.factor.credential == *seen
        }) else {
            return Ok(false);
        };
        row.factor.credential = updated.clone();
        row.factor.last_used_at = Some(at);
        Ok(true)
    }

    async fn remove_all(&self, user: UserId, event: &Event) -> PortResult<u64> {
        let mut tables = self.lock();
        let before = tables.factors.len();
        tables.factors.retain(|_, row| row.factor.user_id != user);
        let removed = before - tables.factors.len();
        tables.recovery_codes.retain(|row| row.user_id != user);
        if removed > 0 {
            tables.write_event(event);
        }
        Ok(removed as u64)
    }
}
