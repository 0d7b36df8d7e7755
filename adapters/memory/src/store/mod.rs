//! In-memory storage: one [`MemoryStore`] that implements every storage port ([`UserRepo`],
//! [`SessionRepo`], [`Outbox`], [`AccountTokens`], [`IdentityRepo`], [`SignInGrants`],
//! [`AuditTrail`], [`HandledEvents`], [`Retention`], [`MfaFactors`], [`CeremonyStates`]) and the
//! audit log's
//! [`EventHandler`], for embedding the core without a database and for testing it.
//!
//! It is a fake, not a toy: it honours each port's documented contract the way the SeaORM adapters
//! do (a duplicate email is [`postern_core::ports::CreateUserError::EmailTaken`], a token rotates
//! once, lockout reserves attempts, the outbox leases, backs off and dead-letters), held to it by
//! the same `postern-contract` suites as they are. All tables sit behind one mutex that no method
//! holds across an `.await`, so each port method is one atomic step, as a database transaction
//! would make it: a change and its event are stored together or not at all. Nothing survives the
//! process.
//!
//! [`UserRepo`]: postern_core::ports::UserRepo
//! [`SessionRepo`]: postern_core::ports::SessionRepo
//! [`Outbox`]: postern_core::ports::Outbox
//! [`AccountTokens`]: postern_core::ports::AccountTokens
//! [`IdentityRepo`]: postern_core::ports::IdentityRepo
//! [`SignInGrants`]: postern_core::ports::SignInGrants
//! [`AuditTrail`]: postern_core::ports::AuditTrail
//! [`HandledEvents`]: postern_core::ports::HandledEvents
//! [`Retention`]: postern_core::ports::Retention
//! [`MfaFactors`]: postern_core::ports::MfaFactors
//! [`CeremonyStates`]: postern_core::ports::CeremonyStates
//! [`EventHandler`]: postern_core::ports::EventHandler

mod audit;
mod ceremonies;
mod grants;
mod identities;
mod lockout;
mod mfa;
mod outbox;
mod retention;
mod sessions;
mod tokens;
mod users;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use postern_core::domain::{
    AccountTokenRecord, AuditRecord, ClientContext, Event, EventId, IdentityId, PasswordHash,
    RefreshTokenId, SessionId, TokenPurpose, User, UserId,
};
use postern_core::ports::Clock;
use postern_core::ports::PortError;
use postern_core::ports::retry;
use postern_core::ports::{LinkedIdentity, LoginCode, PendingSignIn};
use time::{Duration, OffsetDateTime};

/// Every table of the in-memory store.
#[derive(Default)]
struct Tables {
    users: HashMap<UserId, UserRow>,
    sessions: HashMap<SessionId, SessionRow>,
    refresh_tokens: HashMap<RefreshTokenId, TokenRow>,
    account_tokens: HashMap<uuid::Uuid, AccountTokenRow>,
    /// In the order written.
    outbox: Vec<OutboxRow>,
    audit: HashMap<EventId, AuditRecord>,
    /// When each handler handled each event.
    handled: HashMap<(String, EventId), OffsetDateTime>,
    identities: HashMap<IdentityId, LinkedIdentity>,
    /// Pending sign-ins by their `state`.
    pending_sign_ins: HashMap<String, PendingSignIn>,
    /// One-time login codes by their digest.
    login_codes: HashMap<String, LoginCode>,
    /// WebAuthn ceremonies in progress by their id.
    ceremonies: HashMap<uuid::Uuid, postern_core::ports::PendingCeremony>,
    login_counts: lockout::LoginCountTable,
    /// Accounts deleted (docs/adr/0016): their rows stay, anonymised.
    deleted: HashSet<UserId>,
    factors: HashMap<postern_core::domain::FactorId, mfa::FactorRow>,
    recovery_codes: Vec<mfa::RecoveryRow>,
}

struct UserRow {
    user: User,
    password_hash: PasswordHash,
}

