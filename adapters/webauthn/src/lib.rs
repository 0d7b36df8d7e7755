//! # postern-webauthn
//!
//! The WebAuthn ceremonies behind the core's
//! [`WebAuthnCeremonies`](postern_core::ports::WebAuthnCeremonies) port, with webauthn-rs:
//! registering passkeys and security keys, proving possession of one as a second factor, and
//! passwordless sign-in with a discoverable credential ([`WebAuthnRelyingParty`]).
//!
//! The relying party comes from the settings ([`RelyingParty::configure`]): `WEBAUTHN_RP_ID` and
//! `WEBAUTHN_ORIGIN`, each defaulting from `APP_URL`. Ceremony states and credentials leave this
//! crate as opaque text, so that the caller stores them where it likes (a state in shared,
//! short-lived, single-use storage; a credential with its factor) and any instance finishes a
//! ceremony another one started.
//!
//! The `testing` feature adds `testing::Browser`: a browser with a software authenticator
//! that answers the ceremonies with real signatures, for tests here and in the crates that
//! drive them over HTTP.

mod ceremonies;
mod relying_party;
mod state;
#[cfg(feature = "testing")]
pub mod testing;

pub use ceremonies::WebAuthnRelyingParty;
pub use relying_party::{RelyingParty, RelyingPartyError};
