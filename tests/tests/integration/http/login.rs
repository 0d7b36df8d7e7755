//! docs/http-api.md §3 login: the access token a configured server issues carries the contract's
//! claims. The answer's shape, failures and rate limit are tested in process, in `postern-http`'s
//! own tests.

use postern_tests::app::spawn_app;
use postern_tests::db::Backend;
use serde_json::json;
use uuid::Uuid;

use super::support::{ISSUER, KEY_ID, jwt_part};

on_both_backends!(login_issues_an_access_token_with_the_contract_claims,);

async fn login_issues_an_access_token_with_the_contract_claims(backend: Backend) {
    let app = spawn_app(backend).await;

    let session = app.signed_in_user().await;

    let header = jwt_part(&session.access, 0);
    let claims = jwt_part(&session.access, 1);
    assert_eq!(header["alg"], json!("HS256"));
    assert_eq!(header["kid"], json!(KEY_ID));
    assert_eq!(claims["iss"], json!(ISSUER));
    assert_eq!(claims["aud"], json!(ISSUER));
    assert_eq!(claims["sub"], json!(session.user_id));
    assert_eq!(claims["email"], json!(session.email));
    assert_eq!(claims["role"], json!("user"));
    Uuid::parse_str(claims["sid"].as_str().expect("sid")).expect("sid is a uuid");
    Uuid::parse_str(claims["jti"].as_str().expect("jti")).expect("jti is a uuid");
    let iat = claims["iat"].as_i64().expect("iat");
    let exp = claims["exp"].as_i64().expect("exp");
    assert_eq!(exp - iat, 900);
}
