//! # postern-core
//!
//! The domain of Postern, an authentication and user-account service: validated account types,
//! the use cases (signup, login, refresh, logout, profile, event delivery) and the *ports* they
//! need from the outside world. It depends on no database, cache, HTTP, crypto or async runtime
//! crate; `postern-adapters` implements the ports, and `postern` wires them to an HTTP server.
//!
//! ## Reading order
//! 1. [`domain`]: the types. Validated ones (`Email`, `Password`, `DisplayName`, `Role`) have one
//!    way in, `parse`, so a value that exists is valid.
//! 2. [`ports`]: one trait per concern. Each method's docs say what an adapter MUST return.
//! 3. [`usecases`]: one struct per use case, built from [`usecases::Ports`].
//! 4. [`Error`]: the one error type, which the HTTP edge maps to the contract's codes.
//!
//! ## Writing an adapter
//! Implement the port's trait (with `#[async_trait]` where the trait has it), map your driver's
//! failures to [`Error::Unavailable`] (cannot reach the backend) or [`Error::Unexpected`]
//! (anything else), and return the specific variants the port's `# Errors` section names, such
//! as [`Error::EmailTaken`] from [`ports::UserRepo::create`]. Methods that take an
//! [`domain::Event`] must store it in the same transaction as the change.
//!
//! ## Testing with mocks
//! Enable the `mocks` feature to get a mockall mock of every port (`ports::MockUserRepo`, ...).

#![warn(missing_docs)]

pub mod domain;
mod error;
pub mod ports;
pub mod usecases;

pub use error::{BoxError, Error, FieldError, Result, error_chain};
