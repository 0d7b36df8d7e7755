//! # postern-db
//!
//! The database adapters: SeaORM repositories for users, sessions and the transactional
//! outbox, the audit-log event handler and its reader, and the pruning of rows past their
//! retention, on PostgreSQL and SQLite alike (the schema is `postern-migration`'s).
//!
//! Design:
//! - every method that takes an [`postern_core::domain::Event`] writes it to `outbox` in the
//!   same transaction as its change, and transactions never leave the adapter method;
//! - driver errors are mapped to the domain's in one place (`error`), and their text never
//!   reaches a client;
//! - races are settled by the database (a unique index for emails, conditional updates for token
//!   rotation and revocation), never by a read followed by a write;
//! - timestamps are stored in UTC at millisecond precision and compared in time order on both
//!   backends (`timestamps`);
//! - entities are private: only domain types cross this module's boundary.

mod account_tokens;
mod admins;
mod audit;
mod audit_trail;
mod backlume;
mod ceremonies;
mod connect;
mod entities;
mod erasure;
mod error;
mod grants;
mod handled_events;
mod identities;
mod import;
mod login_counts;
mod mfa;
mod mfa_webauthn;
mod outbox;
mod outbox_queue;
mod page;
mod retention;
mod sessions;
mod timestamps;
mod tx;
mod users;

pub use account_tokens::SeaAccountTokens;
pub use audit::AuditLogHandler;
pub use audit_trail::SeaAuditTrail;
pub use backlume::BacklumeSource;
pub use ceremonies::SeaCeremonyStates;
pub use connect::{connect, connect_options, connect_pooled, connect_with, ping, pool_options};
pub(crate) use error::db_error;
pub use grants::SeaSignInGrants;
pub use handled_events::SeaHandledEvents;
pub use identities::SeaIdentityRepo;
pub use import::SeaImportTarget;
pub use mfa::SeaMfaFactors;
pub use outbox::SeaOutbox;
pub use retention::SeaRetention;
pub use sessions::SeaSessionRepo;
pub use users::SeaUserRepo;
