//! Access tokens as JWTs (docs/http-api.md §2): `alg` and `kid` in the header; `iss`, `aud`, `sub`,
//! `sid`, `role`, `email`, `iat`, `exp` and `jti` in the claims.
//!
//! Verification is strict: one algorithm (the one the keys are for), our issuer and audience,
//! a known key id, every registered claim present and no leeway on expiry. We never write `nbf`;
//! a token carrying one further ahead than the clock-skew leeway is refused (the use case checks
//! `iat` and the lifetime, which every token has). Two kinds of keys:
//! an HS256 shared secret ([`JwtIssuer::hs256`]), or an Ed25519 key pair ([`JwtIssuer::eddsa`])
//! that signs, with the public keys of earlier pairs still verifying, so that a key rotation
//! logs nobody out. The key id in a token's header picks the key that verifies it; a token of
//! an unknown key is refused like a forged one.

use std::fmt;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use postern_core::domain::{AccessClaims, AccessToken, AuthMethod, Email, Role, SessionId, UserId};
use postern_core::ports::{PortError, PortResult, TokenIssuer, TokenRejected};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tracing::debug;
use uuid::Uuid;

use super::signing_keys::{Ed25519KeyPair, Ed25519PublicKey};

/// RFC 7518 section 3.2: an HS256 key MUST be at least as long as the hash output, 256 bits.
const MIN_HS256_SECRET_BYTES: usize = 32;

/// What an HS256 issuer needs (`JWT_SECRET` and the token's identity).
#[derive(Clone, Debug)]
pub struct JwtConfig {
    /// The shared signing secret, at least 32 bytes.
    pub secret: SecretString,
    /// The `iss` claim written and required.
    pub issuer: String,
    /// The `aud` claim written and required.
    pub audience: String,
    /// The `kid` header written and required.
    pub key_id: String,
}

/// What an EdDSA issuer needs (`JWT_PRIVATE_KEY_FILE`, `JWT_PREVIOUS_PUBLIC_KEY_FILES` and
/// the token's identity). Key ids are derived from the keys.
#[derive(Debug)]
pub struct EdDsaConfig {
    /// The key pair that signs new tokens.
    pub signing_key: Ed25519KeyPair,
    /// Public keys of earlier pairs, whose tokens are still accepted until they expire.
    pub previous_keys: Vec<Ed25519PublicKey>,
    /// The `iss` claim written and required.
    pub issuer: String,
    /// The `aud` claim written and required.
    pub audience: String,
}

