//! ID token validation (OpenID Connect Core 1.0, 3.1.3.7): the signature with one of the
//! provider's published keys and one of its asymmetric algorithms, then `iss`, `aud`, `exp`
//! and `nonce`.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use postern_core::ports::{Nonce, TokenRefusal};
use serde::Deserialize;

use crate::keys::{KeyLookupError, KeySet};

/// The algorithms an ID token may be signed with: asymmetric ones only, since a provider's
/// HMAC signature would be keyed with our client secret, and never `none`.
const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The claims read from a valid ID token.
#[derive(Debug, Deserialize)]
pub(crate) struct Claims {
    pub sub: String,
    pub nonce: Option<String>,
    pub email: Option<String>,
    /// A boolean, or the strings "true" and "false" that some providers send.
    pub email_verified: Option<serde_json::Value>,
    pub name: Option<String>,
}

impl Claims {
    /// Whether the provider asserts the email is verified.
    pub(crate) fn email_verified(&self) -> bool {
        match &self.email_verified {
            Some(serde_json::Value::Bool(verified)) => *verified,
            Some(serde_json::Value::String(verified)) => verified == "true",
            _ => false,
        }
    }
}

/// Why an ID token did not pass.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VerifyError {
    /// It is invalid.
    #[error("ID token refused: {0}")]
    Refused(TokenRefusal),
    /// The provider's keys could not be fetched to check it.
    #[error("the provider's keys could not be fetched")]
    KeysUnreachable(#[source] crate::discovery::DiscoveryFailure),
}

/// What a provider's ID tokens are checked against.
#[derive(Debug)]
pub(crate) struct IdTokenRules {
    pub issuer: String,
    pub client_id: String,
    /// The provider's advertised algorithms that are asymmetric.
    pub algorithms: Vec<Algorithm>,
    pub keys: KeySet,
}

/// The algorithms of a discovery document that this adapter accepts (RS256 when it names
/// none, the specification's default).
pub(crate) fn accepted_algorithms(advertised: &[String]) -> Vec<Algorithm> {
    if advertised.is_empty() {
        return vec![Algorithm::RS256];
    }
    advertised
        .iter()
        .filter_map(|name| name.parse::<Algorithm>().ok())
        .filter(|alg| ASYMMETRIC.contains(alg))
        .collect()
}

impl IdTokenRules {
    /// Checks `token` and returns its claims.
    pub(crate) async fn verify(
        &self,
        client: &reqwest::Client,
        token: &str,
        nonce: &Nonce,
    ) -> Result<Claims, VerifyError> {
        let refused = |reason| Err(VerifyError::Refused(reason));
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return refused(TokenRefusal::Malformed);
        };
        if !self.algorithms.contains(&header.alg) {
            return refused(TokenRefusal::BadSignature);
        }
        let jwk = match self.keys.key(client, header.kid.as_deref()).await {
            Ok(jwk) => jwk,
            Err(KeyLookupError::Unknown) => return refused(TokenRefusal::UnknownKey),
            Err(KeyLookupError::Fetch(err)) => return Err(VerifyError::KeysUnreachable(err)),
        };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            return refused(TokenRefusal::BadSignature);
        };
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &self.validation(header.alg))
            .map_err(|err| VerifyError::Refused(refusal(err.kind())))?
            .claims;
        if claims.nonce.as_deref() != Some(nonce.as_str()) {
            return refused(TokenRefusal::NonceMismatch);
        }
        Ok(claims)
    }

    /// `iss`, `aud` and `exp` required and checked, with jsonwebtoken's 60 s of leeway.
    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation
    }
}

/// The refusal a jsonwebtoken error stands for.
fn refusal(kind: &ErrorKind) -> TokenRefusal {
    match kind {
        ErrorKind::InvalidSignature
        | ErrorKind::InvalidAlgorithm
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidEddsaKey => TokenRefusal::BadSignature,
        ErrorKind::InvalidIssuer => TokenRefusal::WrongIssuer,
        ErrorKind::InvalidAudience => TokenRefusal::WrongAudience,
        ErrorKind::ExpiredSignature => TokenRefusal::Expired,
        _ => TokenRefusal::Malformed,
    }
}
