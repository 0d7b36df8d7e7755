//! `postern-oidc` against a real OpenID Provider (`oidc-provider`, see
//! `postern_tests::oidc_provider`) in a real headless browser: the browser follows the
//! authorize URL, signs in and consents, and lands on a local redirect URI; the adapter then
//! exchanges the code and validates the ID token. The refusals use real tokens and codes of
//! that provider: another authorization's nonce, another client's audience, a code used twice,
//! a tampered signature, and a key rotation that the adapter must follow.

use postern_core::ports::{
    AuthorizationRequest, IdentityProviderError, IdentityProviders, PendingAuthorization,
    TokenRefusal,
};
use postern_oidc::{DiscoveryError, DiscoveryFailure, OidcProviders, providers_from};
use postern_tests::oidc_provider::{
    Account, CLIENT_ID, CLIENT_SECRET, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, OidcProvider,
    UNVERIFIED, VERIFIED,
};
use serde_json::Value;

/// The provider's name in the adapter's settings.
const NAME: &str = "local";

/// The adapter, configured for `issuer` as the client `client_id`.
async fn adapter(issuer: &str, client_id: &str, secret: &str) -> OidcProviders {
    let settings = providers_from(|variable| {
        let value = match variable {
            "OIDC_PROVIDERS" => NAME,
            "OIDC_LOCAL_ISSUER" => issuer,
            "OIDC_LOCAL_CLIENT_ID" => client_id,
            "OIDC_LOCAL_CLIENT_SECRET" => secret,
            "OIDC_LOCAL_DISPLAY_NAME" => "Local provider",
            _ => return None,
        };
        Some(value.to_owned())
    })
    .unwrap();
    OidcProviders::discover(settings).await.unwrap()
}

/// Our adapter, for the shared provider.
async fn ours(provider: &OidcProvider) -> OidcProviders {
    adapter(&provider.issuer, CLIENT_ID, CLIENT_SECRET).await
}

/// Starts an authorization and signs `account` in; the request and the code that came back.
async fn signed_in(
    provider: &OidcProvider,
    adapter: &OidcProviders,
    account: Account,
) -> (AuthorizationRequest, String) {
    let request = adapter.authorization(NAME, &provider.redirect_uri).unwrap();
    let code = provider
        .sign_in(&request.url, request.pending.state.as_str(), account)
        .await;
    (request, code)
}

/// Exchanges `code` at the provider's token endpoint as `client_id`, as the adapter would;
/// the raw ID token.
async fn raw_id_token(
    provider: &OidcProvider,
    pending: &PendingAuthorization,
    code: &str,
    (client_id, secret): (&str, &str),
) -> String {
    let response: Value = reqwest::Client::new()
        .post(format!("{}/token", provider.issuer))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &pending.redirect_uri),
            ("code_verifier", pending.pkce_verifier.expose()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["id_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no ID token in {response}"))
        .to_owned()
}

