//! Shared helpers for Postern's integration tests: fresh databases per test, Redis key
//! prefixes, Redis servers and Redis Clusters of their own (and one cluster per test binary),
//! an SMTP server that keeps the mail it receives, a running server on a free port, the example
//! resource server, a headless browser, a real OpenID Provider, and `TEST_LOG` to see its logs.

// Test helpers fail loudly: a panic with a message is the clearest report a test can give.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod admin;
pub mod app;
pub mod browser;
pub mod cli;
pub mod db;
pub mod log;
pub mod oidc_provider;
pub mod process;
pub mod redis;
pub mod redis_cluster;
pub mod resource_server;
pub mod smtp;
pub mod totp;
