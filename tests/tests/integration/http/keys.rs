//! docs/http-api.md §2/§8 signing keys: EdDSA access tokens when a key pair is
//! configured, the JWK Set at `/.well-known/jwks.json` that verifies them, and rotation: a token of
//! the previous key stays valid while that key is listed as previous, and is refused once it is
//! removed. Keys are made by the code behind `postern keys generate`.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use postern::keys::{self, GeneratedKeys};
use postern_tests::app::{TestApp, spawn_app, spawn_app_with};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::support::{ISSUER, assert_error, jwt_part};

const JWKS: &str = "/.well-known/jwks.json";

on_both_backends!(
    login_with_a_key_pair_signs_eddsa_tokens_that_name_the_key,
    jwks_lists_the_key_and_its_public_part_verifies_a_token,
    after_rotation_a_previous_key_still_verifies_and_the_new_key_signs,
    a_token_of_a_key_removed_from_the_previous_list_is_unauthorized,
    with_hs256_the_jwks_is_an_empty_set,
);

/// A key pair in a directory of its own, removed with it.
struct Key {
    _dir: TempDir,
    files: GeneratedKeys,
}

impl Key {
    fn generate() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let files = keys::generate(dir.path()).unwrap();
        Self { _dir: dir, files }
    }

    fn kid(&self) -> &str {
        &self.files.kid
    }

    fn private_path(&self) -> &str {
        self.files.private_key.to_str().unwrap()
    }

    fn public_path(&self) -> &str {
        self.files.public_key.to_str().unwrap()
    }
}

/// Variables that sign with `current`, accept `previous` too, and unset the test secret.
fn signing_with<'a>(current: &'a Key, previous: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("JWT_SECRET", ""),
        ("JWT_PRIVATE_KEY_FILE", current.private_path()),
        ("JWT_PREVIOUS_PUBLIC_KEY_FILES", previous),
    ]
}

async fn spawn_signing_with(backend: Backend, key: &Key) -> TestApp {
    spawn_app_with(backend, &signing_with(key, "")).await
}

fn header_kid(token: &str) -> Value {
    jwt_part(token, 0)["kid"].clone()
}

async fn login_with_a_key_pair_signs_eddsa_tokens_that_name_the_key(backend: Backend) {
    let key = Key::generate();
    let app = spawn_signing_with(backend, &key).await;

    let session = app.signed_in_user().await;

    let header = jwt_part(&session.access, 0);
    assert_eq!(header["alg"], json!("EdDSA"));
    assert_eq!(header["kid"], json!(key.kid()));
    let me = app.me(&session.access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
}

async fn jwks_lists_the_key_and_its_public_part_verifies_a_token(backend: Backend) {
    let key = Key::generate();
    let app = spawn_signing_with(backend, &key).await;
    let session = app.signed_in_user().await;

    let res = app.get(JWKS, None).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("cache-control"), Some("public, max-age=300"));
    let published = &res.body["keys"][0];
    assert_eq!(
        res.body["keys"].as_array().unwrap().len(),
        1,
        "{}",
        res.text
    );
    assert_eq!(published["kid"], json!(key.kid()));
    assert_eq!(published["alg"], json!("EdDSA"));
    assert_eq!(published["use"], json!("sig"));
    assert_eq!(published["kty"], json!("OKP"));
    assert_eq!(published["crv"], json!("Ed25519"));
    assert!(
        res.body.get("success").is_none(),
        "not an envelope: {}",
        res.text
    );
    let set: JwkSet = serde_json::from_value(res.body.clone()).unwrap();
    let jwk = set.find(key.kid()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[ISSUER]);
    let verified = jsonwebtoken::decode::<Value>(
        &session.access,
        &DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(verified.claims["sub"], json!(session.user_id));
}

async fn after_rotation_a_previous_key_still_verifies_and_the_new_key_signs(backend: Backend) {
    let (old_key, new_key) = (Key::generate(), Key::generate());
    let before = spawn_signing_with(backend, &old_key).await;
    let session = before.signed_in_user().await;

    let after = before
        .reconfigured(&signing_with(&new_key, old_key.public_path()))
        .await;
    before.stop().await;

    let me = after.me(&session.access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let fresh = after.login_as(&session.email).await;
    assert_eq!(header_kid(&fresh.access), json!(new_key.kid()));
    let kids: Vec<Value> = after.get(JWKS, None).await.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(kids, [json!(new_key.kid()), json!(old_key.kid())]);
}

async fn a_token_of_a_key_removed_from_the_previous_list_is_unauthorized(backend: Backend) {
    let (old_key, new_key) = (Key::generate(), Key::generate());
    let before = spawn_signing_with(backend, &old_key).await;
    let session = before.signed_in_user().await;

    let after = before.reconfigured(&signing_with(&new_key, "")).await;
    before.stop().await;

    let res = after.me(&session.access).await;
    assert_error(&res, StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn with_hs256_the_jwks_is_an_empty_set(backend: Backend) {
    let app = spawn_app(backend).await;

    let res = app.get(JWKS, None).await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({"keys": []}));
}
