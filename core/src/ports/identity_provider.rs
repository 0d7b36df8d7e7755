//! Sign-in with external identity providers (OpenID Connect): the authorization code flow with
//! PKCE, from the provider's authorize URL to a verified identity.
//!
//! A sign-in has two halves. [`IdentityProviders::authorization`] returns the URL to send the
//! browser to and a [`PendingAuthorization`]: the `state`, `nonce` and PKCE verifier that only
//! the server may know. The caller keeps it server-side (never in a cookie or a URL), shared by
//! every instance, for a few minutes, keyed by its `state`, and takes it out exactly once when
//! the provider redirects back, so that one authorization answers one callback.
//! [`IdentityProviders::complete`] then exchanges the code and verifies the ID token against
//! that pending request.
//!
//! Nothing here names an HTTP, OAuth or JWT library: the adapter owns the protocol, the core
//! decides what an identity means for an account.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::Email;
pub use crate::domain::{InvalidProviderName, ProviderName};
use crate::error::BoxError;

/// A configured provider as a sign-in page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderInfo {
    /// Its name.
    pub name: ProviderName,
    /// The name people know it by ("Google").
    pub display_name: String,
}

/// The user's identifier at a provider (the ID token's `sub`): unique and never reassigned
/// within that provider, so the pair (provider, subject) is what an account links to, never
/// the email, which the user may change at the provider.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Subject(String);

impl Subject {
    /// Wraps a subject as the provider asserted it, or as read back from storage.
    pub fn new(subject: impl Into<String>) -> Self {
        Self(subject.into())
    }

