//! Sign-in with external providers (docs/http-api.md §11) end to end: a real server configured
//! with a real OpenID Provider (`postern_tests::oidc_provider`, two clients of it as the
//! providers `idp` and `idp2`), and a real headless browser that follows the redirects, signs
//! in and consents, and lands back where the sign-in started, on the provider harness's
//! listener, which records what the server sent it (`?code=`, `?linked=`, `?error=`).

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use postern_tests::app::{TestApp, spawn_app_with};
use postern_tests::db::Backend;
use postern_tests::oidc_provider::{
    Account, CLIENT_ID, CLIENT_SECRET, Callbacks, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET,
    OidcProvider, Query, UNVERIFIED, VERIFIED,
};
use postern_tests::redis::free_port;
use reqwest::{Method, StatusCode, Url};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

on_both_backends!(
    a_new_user_signs_up_through_a_provider_signs_in_again_and_links_a_second_one,
    a_password_account_with_the_same_unverified_email_is_not_taken_over,
    tampered_and_replayed_states_and_foreign_targets_are_refused,
    an_id_token_with_another_nonce_than_the_flow_stored_is_refused,
    a_login_code_past_its_sixty_seconds_is_refused,
);

/// A server whose providers `idp` and `idp2` are two clients of one real provider.
struct Federation {
    provider: OidcProvider,
    app: TestApp,
}

/// The callbacks of a server at `base`, which the provider's clients must accept.
fn callbacks_of(base: &str) -> Vec<String> {
    ["idp", "idp2"]
        .map(|name| format!("{base}/api/v1/auth/oauth/{name}/callback"))
        .to_vec()
}

