//! Adapter tests against real backends. Every port's contract (`postern-contract`) runs in
//! `contract`: the storage ports on PostgreSQL and SQLite, the state ports on Redis. Beside it
//! stays what only one adapter has: how SQL keeps timestamps and undecodable rows, connections
//! and migrations, and the housekeeping job pruning every kind of row at once (each run on both
//! databases by [`on_both_backends!`]); the profile cache
//! racing demotions through the use cases, and the revocation list re-seeded after Redis lost
//! it; Redis's key layout,
//! its sharing across instances and its outages, against a shared Redis under a key prefix per
//! test or a server of a test's own; what a Redis Cluster adds (hash slots, a master restarted
//! without failover); Redis Streams, on one server and on a cluster; the SMTP mailer against a
//! real SMTP server; and OpenID Connect sign-in against a real OpenID Provider in a real browser.

mod connect;
mod contract;
mod mail;
mod migrations;
mod oidc;
mod outbox;
mod profile_race;
mod redis;
mod redis_cluster;
mod redis_degradation;
mod retention;
mod revocation_seed;
mod streams;
mod users;
