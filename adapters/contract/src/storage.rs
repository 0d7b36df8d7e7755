//! What an implementation of the storage ports hands the rules: every port over one fresh
//! store, and the one look into the outbox that no port offers.

use std::sync::Arc;

use async_trait::async_trait;
use postern_core::domain::{Event, EventId, NewSession, NewUser, UserId};
use postern_core::ports::{
    AccountTokens, AuditTrail, CeremonyStates, Clock, EventHandler, HandledEvents, IdentityRepo,
    MfaFactors, Outbox, Retention, SessionRepo, SignInGrants, UserRepo, retry,
};
use time::Duration;

use crate::ManualClock;
use crate::fixtures::{T0, logged_in, new_session, new_user, signed_up};

/// A fresh, empty store of one implementation, with each storage port over it. Dropping it may
/// remove the store.
#[async_trait]
pub trait Storage: Send + Sync {
    /// The accounts.
    fn users(&self) -> Arc<dyn UserRepo>;

    /// The sessions and refresh tokens.
    fn sessions(&self) -> Arc<dyn SessionRepo>;

    /// The verification and reset tokens.
    fn account_tokens(&self) -> Arc<dyn AccountTokens>;

    /// The handler that records delivered events in the audit log, named `audit`.
    fn audit_log(&self) -> Arc<dyn EventHandler>;

    /// The identities linked to accounts.
    fn identities(&self) -> Arc<dyn IdentityRepo>;

    /// The pending sign-ins and one-time login codes.
    fn grants(&self) -> Arc<dyn SignInGrants>;

    /// The audit log as admins read it.
    fn audit_trail(&self) -> Arc<dyn AuditTrail>;

    /// The record of which handler handled which event.
    fn handled_events(&self) -> Arc<dyn HandledEvents>;

    /// The pruning of rows past their retention.
    fn retention(&self) -> Arc<dyn Retention>;
    /// Second factors and recovery codes.
    fn mfa_factors(&self) -> Arc<dyn MfaFactors>;

    /// WebAuthn ceremonies in progress.
    fn ceremonies(&self) -> Arc<dyn CeremonyStates>;

    /// An outbox over this store, built as `settings` say. Each call is a new relay's outbox;
    /// all of them share the store's events.
    fn outbox(&self, settings: OutboxSettings) -> Arc<dyn Outbox>;

    /// How the outbox holds `event` now, `None` if it holds no such event: the attempts and
    /// the last error that [`Outbox::record_failure`] keeps, which only operators see.
    async fn delivery(&self, event: EventId) -> Option<Delivery>;
}

/// How an outbox under test is built: the time it decides what is due by, and the adapter's
/// tuning.
#[derive(Clone)]
pub struct OutboxSettings {
    /// The outbox's clock.
    pub clock: Arc<dyn Clock>,
    /// How long a claim withholds its events.
    pub lease: Duration,
    /// The failed attempt at which an event is dead-lettered.
    pub max_attempts: u32,
}

impl OutboxSettings {
    /// The production tuning ([`retry::DEFAULT_LEASE`], [`retry::DEFAULT_MAX_ATTEMPTS`]) on
    /// `clock`.
    pub fn on(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            lease: retry::DEFAULT_LEASE,
            max_attempts: retry::DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// Claims that withhold nothing, so that each claim shows everything due: the rules about
    /// what is due need not wait out leases.
    #[must_use]
    pub fn unleased(self) -> Self {
        Self {
            lease: Duration::ZERO,
            ..self
        }
    }
}

/// An event's failed deliveries, as the outbox keeps them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Failed attempts so far.
    pub attempts: u32,
    /// The reason given with the last failure.
    pub last_error: Option<String>,
    /// Whether the event gave up: no longer due, kept until replayed.
    pub dead_lettered: bool,
}

/// Every event the store holds unpublished, oldest first, whenever it is due: what the rules
/// read to see that a change was stored with its event, or without. It claims them with a
/// clock ten years ahead and no lease, so it must not be mixed with rules about the outbox.
pub async fn written_events(storage: &dyn Storage) -> Vec<Event> {
    let far_future = ManualClock::at(T0 + Duration::days(3650));
    storage
        .outbox(OutboxSettings::on(far_future).unleased())
        .claim(1000)
        .await
        .unwrap()
}

/// Stores an account for `email` created at [`T0`], and returns it as it was given.
pub async fn add_user(storage: &dyn Storage, email: &str) -> NewUser {
    let new = new_user(email);
    storage
        .users()
        .create(&new, &signed_up(&new))
        .await
        .unwrap();
    new
}

/// Stores an account for `email` and returns its id.
pub async fn add_user_id(storage: &dyn Storage, email: &str) -> UserId {
    add_user(storage, email).await.id
}

/// Starts `session` with its `user.logged_in` event, and returns it.
pub async fn start(storage: &dyn Storage, session: NewSession) -> NewSession {
    storage
        .sessions()
        .start(&session, &logged_in(&session))
        .await
        .unwrap();
    session
}

/// Starts a session of `user` at [`T0`].
pub async fn start_session(storage: &dyn Storage, user: UserId) -> NewSession {
    start(storage, new_session(user)).await
}
