//! EdDSA issuers: the header names the key, earlier keys still verify, removed ones do not.

use time::Duration;

use super::*;

fn eddsa(signing_key: Ed25519KeyPair, previous_keys: Vec<Ed25519PublicKey>) -> JwtIssuer {
    JwtIssuer::eddsa(EdDsaConfig {
        signing_key,
        previous_keys,
        issuer: "postern".into(),
        audience: "postern-api".into(),
    })
    .unwrap()
}

fn key() -> Ed25519KeyPair {
    Ed25519KeyPair::generate().unwrap()
}

fn claims() -> AccessClaims {
    tests::claims_expiring_in(Duration::minutes(15))
}

/// Fresh claims signed with `alg` and `key` under the key id `kid`.
fn forged(alg: Algorithm, kid: &str, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    let wire = WireClaims::new(&claims(), "postern", "postern-api");
    jsonwebtoken::encode(&header, &wire, key).unwrap()
}

#[test]
fn an_eddsa_token_names_its_key_and_round_trips() {
    let signing = key();
    let kid = signing.kid().to_owned();
    let issuer = eddsa(signing, Vec::new());
    let claims = claims();

    let token = issuer.issue(&claims).unwrap();
    let header = jsonwebtoken::decode_header(token.expose()).unwrap();

    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid, Some(kid));
    assert_eq!(issuer.verify(token.expose()).unwrap(), claims);
}

#[test]
fn a_token_of_a_previous_key_verifies_after_rotation() {
    let old = key();
    let old_public = old.public_key().clone();
    let token = eddsa(old, Vec::new()).issue(&claims()).unwrap();

    let rotated = eddsa(key(), vec![old_public]);

    assert!(rotated.verify(token.expose()).is_ok());
}

#[test]
fn a_token_of_a_removed_key_is_unauthorized() {
    let token = eddsa(key(), Vec::new()).issue(&claims()).unwrap();

    let result = eddsa(key(), Vec::new()).verify(token.expose());

    assert!(matches!(result, Err(TokenRejected::Invalid)));
}

#[test]
fn a_token_signed_by_another_key_under_our_kid_is_unauthorized() {
    let ours = key();
    let forger = EncodingKey::from_ed_der(&key().to_der().unwrap());
    let token = forged(Algorithm::EdDSA, ours.kid(), &forger);

    let result = eddsa(ours, Vec::new()).verify(&token);

    assert!(matches!(result, Err(TokenRejected::Invalid)));
}

#[test]
fn an_hs256_token_keyed_with_the_public_key_is_unauthorized() {
    let ours = key();
    let public_as_secret = EncodingKey::from_secret(ours.public_key().as_bytes());
    let token = forged(Algorithm::HS256, ours.kid(), &public_as_secret);

    let result = eddsa(ours, Vec::new()).verify(&token);

    assert!(matches!(result, Err(TokenRejected::Invalid)));
}

#[test]
fn public_keys_list_the_signing_key_first_and_each_key_once() {
    let signing = key();
    let current = signing.public_key().clone();
    let previous = key().public_key().clone();

    let issuer = eddsa(
        signing,
        vec![previous.clone(), current.clone(), previous.clone()],
    );

    assert_eq!(issuer.public_keys(), [current, previous]);
}

#[test]
fn an_hs256_issuer_publishes_no_keys() {
    let issuer = JwtIssuer::hs256(JwtConfig {
        secret: SecretString::from("0123456789abcdef0123456789abcdef"),
        issuer: "postern".into(),
        audience: "postern-api".into(),
        key_id: "k1".into(),
    })
    .unwrap();

    assert!(issuer.public_keys().is_empty());
}