/// The cause inside a [`PortError::Unexpected`] from this module.
#[derive(Debug, thiserror::Error)]
enum JwtError {
    #[error("the HS256 secret must be at least {MIN_HS256_SECRET_BYTES} bytes long")]
    SecretTooShort,
    #[error("the Ed25519 signing key cannot be encoded")]
    SigningKey(#[source] super::signing_keys::KeyError),
    #[error("signing an access token failed")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

/// The claims as they travel; the domain's [`AccessClaims`] plus the issuer's identity.
#[derive(Debug, Serialize, Deserialize)]
struct WireClaims {
    iss: String,
    aud: String,
    sub: String,
    sid: String,
    role: String,
    email: String,
    iat: i64,
    exp: i64,
    jti: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    /// Missing from the tokens signed before second factors existed: those were password
    /// logins.
    #[serde(default = "password_only")]
    amr: Vec<String>,
}

fn password_only() -> Vec<String> {
    vec![AuthMethod::Pwd.as_str().to_owned()]
}

impl WireClaims {
    fn new(claims: &AccessClaims, issuer: &str, audience: &str) -> Self {
        Self {
            iss: issuer.to_owned(),
            aud: audience.to_owned(),
            sub: claims.user_id.to_string(),
            sid: claims.session_id.to_string(),
            role: claims.role.as_str().to_owned(),
            email: claims.email.as_str().to_owned(),
            iat: claims.issued_at.unix_timestamp(),
            exp: claims.expires_at.unix_timestamp(),
            jti: claims.token_id,
            nbf: None,
            amr: claims
                .amr
                .iter()
                .map(|method| method.as_str().to_owned())
                .collect(),
        }
    }

    /// `None` when a signed claim is not a value the domain accepts.
    fn into_domain(self) -> Option<AccessClaims> {
        Some(AccessClaims {
            user_id: UserId::parse(&self.sub)?,
            session_id: SessionId::parse(&self.sid)?,
            role: Role::parse(&self.role).ok()?,
            email: Email::parse(&self.email).ok()?,
            issued_at: OffsetDateTime::from_unix_timestamp(self.iat).ok()?,
            expires_at: OffsetDateTime::from_unix_timestamp(self.exp).ok()?,
            token_id: self.jti,
            amr: self
                .amr
                .iter()
                .map(|raw| AuthMethod::parse(raw))
                .collect::<Option<_>>()?,
        })
    }
}

/// Signs access tokens with one key and verifies them with that key or, for EdDSA, with one of
/// the previous public keys.
pub struct JwtIssuer {
    header: Header,
    encoding: EncodingKey,
    /// The keys that verify, by key id; the signing key's own first.
    verifying: Vec<(String, DecodingKey)>,
    /// The public keys, current first, for the JWKS document; empty with HS256.
    public_keys: Vec<Ed25519PublicKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl JwtIssuer {
    /// An issuer signing with HMAC-SHA256 and a shared secret.
    ///
    /// # Errors
    /// [`PortError::Unexpected`] when the secret is shorter than 32 bytes.
    pub fn hs256(config: JwtConfig) -> PortResult<Self> {
        let secret = config.secret.expose_secret().as_bytes();
        if secret.len() < MIN_HS256_SECRET_BYTES {
            return Err(PortError::unexpected(JwtError::SecretTooShort));
        }
        let verifying = vec![(config.key_id.clone(), DecodingKey::from_secret(secret))];
        Ok(Self::with_keys(
            Algorithm::HS256,
            EncodingKey::from_secret(secret),
            Keys {
                key_id: config.key_id,
                verifying,
                public_keys: Vec::new(),
            },
            config.issuer,
            config.audience,
        ))
    }

    /// An issuer signing with Ed25519 (EdDSA), verifying with the signing key's public half and
    /// the previous public keys. A previous key equal to the signing key is listed once.
    ///
    /// # Errors
    /// [`PortError::Unexpected`] when the signing key cannot be encoded for the JWT library.
    pub fn eddsa(config: EdDsaConfig) -> PortResult<Self> {
        let der = config
            .signing_key
            .to_der()
            .map_err(|error| PortError::unexpected(JwtError::SigningKey(error)))?;
        let mut public_keys = vec![config.signing_key.public_key().clone()];
        for key in config.previous_keys {
            if !public_keys.iter().any(|known| known.kid() == key.kid()) {
                public_keys.push(key);
            }
        }
        let verifying = public_keys
            .iter()
            .map(|key| {
                (
                    key.kid().to_owned(),
                    DecodingKey::from_ed_der(key.as_bytes()),
                )
            })
            .collect();
        Ok(Self::with_keys(
            Algorithm::EdDSA,
            EncodingKey::from_ed_der(&der),
            Keys {
                key_id: config.signing_key.kid().to_owned(),
                verifying,
                public_keys,
            },
            config.issuer,
            config.audience,
        ))
    }

    fn with_keys(
        algorithm: Algorithm,
        encoding: EncodingKey,
        keys: Keys,
        issuer: String,
        audience: String,
    ) -> Self {
        let mut header = Header::new(algorithm);
        header.kid = Some(keys.key_id);
        let mut validation = Validation::new(algorithm);
        validation.leeway = 0;
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[&audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        Self {
            header,
            encoding,
            verifying: keys.verifying,
            public_keys: keys.public_keys,
            validation,
            issuer,
            audience,
        }
    }

    /// The public keys that verify tokens, the signing key's first, for publication at
    /// `/.well-known/jwks.json`; empty with HS256, whose key is secret.
    pub fn public_keys(&self) -> &[Ed25519PublicKey] {
        &self.public_keys
    }

    /// The key that verifies a token with key id `kid`, if it is one of ours.
    fn verifying_key(&self, kid: Option<&str>) -> Option<&DecodingKey> {
        let kid = kid?;
        self.verifying
            .iter()
            .find(|(known, _)| known == kid)
            .map(|(_, key)| key)
    }
}

/// The key material of an issuer beside its signing key.
struct Keys {
    key_id: String,
    verifying: Vec<(String, DecodingKey)>,
    public_keys: Vec<Ed25519PublicKey>,
}

impl fmt::Debug for JwtIssuer {
    /// Keys are left out: the decoding key's own `Debug` would print an HS256 secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("alg", &self.header.alg)
            .field("kid", &self.header.kid)
            .field(
                "verifying_kids",
                &self
                    .verifying
                    .iter()
                    .map(|(kid, _)| kid)
                    .collect::<Vec<_>>(),
            )
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer for JwtIssuer {
    fn issue(&self, claims: &AccessClaims) -> PortResult<AccessToken> {
        let wire = WireClaims::new(claims, &self.issuer, &self.audience);
        jsonwebtoken::encode(&self.header, &wire, &self.encoding)
            .map(AccessToken::new)
            .map_err(|error| PortError::unexpected(JwtError::Signing(error)))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenRejected> {
        // The key id is checked before anything else so that a token of a foreign key is
        // unauthorized, never "expired".
        let header = jsonwebtoken::decode_header(token).map_err(rejection)?;
        let Some(key) = self.verifying_key(header.kid.as_deref()) else {
            debug!("access token rejected: unknown key id");
            return Err(TokenRejected::Invalid);
        };
        let data =
            jsonwebtoken::decode::<WireClaims>(token, key, &self.validation).map_err(rejection)?;
        let latest_start = OffsetDateTime::now_utc() + AccessClaims::ISSUED_AT_LEEWAY;
        if data
            .claims
            .nbf
            .is_some_and(|nbf| nbf > latest_start.unix_timestamp())
        {
            debug!("access token rejected: not valid before a time still to come");
            return Err(TokenRejected::Invalid);
        }
        data.claims.into_domain().ok_or_else(|| {
            debug!("access token rejected: claims outside the domain");
            TokenRejected::Invalid
        })
    }
}

/// The port's verdict on a token jsonwebtoken refused. The reason goes to the debug log only;
/// jsonwebtoken's errors never contain the token itself.
fn rejection(error: jsonwebtoken::errors::Error) -> TokenRejected {
    if matches!(error.kind(), ErrorKind::ExpiredSignature) {
        return TokenRejected::Expired;
    }
    debug!(reason = %error, "access token rejected");
    TokenRejected::Invalid
}

#[cfg(test)]
mod eddsa_tests;

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use time::Duration;

    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config() -> JwtConfig {
        JwtConfig {
            secret: SecretString::from(SECRET),
            issuer: "postern".into(),
            audience: "postern-api".into(),
            key_id: "k1".into(),
        }
    }

    fn issuer(config: JwtConfig) -> JwtIssuer {
        JwtIssuer::hs256(config).unwrap()
    }

    /// Whole seconds, because `iat` and `exp` travel as unix seconds.
    pub(super) fn claims_expiring_in(lifetime: Duration) -> AccessClaims {
        let now = OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp());
        let now = now.unwrap();
        AccessClaims {
            user_id: UserId::generate(),
            session_id: SessionId::generate(),
            role: Role::Manager,
            email: Email::parse("ada@example.com").unwrap(),
            issued_at: now - Duration::hours(1),
            expires_at: now + lifetime,
            token_id: Uuid::now_v7(),
            amr: vec![AuthMethod::Pwd, AuthMethod::Otp, AuthMethod::Mfa],
        }
    }

    fn sign_raw(header: &Header, claims: &impl Serialize) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap()
    }

    fn b64_json(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn a_token_round_trips_every_claim() {
        let issuer = issuer(config());
        let claims = claims_expiring_in(Duration::minutes(15));

        let token = issuer.issue(&claims).unwrap();
        let verified = issuer.verify(token.expose()).unwrap();

        assert_eq!(verified, claims);
    }

    #[test]
    fn the_header_names_the_algorithm_and_key() {
        let token = issuer(config())
            .issue(&claims_expiring_in(Duration::minutes(15)))
            .unwrap();

        let header = jsonwebtoken::decode_header(token.expose()).unwrap();

        assert_eq!(header.alg, Algorithm::HS256);
        assert_eq!(header.kid.as_deref(), Some("k1"));
    }

    #[test]
    fn an_expired_token_is_reported_as_expired() {
        let issuer = issuer(config());
        let token = issuer
            .issue(&claims_expiring_in(-Duration::seconds(2)))
            .unwrap();

        let result = issuer.verify(token.expose());

        assert!(matches!(result, Err(TokenRejected::Expired)));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_unauthorized() {
        let forger = issuer(JwtConfig {
            secret: SecretString::from("another secret, also 32 bytes long"),
            ..config()
        });
        let token = forger
            .issue(&claims_expiring_in(Duration::minutes(15)))
            .unwrap();

        let result = issuer(config()).verify(token.expose());

        assert!(matches!(result, Err(TokenRejected::Invalid)));
    }

    #[test]
    fn an_unsigned_alg_none_token_is_unauthorized() {
        let claims = claims_expiring_in(Duration::minutes(15));
        let wire = serde_json::to_value(WireClaims::new(&claims, "postern", "postern-api"));
        let header = serde_json::json!({"alg": "none", "typ": "JWT", "kid": "k1"});
        let token = format!("{}.{}.", b64_json(&header), b64_json(&wire.unwrap()));

        let result = issuer(config()).verify(&token);

        assert!(matches!(result, Err(TokenRejected::Invalid)));
    }

    #[test]
    fn a_token_of_another_hmac_algorithm_is_unauthorized() {
        let claims = claims_expiring_in(Duration::minutes(15));
        let mut header = Header::new(Algorithm::HS384);
        header.kid = Some("k1".into());
        let token = sign_raw(&header, &WireClaims::new(&claims, "postern", "postern-api"));

        let result = issuer(config()).verify(&token);

        assert!(matches!(result, Err(TokenRejected::Invalid)));
    }

    #[test]
    fn a_token_for_another_audience_or_issuer_is_unauthorized() {
        let claims = claims_expiring_in(Duration::minutes(15));
        let strangers = [
            JwtConfig {
                audience: "other-api".into(),
                ..config()
            },
            JwtConfig {
                issuer: "other-issuer".into(),
                ..config()
            },
        ];
        for stranger in strangers {
            let token = issuer(stranger).issue(&claims).unwrap();

            let result = issuer(config()).verify(token.expose());

            assert!(matches!(result, Err(TokenRejected::Invalid)));
        }
    }

    #[test]
    fn a_token_with_another_key_id_is_unauthorized_even_when_expired() {
        let other_key = issuer(JwtConfig {
            key_id: "k2".into(),
            ..config()
        });
        for lifetime in [Duration::minutes(15), -Duration::minutes(15)] {
            let token = other_key.issue(&claims_expiring_in(lifetime)).unwrap();

            let result = issuer(config()).verify(token.expose());

            assert!(matches!(result, Err(TokenRejected::Invalid)));
        }
    }

    #[test]
    fn a_token_missing_iat_or_with_a_bad_subject_is_unauthorized() {
        let claims = claims_expiring_in(Duration::minutes(15));
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        let wire = serde_json::to_value(WireClaims::new(&claims, "postern", "postern-api"));
        let mut without_iat = wire.unwrap();
        without_iat.as_object_mut().unwrap().remove("iat");
        let mut bad_subject = without_iat.clone();
        bad_subject["iat"] = serde_json::json!(claims.issued_at.unix_timestamp());
        bad_subject["sub"] = serde_json::json!("not-a-uuid");

        for body in [without_iat, bad_subject] {
            let result = issuer(config()).verify(&sign_raw(&header, &body));

            assert!(matches!(result, Err(TokenRejected::Invalid)), "{body}");
        }
    }

    #[test]
    fn a_token_not_valid_before_a_time_beyond_the_leeway_is_unauthorized() {
        let claims = claims_expiring_in(Duration::minutes(15));
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let leeway = AccessClaims::ISSUED_AT_LEEWAY.whole_seconds();
        let wire = serde_json::to_value(WireClaims::new(&claims, "postern", "postern-api"));
        let mut body = wire.unwrap();

        body["nbf"] = serde_json::json!(now + leeway + 60);
        let ahead = issuer(config()).verify(&sign_raw(&header, &body));
        body["nbf"] = serde_json::json!(now + leeway - 5);
        let within = issuer(config()).verify(&sign_raw(&header, &body));

        assert!(matches!(ahead, Err(TokenRejected::Invalid)), "{ahead:?}");
        assert!(within.is_ok(), "{within:?}");
    }

    #[test]
    fn a_short_secret_is_refused() {
        let result = JwtIssuer::hs256(JwtConfig {
            secret: SecretString::from("short"),
            ..config()
        });

        assert!(matches!(result, Err(PortError::Unexpected(_))));
    }

    #[test]
    fn debug_output_leaves_the_keys_out() {
        let debug = format!("{:?}", issuer(config()));

        assert!(!debug.contains(SECRET));
        assert!(!debug.contains("48, 49, 50"));
    }
}
