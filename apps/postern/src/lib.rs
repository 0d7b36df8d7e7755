//! # postern
//!
//! The Postern service: the server process ([`server`], serving `postern-http`), configuration
//! ([`config`]), the command line ([`cli`]), signing keys on disk ([`keys`]), the schema's migrations ([`migrations`]) and the composition
//! root ([`wiring`]) that picks adapters from configuration.

pub mod cli;
pub mod config;
mod draining;
pub mod failure;
mod housekeeping;
mod http_server;
mod idle;
pub mod import;
pub mod keys;
pub mod migrations;
mod relay;
pub mod revocation_seed;
mod sampler;
pub mod server;
mod shutdown;
pub mod telemetry;
mod user_command;
pub mod wiring;
pub mod workers;
