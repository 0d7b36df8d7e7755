//! [`FakeProviders`]: an OpenID provider named `test`, without a network, for the HTTP
//! behaviour of sign-in: the code the callback receives says which identity the provider
//! vouches for, or how its ID token is refused. The protocol itself is tested against a real
//! provider in the `postern-tests` crate.

use async_trait::async_trait;
use postern_core::domain::Email;
use postern_core::ports::{
    AuthorizationRequest, AuthorizationState, ExternalIdentity, IdentityProviderError,
    IdentityProviders, Nonce, PendingAuthorization, PkceVerifier, ProviderInfo, ProviderName,
    Subject, TokenRefusal,
};

/// Where the fake provider's authorize URL points.
pub const AUTHORIZE_URL: &str = "https://idp.test/authorize";

/// The code of a callback whose identity is `subject`, with `email` verified or not.
pub fn code_for(subject: &str, email: &str, verified: bool) -> String {
    format!("{subject}~{email}~{verified}")
}

/// A code whose ID token carries another nonce than the sign-in's.
pub const WRONG_NONCE: &str = "wrong-nonce";

/// A code whose ID token names another client as its audience.
pub const WRONG_AUDIENCE: &str = "wrong-audience";

/// One provider, `test`: every authorization gets a fresh `state`; a code
/// `subject~email~verified` completes as that identity.
pub struct FakeProviders;

fn test_provider() -> ProviderName {
    ProviderName::parse("test").expect("a valid name")
}

#[async_trait]
impl IdentityProviders for FakeProviders {
    fn providers(&self) -> Vec<ProviderInfo> {
        vec![ProviderInfo {
            name: test_provider(),
            display_name: "Test IdP".to_owned(),
        }]
    }

    fn authorization(
        &self,
        provider: &str,
        redirect_uri: &str,
    ) -> Result<AuthorizationRequest, IdentityProviderError> {
        if provider != "test" {
            return Err(IdentityProviderError::UnknownProvider(provider.to_owned()));
        }
        let state = uuid::Uuid::new_v4().to_string();
        Ok(AuthorizationRequest {
            url: format!("{AUTHORIZE_URL}?state={state}&redirect_uri={redirect_uri}"),
            pending: PendingAuthorization {
                provider: test_provider(),
                state: AuthorizationState::new(state),
                nonce: Nonce::new("nonce"),
                pkce_verifier: PkceVerifier::new("verifier"),
                redirect_uri: redirect_uri.to_owned(),
            },
        })
    }

    async fn complete(
        &self,
        provider: &str,
        code: &str,
        _pending: &PendingAuthorization,
    ) -> Result<ExternalIdentity, IdentityProviderError> {
        let refused = |reason| IdentityProviderError::TokenRefused {
            provider: test_provider(),
            reason,
        };
        match code {
            WRONG_NONCE => return Err(refused(TokenRefusal::NonceMismatch)),
            WRONG_AUDIENCE => return Err(refused(TokenRefusal::WrongAudience)),
            _ => {}
        }
        let mut parts = code.split('~');
        let (Some(subject), Some(email), Some(verified)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(IdentityProviderError::CodeRefused {
                provider: test_provider(),
                source: "unknown code".into(),
            });
        };
        Ok(ExternalIdentity {
            provider: ProviderName::parse(provider).expect("the provider's own name"),
            subject: Subject::new(subject),
            email: Email::parse(email).ok(),
            email_verified: verified == "true",
            name: None,
        })
    }
}
