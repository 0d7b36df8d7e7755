//! The HTTP behaviour of docs/http-api.md (§1–§5, §8), checked against a real server over the
//! network. Each test starts its own server on a free port with its own database, on PostgreSQL
//! and on SQLite, so tests share nothing and run in parallel. One file per area.

mod admin;
mod client_ip;
mod connections;
mod cors;
mod errors;
mod events;
mod federation;
mod keys;
mod leaks;
mod lifecycle;
mod lockout;
mod login;
mod logout;
mod metrics;
mod mfa;
mod ops;
mod password;
mod password_policy;
mod profile;
mod queues;
mod recovery;
mod redis;
mod refresh;
mod refresh_chain;
mod reset_links;
mod resource_server;
mod session_lifetime;
mod sessions;
mod signup;
mod support;
mod webauthn;
