//! docs/http-api.md §8 `GET /.well-known/jwks.json`: the public keys that verify access tokens, so
//! that other services can check Postern's tokens without asking Postern.
//!
//! The document is a plain RFC 7517 JWK Set, `{"keys": [...]}`, not the docs/http-api.md §1
//! envelope: JOSE libraries fetch it by URL and read `keys` at the top level. It lists the signing
//! key and the previous keys still accepted, so that a verifier that fetched it after a rotation
//! knows every key a live token may name. With HS256 the set is empty: a shared secret is never
//! published.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use crate::state::{AppState, PublishedKey};

/// How long verifiers may cache the set. Short, because a rotation adds a key; verifiers
/// should also refetch when a token names a key id they do not know.
const CACHE_CONTROL: &str = "public, max-age=300";

/// A public signing key (RFC 7517, RFC 8037): an Ed25519 key for EdDSA signatures.
#[derive(Object)]
#[oai(rename = "JsonWebKey")]
pub struct JwkView {
    /// Always `OKP` (an octet key pair).
    pub kty: String,
    /// Always `Ed25519`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// The key id that tokens signed with this key carry in their header; the key's RFC 7638
    /// thumbprint.
    pub kid: String,
    /// Always `EdDSA`.
    pub alg: String,
    /// Always `sig`.
    #[oai(rename = "use")]
    pub use_: String,
}

/// A JWK Set (RFC 7517, section 5).
#[derive(Object)]
#[oai(rename = "JsonWebKeySet")]
pub struct JwksView {
    /// The signing key first, then the previous keys still accepted; empty with HS256.
    pub keys: Vec<JwkView>,
}

/// The public signing keys.
#[derive(ApiResponse)]
pub enum JwksResponse {
    /// The key set.
    #[oai(status = 200)]
    Ok(
        Json<JwksView>,
        /// `public, max-age=300`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// docs/http-api.md §8 public signing keys.
pub struct JwksApi;

#[OpenApi(tag = "ApiTags::Operations")]
impl JwksApi {
    /// Public signing keys
    ///
    /// The JWK Set of the keys that verify access tokens: the current Ed25519 key and the
    /// previous ones still accepted, each with its `kid`. Empty (`{"keys": []}`) when tokens are
    /// signed with an HS256 secret. A plain JWK Set, not the `{"success", "data"}` envelope, as
    /// JOSE libraries expect; cacheable for five minutes.
    #[oai(path = "/.well-known/jwks.json", method = "get", operation_id = "jwks")]
    async fn jwks(&self, state: Data<&Arc<AppState>>) -> JwksResponse {
        let keys = state.signing_keys.iter().map(jwk).collect();
        JwksResponse::Ok(Json(JwksView { keys }), CACHE_CONTROL.to_owned())
    }
}

fn jwk(key: &PublishedKey) -> JwkView {
    JwkView {
        kty: "OKP".to_owned(),
        crv: "Ed25519".to_owned(),
        x: key.x.clone(),
        kid: key.kid.clone(),
        alg: "EdDSA".to_owned(),
        use_: "sig".to_owned(),
    }
}
