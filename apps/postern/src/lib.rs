//! # postern
//!
//! The Postern service: the HTTP server ([`http`]), configuration ([`config`]), the command
//! line ([`cli`]) and the composition root ([`wiring`]) that picks adapters from configuration.

pub mod cli;
pub mod config;
pub mod http;
mod relay;
pub mod server;
mod shutdown;
pub mod telemetry;
mod user_command;
pub mod wiring;
pub mod workers;
