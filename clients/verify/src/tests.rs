//! What is refused before any revocation check: each token differs from a valid one in one
//! way. The verifiers here ask an introspection endpoint that nobody serves, so a token that got
//! as far as the revocation check would fail with `Unavailable` instead.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;

const SECRET: &[u8] = b"a test secret of at least thirty-two bytes";

async fn verifier() -> Verifier {
    Verifier::builder()
        .hs256_secret(SECRET)
        // A port nothing listens on: revocation checks fail fast.
        .introspection("http://127.0.0.1:9", "client", "secret")
        .timeout(Duration::from_millis(500))
        .build()
        .await
        .unwrap()
}

fn claims(change: impl FnOnce(&mut Value)) -> Value {
    let now = unix_now();
    let mut claims = json!({
        "iss": "postern", "aud": "postern", "sub": "00000000-0000-7000-8000-000000000001",
        "sid": "00000000-0000-7000-8000-000000000002", "role": "user",
        "email": "ada@example.com", "iat": now, "exp": now + 900,
        "jti": "00000000-0000-7000-8000-000000000003",
    });
    change(&mut claims);
    claims
}

fn signed(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

#[tokio::test]
async fn a_genuine_token_reaches_the_revocation_check() {
    let result = verifier()
        .await
        .verify(&signed(&claims(|_| {}), SECRET))
        .await;

    assert!(
        matches!(result, Err(VerifyError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_token_of_another_key_issuer_or_audience_is_invalid() {
    let verifier = verifier().await;
    let tokens = [
        signed(
            &claims(|_| {}),
            b"another secret of at least thirty-two bytes",
        ),
        signed(&claims(|c| c["iss"] = json!("someone-else")), SECRET),
        signed(&claims(|c| c["aud"] = json!("someone-else")), SECRET),
        "not.a.jwt".to_owned(),
    ];

    for token in tokens {
        let result = verifier.verify(&token).await;
        assert!(matches!(result, Err(VerifyError::Invalid)), "{result:?}");
    }
}

#[tokio::test]
async fn an_expired_token_is_expired_without_leeway() {
    let expired = claims(|c| {
        c["iat"] = json!(unix_now() - 900);
        c["exp"] = json!(unix_now() - 1);
    });

    let result = verifier().await.verify(&signed(&expired, SECRET)).await;

    assert!(matches!(result, Err(VerifyError::Expired)), "{result:?}");
}

#[tokio::test]
async fn a_token_issued_in_the_future_or_living_too_long_is_invalid() {
    let verifier = verifier().await;
    let ahead = unix_now() + ISSUED_AT_LEEWAY_SECS + 5;
    let tokens = [
        signed(&claims(|c| c["iat"] = json!(ahead)), SECRET),
        signed(&claims(|c| c["nbf"] = json!(ahead)), SECRET),
        signed(
            &claims(|c| c["exp"] = json!(unix_now() + 25 * 3600)),
            SECRET,
        ),
    ];

    for token in tokens {
        let result = verifier.verify(&token).await;
        assert!(matches!(result, Err(VerifyError::Invalid)), "{result:?}");
    }
}

#[tokio::test]
async fn an_unsigned_token_is_invalid() {
    // `{"alg":"none","typ":"JWT"}`, base64url.
    let unsecured_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    let genuine = signed(&claims(|_| {}), SECRET);
    let payload = genuine.split('.').nth(1).unwrap();

    let result = verifier()
        .await
        .verify(&format!("{unsecured_header}.{payload}."))
        .await;

    assert!(matches!(result, Err(VerifyError::Invalid)), "{result:?}");
}

#[test]
fn only_a_bearer_authorization_yields_a_token() {
    assert_eq!(bearer_token("Bearer abc"), Some("abc"));
    assert_eq!(bearer_token("bearer abc"), Some("abc"));
    assert_eq!(bearer_token("Basic abc"), None);
    assert_eq!(bearer_token("Bearer "), None);
    assert_eq!(bearer_token("Bearer"), None);
}

#[tokio::test]
async fn a_verifier_needs_keys_and_a_revocation_strategy() {
    let no_keys = Verifier::builder()
        .introspection("http://127.0.0.1:9", "c", "s")
        .build()
        .await;
    let no_revocation = Verifier::builder().hs256_secret(SECRET).build().await;

    assert!(matches!(no_keys, Err(BuildError::NoKeys)));
    assert!(matches!(no_revocation, Err(BuildError::NoRevocation)));
}
