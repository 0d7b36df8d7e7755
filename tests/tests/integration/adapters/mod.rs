//! Adapter tests against real backends: repositories, the outbox and the audit log, each run on
//! PostgreSQL and SQLite by [`on_both_backends!`].

mod audit;
mod connect;
mod fixtures;
mod migrations;
mod outbox;
mod sessions;
mod users;
