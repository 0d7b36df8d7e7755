//! [`OidcProviders`]: the configured providers, discovered at start-up, behind the core's
//! [`IdentityProviders`] port.

use std::borrow::Cow;

use async_trait::async_trait;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use postern_core::domain::Email;
use postern_core::ports::{
    AuthorizationRequest, AuthorizationState, ExternalIdentity, IdentityProviderError,
    IdentityProviders, Nonce, PendingAuthorization, PkceVerifier, ProviderInfo, Subject,
    TokenRefusal,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::discovery::{self, DiscoveryFailure};
use crate::http;
use crate::id_token::{Claims, IdTokenRules, VerifyError, accepted_algorithms};
use crate::keys::KeySet;
use crate::settings::ProviderSettings;

/// The token response's `id_token`, which plain OAuth 2.0 does not know.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct IdTokenField {
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

/// An OAuth 2.0 client with its authorize and token endpoints set.
type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    StandardTokenResponse<IdTokenField, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Why the providers could not be discovered at start-up.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// A provider's discovery document or key set could not be fetched or used; the message
    /// names the provider and the URL.
    #[error("OpenID provider `{provider}`: discovery at {url} failed: {failure}")]
    Provider {
        /// The provider's name.
        provider: String,
        /// The document (or key set) that could not be used.
        url: String,
        /// What went wrong.
        #[source]
        failure: DiscoveryFailure,
    },
    /// The HTTP client could not be built (no TLS backend).
    #[error("the HTTP client for OpenID providers could not be built")]
    Client(#[source] reqwest::Error),
}

/// One discovered provider.
#[derive(Debug)]
struct Provider {
    info: ProviderInfo,
    scopes: Vec<String>,
    oauth: OAuthClient,
    id_tokens: IdTokenRules,
}

/// The configured OpenID providers, each discovered (endpoints and keys) when built.
#[derive(Debug)]
pub struct OidcProviders {
    http: reqwest::Client,
    providers: Vec<Provider>,
}

impl OidcProviders {
    /// Discovers every provider of `settings`, in order.
    ///
    /// # Errors
    /// A [`DiscoveryError`] naming the first provider whose discovery document or key set
    /// cannot be fetched or used, or whose document names another issuer.
    pub async fn discover(settings: Vec<ProviderSettings>) -> Result<Self, DiscoveryError> {
        let http = http::client().map_err(DiscoveryError::Client)?;
        let mut providers = Vec::with_capacity(settings.len());
        for provider in settings {
            providers.push(discover_one(&http, provider).await?);
        }
        Ok(Self { http, providers })
    }

    /// Validates an ID token of `provider` against the rules [`IdentityProviders::complete`]
    /// applies after the code exchange, and reads the identity from it.
    ///
    /// # Errors
    /// As [`IdentityProviders::complete`], less the code exchange's.
    pub async fn verify_id_token(
        &self,
        provider: &str,
        id_token: &str,
        nonce: &Nonce,
    ) -> Result<ExternalIdentity, IdentityProviderError> {
        let provider = self.provider(provider)?;
        let claims = provider
            .id_tokens
            .verify(&self.http, id_token, nonce)
            .await
            .map_err(|err| match err {
                VerifyError::Refused(reason) => IdentityProviderError::TokenRefused {
                    provider: provider.info.name.clone(),
                    reason,
                },
                VerifyError::KeysUnreachable(err) => IdentityProviderError::Unreachable {
                    provider: provider.info.name.clone(),
                    source: err.into(),
                },
            })?;
        Ok(identity(provider, claims))
    }

    fn provider(&self, name: &str) -> Result<&Provider, IdentityProviderError> {
        self.providers
            .iter()
            .find(|provider| provider.info.name.as_str() == name)
            .ok_or_else(|| IdentityProviderError::UnknownProvider(name.to_owned()))
    }
}

/// Discovers one provider: its document, then its keys.
async fn discover_one(
    http: &reqwest::Client,
    settings: ProviderSettings,
) -> Result<Provider, DiscoveryError> {
    let failed = |url: &str| {
        let provider = settings.name.to_string();
        let url = url.to_owned();
        move |failure| DiscoveryError::Provider {
            provider,
            url,
            failure,
        }
    };
    let document = discovery::document_url(&settings.issuer);
    let metadata = discovery::discover(http, &settings.issuer)
        .await
        .map_err(failed(&document))?;
    let keys = KeySet::fetch(http, metadata.jwks_uri.clone())
        .await
        .map_err(failed(metadata.jwks_uri.as_str()))?;
    let auth_type = if metadata.secret_in_body() {
        AuthType::RequestBody
    } else {
        AuthType::BasicAuth
    };
    let oauth = oauth2::Client::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            settings.client_secret.expose_secret().to_owned(),
        ))
        .set_auth_type(auth_type)
        .set_auth_uri(AuthUrl::from_url(metadata.authorization_endpoint))
        .set_token_uri(TokenUrl::from_url(metadata.token_endpoint));
    Ok(Provider {
        info: ProviderInfo {
            name: settings.name,
            display_name: settings.display_name,
        },
        scopes: settings.scopes,
        oauth,
        id_tokens: IdTokenRules {
            issuer: settings.issuer,
            client_id: settings.client_id,
            algorithms: accepted_algorithms(&metadata.id_token_signing_alg_values_supported),
            keys,
        },
    })
}

