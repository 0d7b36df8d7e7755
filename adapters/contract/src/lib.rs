//! # postern-contract
//!
//! What each port promises, written once as tests and run against every implementation, so
//! that the in-memory fake is held to the same rules as the databases and Redis, and two
//! implementations of one port cannot drift apart unnoticed.
//!
//! - Storage ports, on `postern-memory`'s `MemoryStore` and on SeaORM over SQLite and
//!   PostgreSQL: [`users`] ([`UserRepo`]), [`sessions`] ([`SessionRepo`]), [`outbox`]
//!   ([`Outbox`]), [`account_tokens`] ([`AccountTokens`]), [`identities`] ([`IdentityRepo`]),
//!   [`grants`] ([`SignInGrants`]), [`audit_log`] (the audit [`EventHandler`] read back
//!   through the [`AuditTrail`]), [`handled_events`] ([`HandledEvents`]), [`retention`]
//!   ([`Retention`]), [`mfa_factors`] and [`mfa_webauthn`] ([`MfaFactors`]) and [`ceremonies`]
//!   ([`CeremonyStates`]). An implementation offers them as one
//!   [`Storage`]: every port over one fresh store, because the rules span ports (a session needs
//!   its user; a change is stored with its event).
//! - State ports, in memory, on Redis and through the resilient Redis wrappers:
//!   [`profile_cache`] ([`ProfileCache`]), [`rate_limiter`] ([`RateLimiter`]) and
//!   [`revocation_list`] ([`RevocationList`]), and [`caller_lookup`] ([`CallerLookup`]), which
//!   reads the last two together. They are given by a [`Factory`] where a rule needs its own
//!   settings (a time to live, a quota), else built once per rule.
//!
//! Each module holds the port's rules as public async functions named as sentences, and
//! exports a macro, `<port>_contract!(make)`, that expands to a module named after the port
//! with one `#[tokio::test]` per rule, each on a fresh implementation from `make`. Every
//! implementation therefore runs exactly the same list. The calling crate needs `tokio` with
//! its multi-threaded runtime, on which the rules about concurrency race for real.
//!
//! What stays beside an adapter is what only it has: SQL details, migrations, Redis's key
//! layout and its degradation drills.
//!
//! [`UserRepo`]: postern_core::ports::UserRepo
//! [`SessionRepo`]: postern_core::ports::SessionRepo
//! [`Outbox`]: postern_core::ports::Outbox
//! [`AccountTokens`]: postern_core::ports::AccountTokens
//! [`IdentityRepo`]: postern_core::ports::IdentityRepo
//! [`SignInGrants`]: postern_core::ports::SignInGrants
//! [`EventHandler`]: postern_core::ports::EventHandler
//! [`AuditTrail`]: postern_core::ports::AuditTrail
//! [`HandledEvents`]: postern_core::ports::HandledEvents
//! [`Retention`]: postern_core::ports::Retention
//! [`MfaFactors`]: postern_core::ports::MfaFactors
//! [`CeremonyStates`]: postern_core::ports::CeremonyStates
//! [`ProfileCache`]: postern_core::ports::ProfileCache
//! [`RateLimiter`]: postern_core::ports::RateLimiter
//! [`RevocationList`]: postern_core::ports::RevocationList
//! [`CallerLookup`]: postern_core::ports::CallerLookup

// Rules fail loudly: a panic with a message is the clearest report a test can give.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod account_tokens;
pub mod audit_log;
pub mod caller_lookup;
pub mod ceremonies;
mod clock;
mod factory;
pub mod fixtures;
pub mod grants;
pub mod handled_events;
pub mod identities;
pub mod lifecycle;
mod macros;
pub mod mfa_factors;
pub mod mfa_webauthn;
pub mod outbox;
pub mod profile_cache;
pub mod rate_limiter;
pub mod retention;
pub mod revocation_list;
pub mod sessions;
mod storage;
pub mod users;

pub use caller_lookup::CallerPorts;
pub use clock::ManualClock;
pub use factory::Factory;
pub use storage::{Delivery, OutboxSettings, Storage};
