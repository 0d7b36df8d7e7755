//! # postern-tokens
//!
//! The tokens behind the core's [`TokenIssuer`](postern_core::ports::TokenIssuer) and
//! [`OpaqueTokens`](postern_core::ports::OpaqueTokens) ports: signed JWT access tokens
//! ([`JwtIssuer`], with HS256 or Ed25519 keys from [`Ed25519KeyPair`] and [`Ed25519PublicKey`]),
//! opaque random tokens stored only as digests ([`RandomTokens`]), and the successors of refresh
//! tokens ([`HmacSuccessors`], behind
//! [`SuccessorTokens`](postern_core::ports::SuccessorTokens)), keyed from the signing key; and
//! the [`AeadSecretBox`] that seals second-factor secrets at rest
//! ([`SecretBox`](postern_core::ports::SecretBox)).
//!
//! Every type here is built from a typed configuration value at the composition root and then
//! shared behind an `Arc<dyn Port>`. Secrets never reach an error message or a log line: errors
//! keep the library's cause, never the input.

mod jwt;
mod opaque;
mod secret_box;
mod signing_keys;
mod successor;

pub use jwt::{EdDsaConfig, JwtConfig, JwtIssuer};
pub use opaque::RandomTokens;
pub use secret_box::{AeadSecretBox, MFA_KEY_LEN, MfaKeyError};
pub use signing_keys::{Ed25519KeyPair, Ed25519PublicKey, KeyError};
pub use successor::HmacSuccessors;
