//! # postern-adapters
//!
//! Postern's ports implemented against real infrastructure:
//! - [`db`]: SeaORM repositories for users, sessions and the outbox, and the audit-log event
//!   handler, on PostgreSQL and SQLite alike;
//! - [`crypto`]: Argon2id password hashing, JWT access tokens, opaque random tokens;
//! - [`memory`]: the in-process cache, rate limiter, revocation list and clock of the embedded
//!   default;
//! - [`events`]: in-process event publication and the console mailer's event handler;
//! - [`mail`]: outgoing mail, sent through SMTP or written to the log.

pub mod crypto;
pub mod db;
pub mod events;
pub mod mail;
pub mod memory;