fn refusal(result: Result<impl std::fmt::Debug, IdentityProviderError>) -> TokenRefusal {
    match result {
        Err(IdentityProviderError::TokenRefused { reason, .. }) => reason,
        other => panic!("expected a refused ID token, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_gives_the_identity_the_provider_verified() {
    let provider = OidcProvider::shared();
    let adapter = ours(provider).await;
    let (request, code) = signed_in(provider, &adapter, VERIFIED).await;

    let identity = adapter
        .complete(NAME, &code, &request.pending)
        .await
        .unwrap();

    assert_eq!(identity.provider.as_str(), NAME);
    assert_eq!(identity.subject.as_str(), VERIFIED.login);
    assert_eq!(identity.email.unwrap().as_str(), VERIFIED.email);
    assert!(identity.email_verified);
    assert_eq!(identity.name.as_deref(), Some(VERIFIED.name));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorize_url_carries_state_nonce_and_an_s256_challenge() {
    let provider = OidcProvider::shared();
    let adapter = ours(provider).await;

    let request = adapter.authorization(NAME, &provider.redirect_uri).unwrap();

    let url = reqwest::Url::parse(&request.url).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert!(
        request
            .url
            .starts_with(&format!("{}/auth?", provider.issuer))
    );
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["scope"], "openid email profile");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["state"], request.pending.state.as_str());
    assert_eq!(query["nonce"], request.pending.nonce.as_str());
    assert_eq!(query["redirect_uri"], provider.redirect_uri);
    assert!(!request.url.contains(request.pending.pkce_verifier.expose()));
    let again = adapter.authorization(NAME, &provider.redirect_uri).unwrap();
    assert_ne!(again.pending.state, request.pending.state);
    assert_ne!(again.pending.nonce, request.pending.nonce);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_email_is_not_taken_as_verified() {
    let provider = OidcProvider::shared();
    let adapter = ours(provider).await;
    let (request, code) = signed_in(provider, &adapter, UNVERIFIED).await;

    let identity = adapter
        .complete(NAME, &code, &request.pending)
        .await
        .unwrap();

    assert_eq!(identity.subject.as_str(), UNVERIFIED.login);
    assert_eq!(identity.email.unwrap().as_str(), UNVERIFIED.email);
    assert!(!identity.email_verified);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_completes_only_once() {
    let provider = OidcProvider::shared();
    let adapter = ours(provider).await;
    let (request, code) = signed_in(provider, &adapter, VERIFIED).await;
    adapter
        .complete(NAME, &code, &request.pending)
        .await
        .unwrap();

    let again = adapter.complete(NAME, &code, &request.pending).await;

    assert!(
        matches!(again, Err(IdentityProviderError::CodeRefused { .. })),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_of_another_authorization_is_refused_for_its_nonce() {
    let provider = OidcProvider::shared();
    let adapter = ours(provider).await;
    let other = adapter.authorization(NAME, &provider.redirect_uri).unwrap();
    let (request, code) = signed_in(provider, &adapter, VERIFIED).await;
    // The verifier is right, so the code exchange passes; only the nonce is another's.
    let mixed = PendingAuthorization {
        nonce: other.pending.nonce,
        ..request.pending
    };

    let result = adapter.complete(NAME, &code, &mixed).await;

    assert_eq!(refusal(result), TokenRefusal::NonceMismatch);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_refused_with_another_authorizations_verifier() {
    let provider = OidcProvider::shared();
    let adapter = ours(provider).await;
    let other = adapter.authorization(NAME, &provider.redirect_uri).unwrap();
    let (_, code) = signed_in(provider, &adapter, VERIFIED).await;

    let result = adapter.complete(NAME, &code, &other.pending).await;

    assert!(
        matches!(result, Err(IdentityProviderError::CodeRefused { .. })),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_for_another_client_is_refused_for_its_audience() {
    let provider = OidcProvider::shared();
    let theirs = adapter(&provider.issuer, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET).await;
    let (request, code) = signed_in(provider, &theirs, VERIFIED).await;
    let other_client = (OTHER_CLIENT_ID, OTHER_CLIENT_SECRET);
    let token = raw_id_token(provider, &request.pending, &code, other_client).await;

    let result = ours(provider)
        .await
        .verify_id_token(NAME, &token, &request.pending.nonce)
        .await;

    assert_eq!(refusal(result), TokenRefusal::WrongAudience);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clients_code_is_refused_by_the_provider() {
    let provider = OidcProvider::shared();
    let theirs = adapter(&provider.issuer, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET).await;
    let (request, code) = signed_in(provider, &theirs, VERIFIED).await;

    let result = ours(provider)
        .await
        .complete(NAME, &code, &request.pending)
        .await;

    assert!(
        matches!(result, Err(IdentityProviderError::CodeRefused { .. })),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_id_token_is_refused() {
    let provider = OidcProvider::shared();
    let adapter = ours(provider).await;
    let (request, code) = signed_in(provider, &adapter, VERIFIED).await;
    let token = raw_id_token(
        provider,
        &request.pending,
        &code,
        (CLIENT_ID, CLIENT_SECRET),
    )
    .await;
    let nonce = &request.pending.nonce;
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let forged = format!("{signed}.{flipped}{}", &signature[1..]);

    let genuine = adapter.verify_id_token(NAME, &token, nonce).await;
    let tampered = adapter.verify_id_token(NAME, &forged, nonce).await;

    assert_eq!(genuine.unwrap().subject.as_str(), VERIFIED.login);
    assert_eq!(refusal(tampered), TokenRefusal::BadSignature);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_signing_key_is_fetched_when_a_token_names_it() {
    let provider = OidcProvider::start();
    let adapter = ours(&provider).await;
    // The adapter knows the first key only; the restarted provider signs with a new one.
    provider.restart();
    let (request, code) = signed_in(&provider, &adapter, VERIFIED).await;

    let identity = adapter.complete(NAME, &code, &request.pending).await;

    assert_eq!(identity.unwrap().subject.as_str(), VERIFIED.login);
}

#[tokio::test]
async fn a_provider_that_cannot_be_discovered_is_named_in_the_error() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let settings = providers_from(|variable| match variable {
        "OIDC_PROVIDERS" => Some("broken".to_owned()),
        "OIDC_BROKEN_ISSUER" => Some(issuer.clone()),
        "OIDC_BROKEN_CLIENT_ID" | "OIDC_BROKEN_CLIENT_SECRET" => Some("x".to_owned()),
        _ => None,
    })
    .unwrap();

    let err = OidcProviders::discover(settings).await.unwrap_err();

    assert_eq!(
        err.to_string(),
        format!(
            "OpenID provider `broken`: discovery at {issuer}/.well-known/openid-configuration \
             failed: unreachable"
        )
    );
}

#[tokio::test]
async fn a_discovery_document_of_another_issuer_is_refused() {
    let provider = OidcProvider::shared();
    let elsewhere = provider.issuer.replace("127.0.0.1", "localhost");
    let settings = providers_from(|variable| match variable {
        "OIDC_PROVIDERS" => Some(NAME.to_owned()),
        "OIDC_LOCAL_ISSUER" => Some(elsewhere.clone()),
        "OIDC_LOCAL_CLIENT_ID" | "OIDC_LOCAL_CLIENT_SECRET" => Some("x".to_owned()),
        _ => None,
    })
    .unwrap();

    let err = OidcProviders::discover(settings).await.unwrap_err();

    assert!(
        matches!(&err, DiscoveryError::Provider {
            provider: name,
            failure: DiscoveryFailure::IssuerMismatch(named),
            ..
        } if name == NAME && *named == provider.issuer),
        "{err}"
    );
}

#[tokio::test]
async fn providers_are_listed_and_an_unknown_one_is_refused() {
    let adapter = ours(OidcProvider::shared()).await;

    let listed = adapter.providers();
    let unknown = adapter.authorization("nope", "http://127.0.0.1/callback");

    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name.as_str(), NAME);
    assert_eq!(listed[0].display_name, "Local provider");
    assert!(matches!(
        unknown,
        Err(IdentityProviderError::UnknownProvider(name)) if name == "nope"
    ));
}