    /// The subject.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The opaque `state` of an authorization: it comes back in the callback's query and finds
/// the [`PendingAuthorization`] it belongs to (a callback nobody started finds none).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AuthorizationState(String);

impl AuthorizationState {
    /// Wraps a state as the adapter produced it, or as the callback received it.
    pub fn new(state: impl Into<String>) -> Self {
        Self(state.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `nonce` the ID token must carry: it binds the token to this authorization, so that a
/// token obtained for another one is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nonce(String);

impl Nonce {
    /// Wraps a nonce as the adapter produced it, or as read back from storage.
    pub fn new(nonce: impl Into<String>) -> Self {
        Self(nonce.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The PKCE code verifier (RFC 7636): the secret whose S256 hash the authorize URL carries, so
/// that a code intercepted on its way back is useless without it. Never logged.
#[derive(Clone, Debug)]
pub struct PkceVerifier(SecretString);

impl PkceVerifier {
    /// Wraps a verifier as the adapter produced it, or as read back from storage.
    pub fn new(verifier: impl Into<String>) -> Self {
        Self(SecretString::from(verifier.into()))
    }

    /// The verifier, to store or to send to the provider's token endpoint.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// What the server keeps between the redirect to the provider and its callback; single use.
#[derive(Clone, Debug)]
pub struct PendingAuthorization {
    /// The provider the browser was sent to: a callback for another one is refused.
    pub provider: ProviderName,
    /// The `state` sent with the authorize URL.
    pub state: AuthorizationState,
    /// The `nonce` the ID token must carry.
    pub nonce: Nonce,
    /// The PKCE verifier for the code exchange.
    pub pkce_verifier: PkceVerifier,
    /// The redirect URI the code was issued for, which the exchange repeats.
    pub redirect_uri: String,
}

/// The first half of a sign-in: where to send the browser, and what to keep.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    /// The provider's authorize URL with the client id, redirect URI, scopes, `state`, `nonce`
    /// and S256 code challenge.
    pub url: String,
    /// What to keep server-side for the callback.
    pub pending: PendingAuthorization,
}

/// An identity the provider vouched for in a verified ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider.
    pub provider: ProviderName,
    /// The user's identifier there.
    pub subject: Subject,
    /// The address the provider gives, when it gives one that is a valid address here.
    pub email: Option<Email>,
    /// Whether the provider asserts that it verified `email` (`email_verified`); false when
    /// the claim is missing.
    pub email_verified: bool,
    /// The person's name, when the provider gives one.
    pub name: Option<String>,
}

/// Why the provider's ID token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    /// The signature does not verify with the provider's key, or the algorithm is not one
    /// of the provider's asymmetric ones.
    #[error("bad signature")]
    BadSignature,
    /// The token names a key (`kid`) the provider does not publish, even after refreshing
    /// its key set.
    #[error("unknown signing key")]
    UnknownKey,
    /// The `iss` claim is not the provider's issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// The `aud` claim does not name this client.
    #[error("wrong audience")]
    WrongAudience,
    /// The token has expired.
    #[error("expired")]
    Expired,
    /// The `nonce` claim is missing or is not the pending authorization's.
    #[error("nonce mismatch")]
    NonceMismatch,
    /// The token or one of its required claims is malformed or missing.
    #[error("malformed")]
    Malformed,
}

/// Why a sign-in step failed. None is shown to a client with its cause.
#[derive(Debug, thiserror::Error)]
pub enum IdentityProviderError {
    /// No provider of that name is configured (a 404 at the HTTP edge).
    #[error("unknown identity provider `{0}`")]
    UnknownProvider(String),
    /// The provider's endpoints cannot be reached or answer with a server error; a later
    /// attempt may succeed.
    #[error("identity provider `{provider}` unreachable")]
    Unreachable {
        /// The provider.
        provider: ProviderName,
        /// What went wrong.
        #[source]
        source: BoxError,
    },
    /// The provider refused the code: already used, expired, issued to another client or
    /// redirect URI, or the PKCE verifier does not match.
    #[error("identity provider `{provider}` refused the authorization code")]
    CodeRefused {
        /// The provider.
        provider: ProviderName,
        /// The provider's answer, for logs.
        #[source]
        source: BoxError,
    },
    /// The ID token did not pass validation.
    #[error("identity provider `{provider}` sent an ID token refused as {reason}")]
    TokenRefused {
        /// The provider.
        provider: ProviderName,
        /// Why.
        reason: TokenRefusal,
    },
    /// A bug or a broken invariant.
    #[error("unexpected identity provider failure")]
    Unexpected(#[source] BoxError),
}

/// The OpenID providers configured for sign-in, each known by its discovery document.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IdentityProviders: Send + Sync {
    /// The configured providers, in configuration order.
    fn providers(&self) -> Vec<ProviderInfo>;

    /// Starts a sign-in at `provider`, whose answer the browser brings to `redirect_uri` (a
    /// URI registered with the provider). Pure computation: fresh random `state`, `nonce` and
    /// PKCE verifier, no request to the provider.
    ///
    /// # Errors
    /// MUST return [`IdentityProviderError::UnknownProvider`] for a name not configured;
    /// [`IdentityProviderError::Unexpected`] when `redirect_uri` is not an absolute URL.
    fn authorization(
        &self,
        provider: &str,
        redirect_uri: &str,
    ) -> Result<AuthorizationRequest, IdentityProviderError>;

    /// Finishes a sign-in: exchanges `code` at `provider`'s token endpoint with the pending
    /// request's verifier and redirect URI, then validates the ID token (signature with the
    /// provider's published keys, refreshed once when the token names an unknown key; `iss`,
    /// `aud`, `exp`, and `nonce` against `pending`). The caller has already matched the
    /// callback's `state` to `pending` and removed it from storage.
    ///
    /// # Errors
    /// MUST return [`IdentityProviderError::UnknownProvider`] for a name not configured or
    /// not the pending request's, [`IdentityProviderError::CodeRefused`] when the token
    /// endpoint refuses the code, [`IdentityProviderError::TokenRefused`] with the reason
    /// when the ID token fails validation, and [`IdentityProviderError::Unreachable`] when
    /// the provider cannot be reached.
    async fn complete(
        &self,
        provider: &str,
        code: &str,
        pending: &PendingAuthorization,
    ) -> Result<ExternalIdentity, IdentityProviderError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_are_lower_case_letters_digits_and_dashes() {
        assert!(ProviderName::parse("google").is_ok());
        assert!(ProviderName::parse("azure-ad2").is_ok());
        assert!(ProviderName::parse("Google").is_err());
        assert!(ProviderName::parse("2fa").is_err());
        assert!(ProviderName::parse("").is_err());
        assert!(ProviderName::parse("a_b").is_err());
        assert!(ProviderName::parse(&"a".repeat(33)).is_err());
    }

    #[tokio::test]
    async fn the_mock_completes_a_sign_in_from_a_spawned_task() {
        let mut mock = MockIdentityProviders::new();
        mock.expect_complete().returning(|provider, _, _| {
            Ok(ExternalIdentity {
                provider: ProviderName::parse(provider)
                    .map_err(|err| IdentityProviderError::Unexpected(err.into()))?,
                subject: Subject::new("user-1"),
                email: None,
                email_verified: false,
                name: None,
            })
        });
        let providers: std::sync::Arc<dyn IdentityProviders> = std::sync::Arc::new(mock);
        let pending = PendingAuthorization {
            provider: ProviderName::parse("google").unwrap(),
            state: AuthorizationState::new("state"),
            nonce: Nonce::new("nonce"),
            pkce_verifier: PkceVerifier::new("verifier"),
            redirect_uri: "https://app.example.com/callback".to_owned(),
        };

        // Spawned, to prove the port's future is Send.
        let identity =
            tokio::spawn(async move { providers.complete("google", "code", &pending).await })
                .await
                .unwrap()
                .unwrap();

        assert_eq!(identity.subject.as_str(), "user-1");
    }

    #[test]
    fn a_pkce_verifier_is_not_printed() {
        let verifier = PkceVerifier::new("very secret verifier");
        assert!(!format!("{verifier:?}").contains("very secret"));
    }
}
