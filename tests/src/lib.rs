//! Shared helpers for Postern's integration tests: fresh databases per test, a running
//! server on a free port, and an SMTP server that keeps the mail it receives.

// Test helpers fail loudly: a panic with a message is the clearest report a test can give.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod app;
pub mod db;
pub mod smtp;
