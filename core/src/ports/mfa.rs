//! Second factors (docs/http-api.md, multi-factor authentication): their storage, the TOTP
//! computation, and the box that seals secrets at rest and digests recovery codes.
//!
//! Every rule that must hold under concurrency lives in one storage method: a TOTP step is
//! spent, a recovery code used, a factor confirmed or removed, each in one atomic step, so that
//! two requests presenting the same code at once cannot both pass.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{CredentialId, PortResult};
use crate::domain::{
    Confirmed, Event, Factor, FactorConfirmation, FactorCredential, FactorId, RecoveryCode,
    RecoveryCodeDigest, TotpCode, TotpSecret, TotpStep, UserId,
};

/// A WebAuthn credential that completed its registration, to store as an active factor: the
/// ceremony itself proved the credential works, so it is never pending.
#[derive(Clone, Debug)]
pub struct WebAuthnEnrolment {
    /// The factor, of kind WebAuthn, already confirmed; its credential is the adapter's
    /// passkey data.
    pub factor: Factor,
    /// The credential's id, unique across every account, by which a passwordless sign-in
    /// finds it.
    pub credential_id: CredentialId,
    /// The digests of a fresh recovery set, stored only when this is the account's first
    /// active factor.
    pub recovery_codes: Vec<RecoveryCodeDigest>,
    /// `user.mfa_enabled`.
    pub event: Event,
}

/// What storing a WebAuthn factor did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enrolled {
    /// The factor is active; `recovery_set` when it was the account's first, so its recovery
    /// set was stored with it.
    Active {
        /// Whether the recovery set was stored.
        recovery_set: bool,
    },
    /// A factor of some account already has this credential id; nothing was written.
    CredentialTaken,
}

/// Stores accounts' factors and recovery codes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MfaFactors: Send + Sync {
    /// Stores a pending factor (not yet confirmed, asked at no login).
    async fn add_pending(&self, factor: &Factor) -> PortResult<()>;

    /// Every factor of `user`, active and pending, oldest first.
    async fn list(&self, user: UserId) -> PortResult<Vec<Factor>>;

    /// The factor `id` of `user`, active or pending; `Ok(None)` when `user` has no such factor.
    async fn find(&self, user: UserId, id: FactorId) -> PortResult<Option<Factor>>;

    /// Confirms a pending factor in one transaction: marks it active, spends the confirming
    /// code's step (as [`Self::spend_step`] would), writes the event, and, only when the user
    /// had no active factor before, stores `recovery_codes` as the user's recovery set.
    ///
    /// # Errors
    /// MUST return `Ok(Confirmed::NotPending)`, and change nothing, when `user` has no pending
    /// factor with this id (so of two confirmations at once, one succeeds). Which of two
    /// factors confirmed at once is the first MUST be decided inside the transaction, so that
    /// exactly one recovery set is stored.
    async fn confirm(&self, confirmation: &FactorConfirmation) -> PortResult<Confirmed>;

    /// Spends TOTP `step` of the active factor `factor` at `at`, and stamps its `last_used_at`:
    /// `true` when the step is later than every step spent on the factor so far.
    ///
    /// # Errors
    /// MUST return `Ok(false)`, and change nothing, when this step or a later one was spent
    /// already (a replayed code), or the factor is not active; the comparison and the write are
    /// one step, so of two requests with one code exactly one gets `true`.
    async fn spend_step(
        &self,
        factor: FactorId,
        step: TotpStep,
        at: OffsetDateTime,
    ) -> PortResult<bool>;

    /// Uses the unused recovery code of `user` with this digest at `at` and writes `event`, in
    /// one transaction: `true` when it was unused.
    ///
    /// # Errors
    /// MUST return `Ok(false)`, and write nothing, when `user` has no unused code with this
    /// digest; of two requests with one code exactly one gets `true`.
    async fn use_recovery_code(
        &self,
        user: UserId,
        digest: &RecoveryCodeDigest,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<bool>;

    /// Replaces the recovery set of `user` by `codes`, in one transaction: the old codes stop
    /// working. `false`, with nothing changed, when `user` has no active factor.
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        codes: &[RecoveryCodeDigest],
        at: OffsetDateTime,
    ) -> PortResult<bool>;

    /// How many unused recovery codes `user` has.
    async fn unused_recovery_codes(&self, user: UserId) -> PortResult<u32>;

    /// Removes the factor `id` of `user` and writes `event`, in one transaction; when no active
    /// factor remains, removes the recovery set too. `false`, with nothing written, when `user`
    /// has no such factor.
    async fn remove(&self, user: UserId, id: FactorId, event: &Event) -> PortResult<bool>;

    /// Stores a registered WebAuthn credential as an active factor, in one transaction: the
    /// factor, its event, and, only when the user had no active factor before, the recovery
    /// set (decided inside the transaction, as for [`Self::confirm`]).
    ///
    /// # Errors
    /// MUST return `Ok(Enrolled::CredentialTaken)`, and write nothing, when a factor of any
    /// account already has `enrolment.credential_id`; of two enrolments of one credential at
    /// once, one at most is stored.
    async fn add_webauthn(&self, enrolment: &WebAuthnEnrolment) -> PortResult<Enrolled>;

    /// The active WebAuthn factor registered with `credential`, whichever account holds it;
    /// `Ok(None)` when there is none.
    async fn find_by_credential(&self, credential: &CredentialId) -> PortResult<Option<Factor>>;

    /// Records an assertion of the active WebAuthn factor `factor` at `at`: replaces its
    /// credential by `updated` (its signature counter moved) and stamps its `last_used_at`.
    ///
    /// # Errors
    /// MUST return `Ok(false)`, and change nothing, when the factor is gone, not active, or its
    /// credential is no longer `seen`: another assertion was recorded since it was read, so of
    /// two assertions checked against one counter at once exactly one gets `true`.
    async fn record_webauthn_use(
        &self,
        factor: FactorId,
        seen: &FactorCredential,
        updated: &FactorCredential,
        at: OffsetDateTime,
    ) -> PortResult<bool>;

    /// Removes every factor and recovery code of `user` and writes `event`, in one transaction;
    /// returns how many factors were removed, and writes nothing when there were none.
    async fn remove_all(&self, user: UserId, event: &Event) -> PortResult<u64>;
}

