//! Adapter tests against real backends: repositories, the outbox and the audit log, each run on
//! PostgreSQL and SQLite by [`on_both_backends!`]; the Redis adapters against a real Redis,
//! shared under a key prefix per test or a server of a test's own; and the SMTP mailer against
//! a real SMTP server.

mod audit;
mod connect;
mod fixtures;
mod mail;
mod migrations;
mod outbox;
mod redis;
mod redis_degradation;
mod sessions;
mod streams;
mod users;
