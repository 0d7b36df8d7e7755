//! # postern-adapters
//!
//! Postern's ports implemented against real infrastructure:
//! - [`db`]: SeaORM repositories for users, sessions and the outbox, and the audit-log event
//!   handler, on PostgreSQL and SQLite alike;
//! - [`crypto`]: Argon2id password hashing, JWT access tokens, opaque random tokens;
//! - [`memory`]: the in-process cache, rate limiter, revocation list and clock of the embedded
//!   default, and [`memory::MemoryStore`], every storage port in memory, for services that embed
//!   the core without a database and for tests;
//! - [`events`]: in-process event publication;
//! - [`import`]: reading accounts from the systems Postern replaces (Backlume);
//! - [`mail`]: outgoing mail, sent through SMTP or written to the log;
//! - [`redis`]: the shared cache, rate limiter and revocation list of a multi-instance
//!   deployment, with their fallbacks for when Redis is down;
//! - [`streams`]: event delivery over Redis Streams: the relay's publisher, the workers'
//!   consumers and the queue figures.
//!
//! `examples/` shows a service embedding the core on these adapters: `embedded` (the whole
//! account flow in memory), `own_user_repo` (a port implemented by the service itself) and
//! `mock_a_port` (a port swapped for its mock); `make examples` runs them.

pub mod crypto;
pub mod db;
pub mod events;
pub mod import;
pub mod mail;
pub mod memory;
pub mod redis;
pub mod streams;
