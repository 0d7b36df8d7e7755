//! What the handlers share: the use cases, the rate limiter and the readiness probes. Handed to
//! the API with `.data(...)`, so that the API types themselves hold no runtime state and the
//! OpenAPI document can be produced without a database.

use std::sync::Arc;

use async_trait::async_trait;
use ipnet::IpNet;
use postern_core::ports::RateLimiter;
use postern_core::usecases::{
    Accounts, ExportAccount, ExternalSignIns, QueueAdmin, ReadAudit, WebAuthn,
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A dependency that `/ready` checks.
#[async_trait]
pub trait ReadinessProbe: Send + Sync {
    /// The dependency's name as `/ready` reports it, e.g. `database`.
    fn name(&self) -> &'static str;

    /// Whether the dependency answers.
    async fn is_ready(&self) -> bool;
}

/// Shared state of the HTTP layer.
pub struct AppState {
    /// The account use cases.
    pub accounts: Accounts,
    /// Security keys and passkeys: their registration, the second step, passwordless sign-in.
    pub webauthn: WebAuthn,
    /// Sign-in with external providers and the caller's linked identities (docs/http-api.md
    /// §11).
    pub sign_ins: ExternalSignIns,
    /// The event queues (docs/http-api.md §5).
    pub queues: QueueAdmin,
    /// The audit log (docs/http-api.md §5).
    pub audit: ReadAudit,
    /// The caller's data export (docs/http-api.md §4), which reads the audit log too.
    pub export: ExportAccount,
    /// The docs/http-api.md §6 rate limiter.
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// What `/ready` checks.
    pub probes: Vec<Arc<dyn ReadinessProbe>>,
    /// Proxies whose `X-Forwarded-For` is believed (docs/http-api.md §1).
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed to call the API from a browser (`CORS_ALLOWED_ORIGINS`); empty means
    /// no CORS headers at all.
    pub cors_allowed_origins: Vec<String>,
    /// The public keys that verify access tokens, for `/.well-known/jwks.json` (docs/http-api.md
    /// §8); empty with HS256.
    pub signing_keys: Vec<PublishedKey>,
    /// Who may introspect tokens, and the issuer's identity the answers name (docs/http-api.md
    /// §9).
    pub introspection: IntrospectionConfig,
    /// Whether a 500 shows its internal cause in `error` (docs/http-api.md §1: development mode
    /// only).
    pub expose_internal_errors: bool,
}

/// An Ed25519 public key as `/.well-known/jwks.json` publishes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedKey {
    /// The key id that tokens signed with it carry.
    pub kid: String,
    /// The 32-byte public key, base64url without padding (RFC 8037's `x`).
    pub x: String,
}

/// A service allowed to introspect tokens: one `id:secret` pair of `INTROSPECTION_CLIENTS`.
#[derive(Clone, Debug)]
pub struct IntrospectionClient {
    /// The client's id, which keys its rate limit.
    pub id: String,
    /// The client's secret.
    pub secret: SecretString,
}

/// What introspection needs beside the use case.
#[derive(Clone, Debug, Default)]
pub struct IntrospectionConfig {
    /// The clients that may introspect; none means the route does not exist.
    pub clients: Vec<IntrospectionClient>,
    /// `iss` of the answers (`JWT_ISSUER`).
    pub issuer: String,
    /// `aud` of the answers (`JWT_AUDIENCE`).
    pub audience: String,
}

impl IntrospectionConfig {
    /// The id of the client with `id` and `secret`, if there is one. The secrets are compared
    /// as SHA-256 digests in constant time, so that neither a secret's bytes nor its length
    /// can be found by timing.
    pub fn client(&self, id: &str, secret: &str) -> Option<&str> {
        let presented = Sha256::digest(secret.as_bytes());
        self.clients
            .iter()
            .find(|client| client.id == id)
            .filter(|client| {
                let known = Sha256::digest(client.secret.expose_secret().as_bytes());
                bool::from(known.ct_eq(&presented))
            })
            .map(|client| client.id.as_str())
    }
}
