//! Cryptography behind the core's crypto ports: Argon2id password hashing ([`Argon2Hasher`]),
//! signed JWT access tokens ([`JwtIssuer`]) and opaque random tokens stored only as digests
//! ([`RandomTokens`]).
//!
//! Every type here is built from a typed configuration value at the composition root and then
//! shared behind an `Arc<dyn Port>`. Secrets never reach an error message or a log line: errors
//! keep the library's cause, never the input.

mod jwt;
mod opaque;
mod password;

pub use jwt::{JwtConfig, JwtIssuer};
pub use opaque::RandomTokens;
pub use password::{Argon2Hasher, Argon2Params};
