//! # postern-adapters
//!
//! Postern's ports implemented against real infrastructure:
//! - [`db`]: SeaORM repositories for users, sessions and the outbox, and the audit-log event
//!   handler, on PostgreSQL and SQLite alike;
//! - [`crypto`]: Argon2id password hashing, JWT access tokens, opaque random tokens;
//! - [`memory`]: the in-process cache, rate limiter, revocation list and clock of the embedded
//!   default;
//! - [`events`]: in-process event publication;
//! - [`import`]: reading accounts from the systems Postern replaces (Backlume);
//! - [`mail`]: outgoing mail, sent through SMTP or written to the log;
//! - [`redis`]: the shared cache, rate limiter and revocation list of a multi-instance
//!   deployment, with their fallbacks for when Redis is down;
//! - [`streams`]: event delivery over Redis Streams: the relay's publisher, the workers'
//!   consumers and the queue figures.

pub mod crypto;
pub mod db;
pub mod events;
pub mod import;
pub mod mail;
pub mod memory;
pub mod redis;
pub mod streams;
