//! Sign-in with external providers over HTTP, on a fake provider (`support::providers`): the
//! redirects and their `?error=` codes, the exchange's envelopes, and the caller's identities.
//! The protocol against a real provider, in a real browser, is tested in `postern-tests`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::builder::APP_URL;
use crate::support::providers::{AUTHORIZE_URL, WRONG_AUDIENCE, WRONG_NONCE, code_for};
use crate::support::{PASSWORD, Reply, TestApp, assert_error, assert_invalid_fields};

/// `GET .../authorize?redirectTo=` for the `test` provider, and the `state` it sent along.
async fn authorize(app: &TestApp) -> String {
    let reply = app
        .get(
            &format!("/api/v1/auth/oauth/test/authorize?redirectTo={APP_URL}/done"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text);
    state_of(location(&reply))
}

fn location(reply: &Reply) -> &str {
    reply.header("location").expect("a Location header")
}

fn state_of(url: &str) -> String {
    let query = url.split_once('?').expect("a query").1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("state="))
        .expect("a state")
        .to_owned()
}

async fn callback(app: &TestApp, state: &str, code: &str) -> Reply {
    let path = format!("/api/v1/auth/oauth/test/callback?state={state}&code={code}");
    app.get(&path, None).await
}

/// A whole sign-in as `subject` with `email`: the one-time code the browser comes back with.
async fn sign_in_code(app: &TestApp, subject: &str, email: &str, verified: bool) -> String {
    let state = authorize(app).await;
    let reply = callback(app, &state, &code_for(subject, email, verified)).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text);
    let back = location(&reply);
    back.strip_prefix(&format!("{APP_URL}/done?code="))
        .unwrap_or_else(|| panic!("a code back at the app: {back}"))
        .to_owned()
}

async fn exchange(app: &TestApp, code: &str) -> Reply {
    app.post("/api/v1/auth/oauth/exchange", &json!({"code": code}), None)
        .await
}