/// The identity an ID token's claims describe.
fn identity(provider: &Provider, claims: Claims) -> ExternalIdentity {
    let email = claims.email.as_deref().and_then(|raw| {
        Email::parse(raw)
            .inspect_err(|_| {
                tracing::warn!(provider = %provider.info.name, "the provider's email is not a valid address here; ignored");
            })
            .ok()
    });
    ExternalIdentity {
        provider: provider.info.name.clone(),
        subject: Subject::new(claims.sub.clone()),
        email_verified: email.is_some() && claims.email_verified(),
        email,
        name: claims.name,
    }
}

#[async_trait]
impl IdentityProviders for OidcProviders {
    fn providers(&self) -> Vec<ProviderInfo> {
        self.providers.iter().map(|p| p.info.clone()).collect()
    }

    fn authorization(
        &self,
        provider: &str,
        redirect_uri: &str,
    ) -> Result<AuthorizationRequest, IdentityProviderError> {
        let provider = self.provider(provider)?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|err| IdentityProviderError::Unexpected(err.into()))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random();
        let (url, state) = provider
            .oauth
            .authorize_url(CsrfToken::new_random)
            .add_scopes(provider.scopes.iter().cloned().map(Scope::new))
            .add_extra_param("nonce", nonce.secret())
            .set_pkce_challenge(challenge)
            .set_redirect_uri(Cow::Owned(redirect))
            .url();
        Ok(AuthorizationRequest {
            url: url.into(),
            pending: PendingAuthorization {
                provider: provider.info.name.clone(),
                state: AuthorizationState::new(state.secret().clone()),
                nonce: Nonce::new(nonce.secret().clone()),
                pkce_verifier: PkceVerifier::new(verifier.secret().clone()),
                redirect_uri: redirect_uri.to_owned(),
            },
        })
    }

    async fn complete(
        &self,
        provider: &str,
        code: &str,
        pending: &PendingAuthorization,
    ) -> Result<ExternalIdentity, IdentityProviderError> {
        if pending.provider.as_str() != provider {
            return Err(IdentityProviderError::UnknownProvider(provider.to_owned()));
        }
        let id_token = self
            .exchange(self.provider(provider)?, code, pending)
            .await?;
        self.verify_id_token(provider, &id_token, &pending.nonce)
            .await
    }
}

impl OidcProviders {
    /// Exchanges `code` for the provider's tokens and returns the ID token.
    async fn exchange(
        &self,
        provider: &Provider,
        code: &str,
        pending: &PendingAuthorization,
    ) -> Result<String, IdentityProviderError> {
        let name = provider.info.name.clone();
        let redirect = RedirectUrl::new(pending.redirect_uri.clone())
            .map_err(|err| IdentityProviderError::Unexpected(err.into()))?;
        let response = provider
            .oauth
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(
                pending.pkce_verifier.expose().to_owned(),
            ))
            .set_redirect_uri(Cow::Owned(redirect))
            .request_async(&http::OAuthHttp(&self.http))
            .await
            .map_err(|err| match err {
                RequestTokenError::ServerResponse(answer) => IdentityProviderError::CodeRefused {
                    provider: name.clone(),
                    source: answer.to_string().into(),
                },
                other => IdentityProviderError::Unreachable {
                    provider: name.clone(),
                    source: other.into(),
                },
            })?;
        response
            .extra_fields()
            .id_token
            .clone()
            .ok_or(IdentityProviderError::TokenRefused {
                provider: name,
                reason: TokenRefusal::Malformed,
            })
    }
}