/// What an authenticator app needs to add a TOTP factor, shown once at enrolment.
#[derive(Clone)]
pub struct TotpProvisioning {
    /// The secret in base32, for typing in.
    pub secret: secrecy::SecretString,
    /// The `otpauth://totp/...` URI, for a QR code.
    pub uri: secrecy::SecretString,
}

impl std::fmt::Debug for TotpProvisioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpProvisioning(REDACTED)")
    }
}

/// Computes TOTP codes (RFC 6238: HMAC-SHA-1, six digits, 30 s steps).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TotpVerifier: Send + Sync {
    /// A new random secret of 160 bits.
    fn generate_secret(&self) -> TotpSecret;

    /// What an authenticator app needs to add `secret` under `account` (the account's email).
    ///
    /// # Errors
    /// [`super::PortError::Unexpected`] when the URI cannot be built.
    fn provisioning(&self, secret: &TotpSecret, account: &str) -> PortResult<TotpProvisioning>;

    /// The step whose code `code` is, at `at` or one step before or after it (clock skew);
    /// `None` when it is none of their codes.
    fn check(&self, secret: &TotpSecret, code: &TotpCode, at: OffsetDateTime) -> Option<TotpStep>;
}

/// Seals factor secrets at rest with an AEAD under the server's MFA key, and makes and digests
/// recovery codes under it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretBox: Send + Sync {
    /// `secret` encrypted and authenticated, bound to `factor`: it opens only as that factor's.
    ///
    /// # Errors
    /// [`super::PortError::Unexpected`] when encryption fails.
    fn seal(&self, secret: &TotpSecret, factor: FactorId) -> PortResult<FactorCredential>;

    /// The secret `sealed` holds.
    ///
    /// # Errors
    /// MUST return [`super::PortError::Unexpected`] when `sealed` was not sealed for `factor`
    /// under this key, or was altered.
    fn open(&self, sealed: &FactorCredential, factor: FactorId) -> PortResult<TotpSecret>;

    /// A fresh recovery set: [`crate::domain::RECOVERY_SET_SIZE`] random codes.
    fn recovery_codes(&self) -> Vec<RecoveryCode>;

    /// The keyed digest under which `code` is stored: without the key, a stolen database does
    /// not let anyone test guesses offline.
    fn digest(&self, code: &RecoveryCode) -> RecoveryCodeDigest;
}