struct SessionRow {
    user_id: UserId,
    client: ClientContext,
    created_at: OffsetDateTime,
    last_used_at: OffsetDateTime,
    revoked_at: Option<OffsetDateTime>,
    amr: Vec<postern_core::domain::AuthMethod>,
}

struct TokenRow {
    session_id: SessionId,
    digest: String,
    expires_at: OffsetDateTime,
    used_at: Option<OffsetDateTime>,
}

struct AccountTokenRow {
    purpose: TokenPurpose,
    digest: String,
    record: AccountTokenRecord,
}

struct OutboxRow {
    event: Event,
    attempts: u32,
    next_attempt_at: OffsetDateTime,
    published_at: Option<OffsetDateTime>,
    dead_lettered_at: Option<OffsetDateTime>,
    last_error: Option<String>,
}

impl Tables {
    /// Writes `event` to the outbox, due at once; writing the same event again is a no-op, as
    /// the port allows one event to accompany several changes.
    fn write_event(&mut self, event: &Event) {
        if self.outbox.iter().any(|row| row.event.id == event.id) {
            return;
        }
        self.outbox.push(OutboxRow {
            event: event.clone(),
            attempts: 0,
            next_attempt_at: event.occurred_at,
            published_at: None,
            dead_lettered_at: None,
            last_error: None,
        });
    }
}

/// Users, sessions, tokens, the outbox and the audit log in this process's memory. Cheap to
/// clone: clones share the same tables.
#[derive(Clone)]
pub struct MemoryStore {
    tables: Arc<Mutex<Tables>>,
    clock: Arc<dyn Clock>,
    max_attempts: u32,
    lease: Duration,
}

impl MemoryStore {
    /// An empty store whose outbox decides what is due by `clock`, with the same attempt limit
    /// and lease as every outbox ([`retry`]).
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            tables: Arc::default(),
            clock,
            max_attempts: retry::DEFAULT_MAX_ATTEMPTS,
            lease: retry::DEFAULT_LEASE,
        }
    }

    /// Dead-letters an event at its `max_attempts`-th failed attempt; 0 counts as 1.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// Withholds claimed events from other claims for `lease`.
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Every event written to the outbox, in the order written, delivered or not: what a test
    /// or an embedding service inspects to see what the use cases announced.
    pub fn events(&self) -> Vec<Event> {
        self.lock()
            .outbox
            .iter()
            .map(|row| row.event.clone())
            .collect()
    }

    /// The last recorded failure of an event, if it has failed: for tests of delivery.
    pub fn last_error(&self, id: EventId) -> Option<String> {
        self.lock()
            .outbox
            .iter()
            .find(|row| row.event.event_id() == id)
            .and_then(|row| row.last_error.clone())
    }

    /// The tables, for one atomic step. A panic while they were held (a bug) leaves them as
    /// the panicking step left them; the store goes on, as a database would after a crash.
    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

/// The error of a write that a database would refuse with a unique or foreign-key violation
/// other than the ones a port names: a broken invariant of the caller.
fn conflict(what: &'static str) -> PortError {
    PortError::unexpected(format!("in-memory store: {what}"))
}

/// Whether `(at, id)` comes strictly after `key` in a newest-first list.
fn after_key(
    at: OffsetDateTime,
    id: uuid::Uuid,
    key: Option<postern_core::domain::PageKey>,
) -> bool {
    key.is_none_or(|key| (at, id) < (key.at, key.id))
}

/// The first `limit + 1` of `items`, newest first by `key`: what a paged list returns.
fn newest_first<T>(
    mut items: Vec<T>,
    limit: postern_core::domain::PageLimit,
    key: impl Fn(&T) -> (OffsetDateTime, uuid::Uuid),
) -> Vec<T> {
    items.sort_by_key(|item| std::cmp::Reverse(key(item)));
    items.truncate(limit.get() as usize + 1);
    items
}
