//! What the HTTP tests share: checks of the docs/http-api.md §1 error envelope and the
//! docs/http-api.md §2 user object, and the parts of the access tokens a server issues.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use postern_tests::app::TestResponse;
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// The key id the server signs with and requires.
pub const KEY_ID: &str = "hs256-1";
/// The issuer and audience the test servers use (the defaults).
pub const ISSUER: &str = "postern";

/// The keys an error envelope may have (docs/http-api.md §1); `error` only on a 500 in development.
const ENVELOPE_KEYS: [&str; 4] = ["success", "code", "message", "details"];
/// The keys of a user object, and no others (docs/http-api.md §2).
const USER_KEYS: [&str; 7] = [
    "id",
    "email",
    "name",
    "role",
    "emailVerified",
    "createdAt",
    "updatedAt",
];

/// Asserts that `res` is a docs/http-api.md §1 error envelope with `status` and `code`: `success`
/// false, a sentence in `message`, JSON, and `details` only on a validation error.
pub fn assert_error(res: &TestResponse, status: StatusCode, code: &str) {
    assert_eq!(res.status, status, "status of {}", res.text);
    assert_eq!(res.body["success"], json!(false), "{}", res.text);
    assert_eq!(res.code(), code, "{}", res.text);
    let message = res.body["message"].as_str().unwrap_or_default();
    assert!(!message.trim().is_empty(), "no message in {}", res.text);
    assert!(
        res.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "content type {:?}",
        res.header("content-type")
    );
    let object = res.body.as_object().expect("an object");
    for key in object.keys() {
        assert!(ENVELOPE_KEYS.contains(&key.as_str()), "extra key {key}");
    }
    match res.body.get("details") {
        None => {}
        Some(details) => {
            assert_eq!(code, "validation_error", "details on {code}: {}", res.text);
            let details = details.as_array().expect("details is an array");
            assert!(!details.is_empty(), "empty details in {}", res.text);
            for detail in details {
                assert!(detail["field"].as_str().is_some_and(|f| !f.is_empty()));
                assert!(detail["message"].as_str().is_some_and(|m| !m.is_empty()));
            }
        }
    }
}

/// Asserts a 400 `validation_error` whose first detail names `field`.
pub fn assert_invalid_field(res: &TestResponse, field: &str) {
    assert_error(res, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(
        res.body["details"][0]["field"],
        json!(field),
        "details of {}",
        res.text
    );
}

/// Asserts that `user` is a docs/http-api.md §2 user object for `email` with the `user` role, and
/// nothing more.
pub fn assert_user(user: &Value, email: &str) {
    let object = user.as_object().expect("user is an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = USER_KEYS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "keys of {user}");
    Uuid::parse_str(user["id"].as_str().expect("id")).expect("id is a uuid");
    assert_eq!(user["email"], json!(email));
    assert_eq!(user["role"], json!("user"));
    assert_eq!(user["emailVerified"], json!(false));
    for stamp in ["createdAt", "updatedAt"] {
        let text = user[stamp].as_str().expect(stamp);
        OffsetDateTime::parse(text, &Rfc3339)
            .unwrap_or_else(|e| panic!("{stamp} {text:?} is not RFC 3339: {e}"));
    }
}

/// Every key anywhere in `value`, at any depth, lower-cased.
pub fn all_keys(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| std::iter::once(k.to_lowercase()).chain(all_keys(v)))
            .collect(),
        Value::Array(items) => items.iter().flat_map(all_keys).collect(),
        _ => Vec::new(),
    }
}

/// The decoded JSON of a JWT's part: 0 the header, 1 the claims. Not verified.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}
