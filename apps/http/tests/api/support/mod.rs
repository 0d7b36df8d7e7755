//! What the tests share: a [`TestApp`] with one typed method per endpoint, checks of the
//! docs/http-api.md §1 envelopes, and fakes for ports that fail.

pub mod app;
pub mod assertions;
pub mod builder;
pub mod fakes;
pub mod log;
pub mod providers;

pub use app::{PASSWORD, Reply, Session, TestApp};
pub use assertions::{assert_error, assert_invalid_fields, assert_malformed};
