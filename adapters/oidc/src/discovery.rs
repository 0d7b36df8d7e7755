//! OpenID Connect Discovery: a provider's endpoints and algorithms, read once at start-up from
//! `{issuer}/.well-known/openid-configuration`.

use serde::Deserialize;
use url::Url;

/// The discovery document's fields this adapter uses.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Metadata {
    /// The issuer, which MUST equal the configured one (OpenID Connect Discovery 1.0, 4.3).
    pub issuer: String,
    /// Where to send the browser.
    pub authorization_endpoint: Url,
    /// Where to exchange the code.
    pub token_endpoint: Url,
    /// Where the signing keys are published.
    pub jwks_uri: Url,
    /// The ID token signing algorithms; RS256 when absent (its default in the specification).
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// How clients may authenticate at the token endpoint; `client_secret_basic` when absent
    /// (its default in the specification).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

impl Metadata {
    /// Whether the client secret goes in the form body rather than in HTTP Basic
    /// authentication: only when the provider does not take Basic but takes the form.
    pub(crate) fn secret_in_body(&self) -> bool {
        let supports = |method: &str| {
            self.token_endpoint_auth_methods_supported
                .iter()
                .any(|supported| supported == method)
        };
        !self.token_endpoint_auth_methods_supported.is_empty()
            && !supports("client_secret_basic")
            && supports("client_secret_post")
    }
}

/// Why a provider's discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryFailure {
    /// The document, or the key set it points to, could not be fetched.
    #[error("unreachable")]
    Unreachable(#[source] reqwest::Error),
    /// The provider answered with an error status.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The answer is not a discovery document (or a key set) this adapter can use.
    #[error("malformed answer")]
    Malformed(#[source] reqwest::Error),
    /// The document names another issuer.
    #[error("the document names issuer `{0}`")]
    IssuerMismatch(String),
}

/// Where the discovery document of `issuer` is.
pub(crate) fn document_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Fetches and checks the discovery document of `issuer`.
pub(crate) async fn discover(
    client: &reqwest::Client,
    issuer: &str,
) -> Result<Metadata, DiscoveryFailure> {
    let metadata: Metadata = get_json(client, &document_url(issuer)).await?;
    if metadata.issuer != issuer {
        return Err(DiscoveryFailure::IssuerMismatch(metadata.issuer));
    }
    Ok(metadata)
}

/// GETs `url` and parses its JSON answer.
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
) -> Result<T, DiscoveryFailure> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(DiscoveryFailure::Unreachable)?;
    if !response.status().is_success() {
        return Err(DiscoveryFailure::Status(response.status().as_u16()));
    }
    response.json().await.map_err(DiscoveryFailure::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(auth_methods: &[&str]) -> Metadata {
        serde_json::from_value(serde_json::json!({
            "issuer": "https://id.example.com",
            "authorization_endpoint": "https://id.example.com/auth",
            "token_endpoint": "https://id.example.com/token",
            "jwks_uri": "https://id.example.com/jwks",
            "token_endpoint_auth_methods_supported": auth_methods,
        }))
        .unwrap()
    }

    #[test]
    fn the_secret_goes_in_the_body_only_for_providers_without_basic_authentication() {
        assert!(!metadata(&[]).secret_in_body());
        assert!(!metadata(&["client_secret_basic", "client_secret_post"]).secret_in_body());
        assert!(metadata(&["client_secret_post", "private_key_jwt"]).secret_in_body());
    }

    #[test]
    fn the_document_is_under_the_issuer_with_or_without_a_trailing_slash() {
        assert_eq!(
            document_url("https://id.example.com/tenant/"),
            "https://id.example.com/tenant/.well-known/openid-configuration"
        );
        assert_eq!(
            document_url("https://id.example.com"),
            "https://id.example.com/.well-known/openid-configuration"
        );
    }
}
