//! `OIDC_*` and `OAUTH_REDIRECT_ALLOWLIST`: read, checked naming the variable to fix, described
//! with the client secrets redacted, and accepted from a configuration file.

use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::sources::{Variables, read};
use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

const GOOGLE: &[(&str, &str)] = &[
    ("OIDC_PROVIDERS", "google"),
    ("OIDC_GOOGLE_ISSUER", "https://accounts.google.com"),
    ("OIDC_GOOGLE_CLIENT_ID", "postern.apps.example"),
    ("OIDC_GOOGLE_CLIENT_SECRET", "very-secret-client-secret"),
    ("OIDC_GOOGLE_DISPLAY_NAME", "Google"),
];

#[test]
fn providers_are_read_and_described_with_their_secret_redacted() {
    let config = Config::from_vars(vars(GOOGLE)).unwrap();

    let google = &config.oidc_providers[0];
    assert_eq!(google.name.as_str(), "google");
    assert_eq!(
        google.client_secret.expose_secret(),
        "very-secret-client-secret"
    );
    let described = config.describe();
    for expected in [
        "OIDC_PROVIDERS = google\n",
        "OIDC_GOOGLE_ISSUER = https://accounts.google.com\n",
        "OIDC_GOOGLE_CLIENT_ID = postern.apps.example\n",
        "OIDC_GOOGLE_CLIENT_SECRET = [redacted]\n",
        "OIDC_GOOGLE_SCOPES = openid email profile\n",
        "OIDC_GOOGLE_DISPLAY_NAME = Google\n",
    ] {
        assert!(described.contains(expected), "{expected}: {described}");
    }
    assert!(!described.contains("very-secret"), "{described}");
}

#[test]
fn no_provider_and_the_app_url_as_allow_list_by_default() {
    let config = Config::from_vars(HashMap::new()).unwrap();

    assert!(config.oidc_providers.is_empty());
    assert_eq!(config.redirect_allow_list(), ["http://127.0.0.1:8080"]);
    let described = config.describe();
    assert!(
        described.contains("OIDC_PROVIDERS = (unset: no sign-in with external providers)\n"),
        "{described}"
    );
    assert!(
        described.contains("OAUTH_REDIRECT_ALLOWLIST = (unset: APP_URL, http://127.0.0.1:8080)\n"),
        "{described}"
    );
}

#[test]
fn the_allow_list_is_read_and_a_bad_prefix_names_the_variable() {
    let config = Config::from_vars(vars(&[(
        "OAUTH_REDIRECT_ALLOWLIST",
        "https://app.example.com, https://admin.example.com/back/",
    )]))
    .unwrap();
    let err =
        Config::from_vars(vars(&[("OAUTH_REDIRECT_ALLOWLIST", "app.example.com")])).unwrap_err();

    assert_eq!(
        config.redirect_allow_list(),
        ["https://app.example.com", "https://admin.example.com/back"]
    );
    assert_eq!(err.variable, "OAUTH_REDIRECT_ALLOWLIST", "{err}");
}

#[test]
fn a_provider_missing_a_setting_names_the_variable() {
    let without_secret: Vec<(&str, &str)> = GOOGLE
        .iter()
        .copied()
        .filter(|(name, _)| *name != "OIDC_GOOGLE_CLIENT_SECRET")
        .collect();

    let missing = Config::from_vars(vars(&without_secret)).unwrap_err();
    let bad_name = Config::from_vars(vars(&[("OIDC_PROVIDERS", "Google")])).unwrap_err();

    assert_eq!(missing.variable, "OIDC_GOOGLE_CLIENT_SECRET", "{missing}");
    assert_eq!(bad_name.variable, "OIDC_PROVIDERS", "{bad_name}");
}

#[test]
fn a_configuration_file_may_set_the_providers_variables() {
    let environment = Variables::new("the environment", HashMap::new());
    let file = Variables::new("/etc/postern.conf", vars(GOOGLE));

    let config = read(&environment, Some(&file)).unwrap().validate().unwrap();

    assert_eq!(config.oidc_providers.len(), 1);
}
