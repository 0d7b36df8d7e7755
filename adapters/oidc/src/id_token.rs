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
    /// One audience, or several.
    pub aud: serde_json::Value,
    /// The party the token was issued to, which must be us when there are several audiences.
    pub azp: Option<String>,
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
        // With several audiences, `azp` says which one the token was issued to (OpenID Connect
        // Core 1.0, 3.1.3.7, steps 4 and 5).
        let audiences = claims.aud.as_array().map_or(1, Vec::len);
        if audiences > 1 && claims.azp.as_deref() != Some(self.client_id.as_str()) {
            return refused(TokenRefusal::WrongAudience);
        }
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

#[cfg(test)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    use serde_json::{Value, json};

    use super::*;
    use crate::test_support::{JwksServer, TestKey, key, sign};

    const ISSUER: &str = "https://id.example.com";
    const CLIENT_ID: &str = "postern";
    const NONCE: &str = "the-nonce";

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn claims() -> Value {
        json!({
            "iss": ISSUER, "aud": CLIENT_ID, "sub": "user-1", "exp": now() + 300,
            "iat": now(), "nonce": NONCE, "email": "ada@example.com", "email_verified": "true",
        })
    }

    /// Rules for tokens of ISSUER to CLIENT_ID, with `signer`'s key published.
    async fn rules(signer: &TestKey) -> (IdTokenRules, reqwest::Client, JwksServer) {
        let server = JwksServer::start(vec![signer.jwk.clone()]).await;
        let client = crate::http::client().unwrap();
        let rules = IdTokenRules {
            issuer: ISSUER.to_owned(),
            client_id: CLIENT_ID.to_owned(),
            algorithms: accepted_algorithms(&["EdDSA".to_owned()]),
            keys: KeySet::fetch(&client, server.url.clone()).await.unwrap(),
        };
        (rules, client, server)
    }

    /// What verifying `claims` signed with `signer` (key 0 published) gives.
    async fn verify(signer: &TestKey, claims: Value) -> Result<Claims, TokenRefusal> {
        let (rules, client, _server) = rules(&key(0, "k")).await;
        rules
            .verify(&client, &sign(signer, &claims), &Nonce::new(NONCE))
            .await
            .map_err(|err| match err {
                VerifyError::Refused(reason) => reason,
                VerifyError::KeysUnreachable(err) => panic!("{err}"),
            })
    }

    fn with(field: &str, value: Value) -> Value {
        let mut claims = claims();
        claims[field] = value;
        claims
    }

    #[tokio::test]
    async fn a_valid_token_gives_its_claims() {
        let claims = verify(&key(0, "k"), claims()).await.unwrap();

        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.email.as_deref(), Some("ada@example.com"));
        assert!(claims.email_verified(), "the string \"true\" counts");
    }

    #[tokio::test]
    async fn each_broken_rule_has_its_reason() {
        let expired = with("exp", json!(now() - 3600));
        let refusals = [
            (
                with("iss", json!("https://evil.example.com")),
                TokenRefusal::WrongIssuer,
            ),
            (with("aud", json!("other")), TokenRefusal::WrongAudience),
            (
                with("aud", json!([CLIENT_ID, "other"])),
                TokenRefusal::WrongAudience,
            ),
            (expired, TokenRefusal::Expired),
            (with("nonce", json!("another")), TokenRefusal::NonceMismatch),
            (with("nonce", Value::Null), TokenRefusal::NonceMismatch),
        ];
        for (claims, reason) in refusals {
            assert_eq!(
                verify(&key(0, "k"), claims.clone()).await.unwrap_err(),
                reason,
                "{claims}"
            );
        }
    }

    #[tokio::test]
    async fn several_audiences_pass_when_the_token_was_issued_to_us() {
        let mut claims = with("aud", json!(["other", CLIENT_ID]));
        claims["azp"] = json!(CLIENT_ID);

        assert_eq!(verify(&key(0, "k"), claims).await.unwrap().sub, "user-1");
    }

    #[tokio::test]
    async fn a_token_signed_by_another_key_under_a_known_kid_is_refused() {
        let impostor = key(1, "k");

        assert_eq!(
            verify(&impostor, claims()).await.unwrap_err(),
            TokenRefusal::BadSignature
        );
    }

    #[tokio::test]
    async fn an_hmac_token_is_refused_whatever_its_key() {
        let header = jsonwebtoken::Header::new(Algorithm::HS256);
        let secret = jsonwebtoken::EncodingKey::from_secret(CLIENT_ID.as_bytes());
        let token = jsonwebtoken::encode(&header, &claims(), &secret).unwrap();
        let (rules, client, _server) = rules(&key(0, "k")).await;

        let result = rules.verify(&client, &token, &Nonce::new(NONCE)).await;

        assert!(matches!(
            result,
            Err(VerifyError::Refused(TokenRefusal::BadSignature))
        ));
    }

    #[tokio::test]
    async fn garbage_is_malformed() {
        let (rules, client, _server) = rules(&key(0, "k")).await;

        let result = rules
            .verify(&client, "not.a.token", &Nonce::new(NONCE))
            .await;

        assert!(matches!(
            result,
            Err(VerifyError::Refused(TokenRefusal::Malformed))
        ));
    }

    #[test]
    fn only_asymmetric_algorithms_are_accepted_rs256_by_default() {
        let advertised = ["RS256", "HS256", "none", "ES256"].map(str::to_owned);

        assert_eq!(
            accepted_algorithms(&advertised),
            [Algorithm::RS256, Algorithm::ES256]
        );
        assert_eq!(accepted_algorithms(&[]), [Algorithm::RS256]);
    }
}
