//! # postern-oidc
//!
//! Sign-in with external OpenID Connect providers behind the core's
//! [`IdentityProviders`](postern_core::ports::IdentityProviders) port ([`OidcProviders`]): the
//! authorization code flow with PKCE (S256), `state` and `nonce`, and ID tokens validated
//! against the provider's published keys (signature, `iss`, `aud`, `exp`, `nonce`).
//!
//! Providers come from the `OIDC_*` settings ([`providers_from`]) and are discovered once, at
//! start-up, from `{issuer}/.well-known/openid-configuration`; a provider that cannot be
//! discovered stops the start with an error naming it. The signing keys are fetched again when
//! a token names a key not seen yet (a key rotation), at most once per cooldown.
//!
//! The OAuth 2.0 steps are the `oauth2` crate's, the signature checks jsonwebtoken's (not the
//! `openidconnect` crate, whose RSA verification uses the banned `rsa` crate).

mod discovery;
mod http;
mod id_token;
mod keys;
mod providers;
mod settings;
#[cfg(test)]
mod test_support;

pub use discovery::DiscoveryFailure;
pub use providers::{DiscoveryError, OidcProviders};
pub use settings::{ProviderSettings, SettingsError, providers_from};
