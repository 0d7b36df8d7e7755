//! The HTTP API driven in process: poem's `TestClient` over the in-memory adapters, with no
//! database, no Redis and no socket, so that every test runs in milliseconds. These tests own
//! what is HTTP's alone: the envelopes, every error code, validation details, headers and
//! routing. Storage, delivery, Redis and processes are tested against the real thing in the
//! `postern-tests` crate.
//!
//! `TEST_LOG=1 cargo test -p postern-http` shows the server's log lines of any test.

// Helpers outside `#[test]` functions fail loudly too: a panic with a message is the clearest
// report a test can give.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod bearer;
mod envelope;
mod errors;
mod federation;
mod global_limit;
mod headers;
mod internal_errors;
mod introspection;
mod lifecycle;
mod metrics;
mod mfa;
mod pages;
mod rate_limits;
mod routing;
mod validation;
mod webauthn;