/// The `OIDC_*` settings of `idp` and `idp2` at `issuer`, and the allow-list of `landing`.
fn settings(issuer: &str, landing: &str) -> Vec<(String, String)> {
    [
        ("OIDC_PROVIDERS", "idp,idp2"),
        ("OIDC_IDP_ISSUER", issuer),
        ("OIDC_IDP_CLIENT_ID", CLIENT_ID),
        ("OIDC_IDP_CLIENT_SECRET", CLIENT_SECRET),
        ("OIDC_IDP_DISPLAY_NAME", "Local IdP"),
        ("OIDC_IDP2_ISSUER", issuer),
        ("OIDC_IDP2_CLIENT_ID", OTHER_CLIENT_ID),
        ("OIDC_IDP2_CLIENT_SECRET", OTHER_CLIENT_SECRET),
        ("OAUTH_REDIRECT_ALLOWLIST", landing),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .to_vec()
}

/// A server on `backend` listening on `port`, and a provider whose clients call it back
/// there, with `extra` variables (which may move the server elsewhere: `PORT`, `APP_URL`).
async fn federation(backend: Backend, port: u16, extra: &[(&str, &str)]) -> Federation {
    let base = format!("http://127.0.0.1:{port}");
    let callbacks = Callbacks::listen();
    let landing = callbacks.redirect_uri();
    let provider = OidcProvider::start_for(&callbacks_of(&base), callbacks);
    let port = port.to_string();
    let mut vars = settings(&provider.issuer, &landing);
    vars.push(("PORT".to_owned(), port));
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let borrowed: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(backend, &borrowed).await;
    Federation { provider, app }
}

impl Federation {
    /// Where a sign-in tagged `tag` lands: the harness's listener, which records it by `tag`.
    fn landing(&self, tag: &str) -> String {
        format!("{}?state={tag}", self.provider.callbacks.redirect_uri())
    }

    /// `GET /auth/oauth/{name}/authorize?redirectTo=` on `app`, as a URL.
    fn authorize_url(&self, app: &TestApp, name: &str, redirect_to: &str) -> String {
        let mut url =
            Url::parse(&app.url(&format!("/api/v1/auth/oauth/{name}/authorize"))).unwrap();
        url.query_pairs_mut().append_pair("redirectTo", redirect_to);
        url.into()
    }

    /// Signs `account` in at `name` through `app`'s authorize route: where the browser landed.
    async fn sign_in_via(&self, app: &TestApp, name: &str, account: Account) -> Query {
        let tag = uuid::Uuid::new_v4().to_string();
        let url = self.authorize_url(app, name, &self.landing(&tag));
        self.provider.sign_in_landing(&url, &tag, account).await
    }

    /// A whole sign-in of `account` at `idp`, exchanged: the login answer's `data`.
    async fn signed_in(&self, account: Account) -> Value {
        let landed = self.sign_in_via(&self.app, "idp", account).await;
        let code = landed
            .get("code")
            .unwrap_or_else(|| panic!("no code: {landed:?}"));
        let reply = exchange(&self.app, code).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["data"].clone()
    }
}

async fn exchange(app: &TestApp, code: &str) -> postern_tests::app::TestResponse {
    app.post("/api/v1/auth/oauth/exchange", json!({"code": code}), None)
        .await
}

fn claims(access: &str) -> Value {
    let payload = access.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn access_of(data: &Value) -> String {
    data["accessToken"].as_str().unwrap().to_owned()
}

/// A client that does not follow redirects, to read them.
fn not_following() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// The export of `access`'s account once it holds a `user.logged_in` event; delivery to the
/// audit log runs beside the server.
async fn export_with_login_event(app: &TestApp, access: &str) -> Value {
    let started = Instant::now();
    loop {
        let export = app.get("/api/v1/user/export", Some(access)).await;
        assert_eq!(export.status, StatusCode::OK, "{}", export.text);
        let data = export.body["data"].clone();
        let logged_in = data["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["type"] == "user.logged_in");
        if logged_in || started.elapsed() > Duration::from_secs(10) {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_new_user_signs_up_through_a_provider_signs_in_again_and_links_a_second_one(
    backend: Backend,
) {
    let fed = federation(backend, free_port(), &[]).await;
    let providers = fed.app.get("/api/v1/auth/providers", None).await;
    assert_eq!(
        providers.body["data"],
        json!([{"name": "idp", "displayName": "Local IdP"}, {"name": "idp2", "displayName": "idp2"}])
    );

    let first = fed.signed_in(VERIFIED).await;
    assert_eq!(first["user"]["email"], VERIFIED.email);
    assert_eq!(first["user"]["emailVerified"], true);
    let access = access_of(&first);
    assert_eq!(claims(&access)["amr"], json!(["fed"]));

    let again = fed.signed_in(VERIFIED).await;
    assert_eq!(again["user"]["id"], first["user"]["id"]);
    let refreshed = fed
        .app
        .refresh(again["refreshToken"].as_str().unwrap())
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_eq!(
        claims(&access_of(&refreshed.body["data"]))["amr"],
        json!(["fed"])
    );

    let start = fed
        .app
        .post(
            "/api/v1/user/identities/idp2",
            json!({"redirectTo": fed.landing("link")}),
            Some(&access),
        )
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let url = start.body["data"]["authorizeUrl"].as_str().unwrap();
    let linked = fed.provider.sign_in_landing(url, "link", VERIFIED).await;
    assert_eq!(
        linked.get("linked").map(String::as_str),
        Some("idp2"),
        "{linked:?}"
    );

    let listed = fed.app.get("/api/v1/user/identities", Some(&access)).await;
    let identities = listed.body["data"].as_array().unwrap().clone();
    let providers: Vec<&str> = identities
        .iter()
        .map(|i| i["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers, ["idp", "idp2"]);
    let path = |identity: &Value| {
        format!(
            "/api/v1/user/identities/{}",
            identity["id"].as_str().unwrap()
        )
    };
    let unlinked = fed
        .app
        .send(Method::DELETE, &path(&identities[0]), None, Some(&access))
        .await;
    assert_eq!(unlinked.status, StatusCode::OK, "{}", unlinked.text);
    let last = fed
        .app
        .send(Method::DELETE, &path(&identities[1]), None, Some(&access))
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.text);
    assert_eq!(last.code(), "last_sign_in_method");

    let export = export_with_login_event(&fed.app, &access).await;
    assert_eq!(export["identities"][0]["provider"], "idp2");
    assert_eq!(export["identities"][0]["subject"], VERIFIED.login);
    let login_events: Vec<&Value> = export["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["type"] == "user.logged_in")
        .collect();
    assert!(!login_events.is_empty(), "{export}");
    assert!(
        login_events
            .iter()
            .all(|event| event["data"]["provider"] == "idp"),
        "{export}"
    );
}

async fn a_password_account_with_the_same_unverified_email_is_not_taken_over(backend: Backend) {
    let fed = federation(backend, free_port(), &[]).await;
    let signup = fed
        .app
        .signup(VERIFIED.email, "correct horse battery")
        .await;
    assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.text);

    let landed = fed.sign_in_via(&fed.app, "idp", VERIFIED).await;

    assert_eq!(
        landed.get("error").map(String::as_str),
        Some("account_exists"),
        "{landed:?}"
    );
    assert!(!landed.contains_key("code"));
    let new_account = fed.sign_in_via(&fed.app, "idp", UNVERIFIED).await;
    let reply = exchange(&fed.app, &new_account["code"]).await;
    assert_eq!(
        reply.body["data"]["user"]["emailVerified"], false,
        "{}",
        reply.text
    );
    let twice = exchange(&fed.app, &new_account["code"]).await;
    assert_eq!(twice.status, StatusCode::UNAUTHORIZED);
    assert_eq!(twice.code(), "invalid_token");
}

async fn tampered_and_replayed_states_and_foreign_targets_are_refused(backend: Backend) {
    let fed = federation(backend, free_port(), &[]).await;
    let http = not_following();
    let foreign = fed.authorize_url(&fed.app, "idp", "https://evil.test/");
    let refused = http.get(&foreign).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let started = http
        .get(fed.authorize_url(&fed.app, "idp", &fed.landing("replay")))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::FOUND);
    let to_provider = started.headers()["location"].to_str().unwrap().to_owned();
    let state = Url::parse(&to_provider)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
    let landed = fed
        .provider
        .sign_in_landing(&to_provider, "replay", VERIFIED)
        .await;
    assert!(landed.contains_key("code"), "{landed:?}");

    for tried in [state.clone(), format!("{state}x")] {
        let reply = fed
            .app
            .get(
                &format!("/api/v1/auth/oauth/idp/callback?state={tried}&code=any"),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
        assert_eq!(reply.code(), "invalid_state");
    }
}

/// The provider signs the nonce it was sent; the flow's stored nonce is changed between the
/// redirect and the callback, so the ID token's nonce is not the flow's: the callback refuses
/// it, and the browser lands on the target with the error and no code.
async fn an_id_token_with_another_nonce_than_the_flow_stored_is_refused(backend: Backend) {
    let fed = federation(backend, free_port(), &[]).await;
    let started = not_following()
        .get(fed.authorize_url(&fed.app, "idp", &fed.landing("nonce")))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::FOUND);
    let to_provider = started.headers()["location"].to_str().unwrap().to_owned();
    let changed = fed
        .app
        .db
        .execute_raw(Statement::from_string(
            fed.app.db.get_database_backend(),
            "UPDATE pending_sign_ins SET nonce = 'not-the-nonce-the-provider-was-sent'",
        ))
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 1);

    let landed = fed
        .provider
        .sign_in_landing(&to_provider, "nonce", VERIFIED)
        .await;

    assert_eq!(
        landed.get("error").map(String::as_str),
        Some("invalid_id_token"),
        "{landed:?}"
    );
    assert!(!landed.contains_key("code"), "{landed:?}");
}

/// A code's 60 seconds are over once its expiry is in the past: the exchange refuses it as it
/// refuses an unknown one. (Waiting the minute out is the store's contract test's job.)
async fn a_login_code_past_its_sixty_seconds_is_refused(backend: Backend) {
    let fed = federation(backend, free_port(), &[]).await;
    let landed = fed.sign_in_via(&fed.app, "idp", VERIFIED).await;
    let a_second_ago = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let changed = fed
        .app
        .db
        .execute_raw(Statement::from_sql_and_values(
            fed.app.db.get_database_backend(),
            "UPDATE login_codes SET expires_at = $1",
            [a_second_ago.into()],
        ))
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 1);

    let reply = exchange(&fed.app, &landed["code"]).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.code(), "invalid_token");
}

/// Two instances on PostgreSQL behind one public address (`APP_URL`, where the provider calls
/// back, which is B's): the flow starts on A, and its callback reaches B, which finds the
/// pending sign-in A stored; the code B issued is exchanged on A.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flow_started_on_one_instance_completes_on_another() {
    let b_port = free_port();
    let public = format!("http://127.0.0.1:{b_port}");
    let a = federation(
        Backend::Postgres,
        b_port,
        &[("APP_URL", &public), ("PORT", "0")],
    )
    .await;
    let b = a.app.reconfigured(&[("PORT", &b_port.to_string())]).await;

    let landed = a.sign_in_via(&a.app, "idp", VERIFIED).await;
    let reply = exchange(&a.app, &landed["code"]).await;

    assert_ne!(a.app.addr, b.addr);
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let access = access_of(&reply.body["data"]);
    assert_eq!(b.me(&access).await.status, StatusCode::OK);
}

/// `postern serve` with a provider whose issuer answers nothing does not start, and says which
/// provider and which setting to look at.
#[tokio::test]
async fn a_provider_that_cannot_be_discovered_stops_the_start_naming_it() {
    let data_dir = tempfile::tempdir().unwrap();
    let dead_issuer = format!("http://127.0.0.1:{}", free_port());
    let vars = [
        ("PORT", "0"),
        ("POSTERN_DATA_DIR", data_dir.path().to_str().unwrap()),
        ("JWT_SECRET", postern_tests::app::TEST_JWT_SECRET),
        ("MFA_ENCRYPTION_KEY", postern_tests::app::TEST_MFA_KEY),
        ("OIDC_PROVIDERS", "acme"),
        ("OIDC_ACME_ISSUER", &dead_issuer),
        ("OIDC_ACME_CLIENT_ID", CLIENT_ID),
        ("OIDC_ACME_CLIENT_SECRET", CLIENT_SECRET),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()));
    let config = postern::config::Config::from_vars(vars.into_iter().collect()).unwrap();

    let started =
        postern::server::start_with(&config, postern::server::ServeOptions::default()).await;

    let Err(error) = started else {
        panic!("the server started without its provider");
    };
    let message = format!("{error:#}");
    assert!(message.contains("OIDC_PROVIDERS"), "{message}");
    assert!(message.contains("`acme`"), "{message}");
    assert!(message.contains(&dead_issuer), "{message}");
}