/// The access token of a whole sign-in.
async fn signed_in(app: &TestApp, subject: &str, email: &str) -> String {
    let code = sign_in_code(app, subject, email, true).await;
    let reply = exchange(app, &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["data"]["accessToken"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

fn claims(access: &str) -> Value {
    let payload = access.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

#[tokio::test]
async fn the_configured_providers_are_listed_with_meta() {
    let app = TestApp::new();

    let reply = app.get("/api/v1/auth/providers", None).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["data"],
        json!([{"name": "test", "displayName": "Test IdP"}])
    );
    assert_eq!(reply.body["meta"]["limit"], 1);
}

#[tokio::test]
async fn authorize_redirects_to_the_provider() {
    let app = TestApp::new();

    let reply = app
        .get(
            &format!("/api/v1/auth/oauth/test/authorize?redirectTo={APP_URL}"),
            None,
        )
        .await;

    assert_eq!(reply.status, StatusCode::FOUND);
    assert!(location(&reply).starts_with(AUTHORIZE_URL), "{reply:?}");
    assert!(location(&reply).contains("/api/v1/auth/oauth/test/callback"));
}

#[tokio::test]
async fn authorize_refuses_a_target_outside_the_allow_list_a_missing_one_and_an_unknown_provider() {
    let app = TestApp::new();

    let outside = app
        .get(
            "/api/v1/auth/oauth/test/authorize?redirectTo=https://app.example.com.evil.test/",
            None,
        )
        .await;
    let missing = app.get("/api/v1/auth/oauth/test/authorize", None).await;
    let unknown = app
        .get(
            &format!("/api/v1/auth/oauth/nope/authorize?redirectTo={APP_URL}"),
            None,
        )
        .await;

    assert_error(&outside, StatusCode::BAD_REQUEST, "validation_error");
    assert_invalid_fields(&outside, &["redirectTo"]);
    assert_invalid_fields(&missing, &["redirectTo"]);
    assert_error(&unknown, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_new_identity_signs_up_and_its_code_works_once_for_a_federated_session() {
    let app = TestApp::new();
    let code = sign_in_code(&app, "alice", "alice@example.com", true).await;

    let first = exchange(&app, &code).await;
    let again = exchange(&app, &code).await;

    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let data = &first.body["data"];
    assert_eq!(data["user"]["email"], "alice@example.com");
    assert_eq!(data["user"]["emailVerified"], true);
    assert_eq!(data["tokenType"], "Bearer");
    let access = data["accessToken"].as_str().unwrap();
    assert_eq!(claims(access)["amr"], json!(["fed"]));
    assert_error(&again, StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn signing_in_again_reaches_the_same_account() {
    let app = TestApp::new();
    let first = signed_in(&app, "bob", "bob@example.com").await;

    let second = signed_in(&app, "bob", "bob@example.com").await;

    assert_eq!(claims(&first)["sub"], claims(&second)["sub"]);
}

#[tokio::test]
async fn an_unknown_or_replayed_state_is_400_invalid_state() {
    let app = TestApp::new();
    let state = authorize(&app).await;
    let code = code_for("carol", "carol@example.com", true);
    let used = callback(&app, &state, &code).await;

    let replayed = callback(&app, &state, &code).await;
    let tampered = callback(&app, &format!("{state}x"), &code).await;
    let missing = app
        .get("/api/v1/auth/oauth/test/callback?code=abc", None)
        .await;

    assert_eq!(used.status, StatusCode::FOUND);
    for reply in [&replayed, &tampered, &missing] {
        assert_error(reply, StatusCode::BAD_REQUEST, "invalid_state");
    }
}

#[tokio::test]
async fn a_refused_id_token_goes_back_with_error_invalid_id_token() {
    let app = TestApp::new();
    for code in [WRONG_NONCE, WRONG_AUDIENCE] {
        let state = authorize(&app).await;

        let reply = callback(&app, &state, code).await;

        assert_eq!(reply.status, StatusCode::FOUND);
        assert_eq!(
            location(&reply),
            format!("{APP_URL}/done?error=invalid_id_token")
        );
    }
}

#[tokio::test]
async fn the_providers_own_error_goes_back_as_access_denied() {
    let app = TestApp::new();
    let state = authorize(&app).await;

    let reply = app
        .get(
            &format!("/api/v1/auth/oauth/test/callback?state={state}&error=access_denied"),
            None,
        )
        .await;

    assert_eq!(
        location(&reply),
        format!("{APP_URL}/done?error=access_denied")
    );
}

#[tokio::test]
async fn a_password_account_with_the_same_address_is_not_taken_over() {
    let app = TestApp::new();
    let owner = app.signed_in_user().await;
    let state = authorize(&app).await;

    let reply = callback(&app, &state, &code_for("mallory", &owner.email, true)).await;

    assert_eq!(
        location(&reply),
        format!("{APP_URL}/done?error=account_exists")
    );
}

#[tokio::test]
async fn a_password_login_to_an_account_without_a_password_is_401_invalid_credentials() {
    let app = TestApp::new();
    signed_in(&app, "dave", "dave@example.com").await;

    let reply = app.login("dave@example.com", PASSWORD).await;

    assert_error(&reply, StatusCode::UNAUTHORIZED, "invalid_credentials");
}

#[tokio::test]
async fn a_bogus_exchange_code_is_401_and_a_missing_one_400() {
    let app = TestApp::new();

    let bogus = exchange(&app, "not-a-code").await;
    let missing = app
        .post("/api/v1/auth/oauth/exchange", &json!({}), None)
        .await;

    assert_error(&bogus, StatusCode::UNAUTHORIZED, "invalid_token");
    assert_invalid_fields(&missing, &["code"]);
}

#[tokio::test]
async fn identities_are_listed_linked_and_unlinked_but_never_the_last_way_in() {
    let app = TestApp::new();
    let access = signed_in(&app, "erin", "erin@example.com").await;

    let listed = app.get("/api/v1/user/identities", Some(&access)).await;
    let only = listed.body["data"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/user/identities/{only}");
    let refused = app.call(Method::DELETE, &path, None, Some(&access)).await;

    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body["data"][0]["provider"], "test");
    assert_eq!(listed.body["data"][0]["subject"], "erin");
    assert_error(&refused, StatusCode::CONFLICT, "last_sign_in_method");

    let start = app
        .post(
            "/api/v1/user/identities/test",
            &json!({"redirectTo": format!("{APP_URL}/linked")}),
            Some(&access),
        )
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let state = state_of(start.body["data"]["authorizeUrl"].as_str().unwrap());
    let linked = callback(&app, &state, &code_for("erin-2", "erin@work.test", false)).await;
    assert_eq!(location(&linked), format!("{APP_URL}/linked?linked=test"));

    let unlinked = app.call(Method::DELETE, &path, None, Some(&access)).await;
    let after = app.get("/api/v1/user/identities", Some(&access)).await;
    assert_eq!(unlinked.status, StatusCode::OK, "{}", unlinked.text);
    assert_eq!(after.body["data"][0]["subject"], "erin-2");
    assert_eq!(after.body["meta"]["limit"], 1);
}

#[tokio::test]
async fn linking_an_identity_of_another_account_goes_back_with_identity_in_use() {
    let app = TestApp::new();
    signed_in(&app, "frank", "frank@example.com").await;
    let other = app.signed_in_user().await;

    let start = app
        .post(
            "/api/v1/user/identities/test",
            &json!({"redirectTo": APP_URL}),
            Some(&other.access),
        )
        .await;
    let state = state_of(start.body["data"]["authorizeUrl"].as_str().unwrap());
    let reply = callback(&app, &state, &code_for("frank", "frank@example.com", true)).await;

    assert_eq!(location(&reply), format!("{APP_URL}?error=identity_in_use"));
}

#[tokio::test]
async fn unlinking_an_unknown_or_malformed_id_is_404() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;

    for id in ["not-a-uuid", "0190c3a0-0000-7000-8000-000000000000"] {
        let path = format!("/api/v1/user/identities/{id}");
        let reply = app
            .call(Method::DELETE, &path, None, Some(&user.access))
            .await;

        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn the_export_lists_the_callers_identities() {
    let app = TestApp::new();
    let access = signed_in(&app, "gina", "gina@example.com").await;

    let reply = app.get("/api/v1/user/export", Some(&access)).await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let identities = &reply.body["data"]["identities"];
    assert_eq!(identities[0]["provider"], "test");
    assert_eq!(identities[0]["subject"], "gina");
    assert_eq!(identities[0]["email"], "gina@example.com");
}
