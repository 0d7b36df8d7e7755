//! # postern-core
//!
//! The domain of Postern, an authentication and user-account service: validated account types,
//! the use cases (signup, login, refresh, logout, profile, event delivery) and the *ports* they
//! need from the outside world. It depends on no database, cache, HTTP, crypto or async runtime
//! crate; the crates under `adapters/` implement the ports (one technology each), `postern-http`
//! serves the use cases over HTTP, and `postern` wires them together.
//!
//! ## Reading order
//! 1. [`domain`]: the types. Validated ones (`Email`, `Password`, `DisplayName`, `Role`) have one
//!    way in, `parse`, so a value that exists is valid.
//! 2. [`ports`]: one trait per concern. Each method's docs say what an adapter MUST return.
//! 3. [`usecases`]: one struct per use case, built from [`usecases::Ports`], each with an
//!    error enum naming what it can refuse ([`usecases::LoginError`], ...), which the HTTP edge
//!    maps to the contract's codes, once per enum.
//!
//! ## Embedding the core
//! A service that embeds Postern builds one [`usecases::Ports`], an `Arc<dyn Port>` per
//! concern, and hands it to [`usecases::Accounts::new`], which builds every use case; then it
//! calls them directly: `accounts.signup.execute(..)`, `accounts.login.execute(..)`,
//! `accounts.authenticate.execute(bearer)`, `accounts.refresh.execute(..)`,
//! `accounts.logout.execute(..)`. Inputs are domain types, parsed first (`Email::parse`,
//! `Password::parse`, whose [`FieldError`] names the field that failed), so a use case never
//! sees an invalid value. Each use case fails with its own enum: the refusals it can make
//! (`SignupError::EmailTaken`, `LoginError::AccountLocked { retry_after }`, ...) and two
//! variants for its ports, `Unavailable` (retrying later may help) and `Unexpected`, each with
//! its cause; use cases that refuse nothing return [`ports::PortError`]. The embedding service
//! maps each to its own answers.
//!
//! Every port has an adapter under `adapters/`. Without a database, `postern-memory`'s
//! `MemoryStore` serves the storage ports (users, sessions, outbox, account tokens, audit log)
//! in memory, honouring their contracts; the examples in `examples/embedding/` run whole flows
//! on it, with `postern-memory`, `postern-password` and `postern-tokens` as their only adapters:
//! - `embedded.rs`: the composition root and signup, login, authenticate, refresh, logout,
//!   then event delivery to the audit log
//!   (`cargo run -p postern-examples --example embedded`);
//! - `own_user_repo.rs`: your own [`ports::UserRepo`] plugged in place of the store's;
//! - `mock_a_port.rs`: one port swapped for its mock, the others kept as fakes.
//!
//! Events: use cases write each change's [`domain::Event`] with it; a service that wants them
//! delivered runs [`usecases::DeliverEvents`] from the outbox to an
//! [`ports::EventPublisher`] now and then (the server does it in a background loop).
//!
//! ## Writing an adapter
//! Implement the port's trait (with `#[async_trait]` where the trait has it), map your driver's
//! failures to [`ports::PortError::Unavailable`] (cannot reach the backend) or
//! [`ports::PortError::Unexpected`] (anything else), and return the specific outcomes the
//! port's `# Errors` section names, such as [`ports::CreateUserError::EmailTaken`] from
//! [`ports::UserRepo::create`] or [`ports::UpdateUserError::NotFound`] from
//! [`ports::UserRepo::update_name`]: the use cases match on them. Some methods decide a race
//! and say so in their docs (`rotate` is `Ok(false)` when the token was used meanwhile,
//! `begin_login_attempt` reserves an attempt atomically): do each in one atomic step of your
//! backend, never as a read followed by a write. Methods that take an [`domain::Event`] must
//! store it in the same transaction as the change. A sketch, for a port without storage:
//!
//! ```
//! use std::collections::HashSet;
//! use std::sync::Mutex;
//!
//! use async_trait::async_trait;
//! use postern_core::domain::SessionId;
//! use postern_core::ports::{PortError, PortResult, RevocationList};
//! use time::OffsetDateTime;
//!
//! /// Revocations kept for ever: fine for a short-lived process.
//! #[derive(Default)]
//! struct Revoked(Mutex<HashSet<SessionId>>);
//!
//! #[async_trait]
//! impl RevocationList for Revoked {
//!     async fn revoke(&self, sessions: &[SessionId], _until: OffsetDateTime) -> PortResult<()> {
//!         let mut revoked = self.0.lock().map_err(|e| PortError::unexpected(e.to_string()))?;
//!         revoked.extend(sessions);
//!         Ok(())
//!     }
//!
//!     async fn is_revoked(&self, session: SessionId) -> PortResult<bool> {
//!         let revoked = self.0.lock().map_err(|e| PortError::unexpected(e.to_string()))?;
//!         Ok(revoked.contains(&session))
//!     }
//! }
//! # let _: std::sync::Arc<dyn RevocationList> = std::sync::Arc::new(Revoked::default());
//! ```
//!
//! ## Testing: mocks and fakes
//! Two kinds of test double fit the ports:
//! - a **fake** behaves like the real thing: `postern-memory`'s `MemoryStore` for the storage
//!   ports, and its `Memory*` cache, revocation list and rate limiter. Use it when the test is
//!   about a flow, not a call;
//! - a **mock** checks calls and answers what the test says. Enable this crate's `mocks`
//!   feature (`postern-core = { .., features = ["mocks"] }` under `[dev-dependencies]`) to get
//!   a mockall mock of every port: `ports::MockUserRepo`, `ports::MockSessionRepo`, ... Use
//!   it to make a port fail, or to prove a use case does not call it (a mock panics on a call
//!   nobody expected).
//!
//! Mix them: build [`usecases::Ports`] from fakes and replace one field with a mock, as
//! `examples/embedding/examples/mock_a_port.rs` does:
//!
//! ```text
//! let mut users = MockUserRepo::new();
//! users
//!     .expect_create()
//!     .returning(|_, _| Err(PortError::unavailable("connection refused").into()));
//! ports.users = Arc::new(users);
//! let accounts = Accounts::new(&ports, Policies::default());
//! let signup = accounts.signup.execute(request).await;
//! assert!(matches!(signup, Err(SignupError::Unavailable(_))));
//! ```

#![warn(missing_docs)]

pub mod domain;
mod error;
pub mod ports;
pub mod usecases;

pub use error::{BoxError, FieldError, error_chain};
