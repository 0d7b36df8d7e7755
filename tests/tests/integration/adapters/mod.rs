//! Adapter tests against real backends: repositories, the outbox and the audit log, each run on
//! PostgreSQL and SQLite by [`on_both_backends!`]; and the SMTP mailer against a real SMTP
//! server.

mod audit;
mod connect;
mod fixtures;
mod mail;
mod migrations;
mod outbox;
mod sessions;
mod users;
