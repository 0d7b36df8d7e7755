//! The first step of a sign-in through an external provider: check where the browser is to
//! land afterwards, build the provider's authorize URL, and keep the pending authorization
//! server-side, keyed by its `state`, for ten minutes.

use std::sync::Arc;

use tracing::instrument;

use crate::domain::UserId;
use crate::error::BoxError;
use crate::ports::{
    Clock, IdentityProviderError, IdentityProviders, PENDING_SIGN_IN_TTL, PendingSignIn,
    SignInGrants,
};

/// The URL prefixes a sign-in may send the browser back to (`OAUTH_REDIRECT_ALLOWLIST`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectAllowList(Vec<String>);

impl RedirectAllowList {
    /// The list of `prefixes`, as configured.
    pub fn new(prefixes: Vec<String>) -> Self {
        Self(prefixes)
    }

    /// Whether `target` starts with an allowed prefix at a boundary: the prefix ends with `/`,
    /// or the target ends there or goes on with `/`, `?` or `#`. So `https://app.example.com`
    /// allows `https://app.example.com/home` but not `https://app.example.com.evil.test`.
    pub fn allows(&self, target: &str) -> bool {
        self.0.iter().any(|prefix| {
            target.strip_prefix(prefix.as_str()).is_some_and(|rest| {
                prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?', '#'])
            })
        })
    }
}

/// Why a sign-in did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartSignInError {
    /// `redirectTo` is not under an allowed prefix.
    #[error("redirect target not allowed")]
    RedirectNotAllowed,
    /// No provider of that name is configured.
    #[error("unknown identity provider")]
    UnknownProvider,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

impl From<IdentityProviderError> for StartSignInError {
    fn from(error: IdentityProviderError) -> Self {
        match error {
            IdentityProviderError::UnknownProvider(_) => Self::UnknownProvider,
            IdentityProviderError::Unreachable { source, .. } => Self::Unavailable(source),
            other => Self::Unexpected(other.into()),
        }
    }
}

/// Starts sign-ins (and links, for a signed-in owner) at external providers.
pub struct StartSignIn {
    providers: Arc<dyn IdentityProviders>,
    grants: Arc<dyn SignInGrants>,
    clock: Arc<dyn Clock>,
    allow_list: RedirectAllowList,
    callback_base: String,
}

impl StartSignIn {
    /// Builds the use case; `callback_base` is the public URL the provider's callback routes
    /// hang under, to which `/{provider}/callback` is appended.
    pub fn new(
        providers: Arc<dyn IdentityProviders>,
        grants: Arc<dyn SignInGrants>,
        clock: Arc<dyn Clock>,
        allow_list: RedirectAllowList,
        callback_base: String,
    ) -> Self {
        Self {
            providers,
            grants,
            clock,
            allow_list,
            callback_base,
        }
    }

    /// Checks `redirect_to`, builds `provider`'s authorize URL and stores the pending
    /// authorization (with `link_to` when an owner links an identity), and returns the URL.
    /// The target is checked first, so an open redirect is refused before anything is stored.
    #[instrument(skip_all, name = "start_sign_in", fields(provider = %provider))]
    pub async fn execute(
        &self,
        provider: &str,
        redirect_to: &str,
        link_to: Option<UserId>,
    ) -> Result<String, StartSignInError> {
        if !self.allow_list.allows(redirect_to) {
            return Err(StartSignInError::RedirectNotAllowed);
        }
        let callback = format!(
            "{}/{provider}/callback",
            self.callback_base.trim_end_matches('/')
        );
        let request = self.providers.authorization(provider, &callback)?;
        let pending = PendingSignIn {
            authorization: request.pending,
            redirect_to: redirect_to.to_owned(),
            link_to,
            expires_at: self.clock.now() + PENDING_SIGN_IN_TTL,
        };
        self.grants.save_pending(&pending).await?;
        Ok(request.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{
        AuthorizationRequest, AuthorizationState, MockClock, MockIdentityProviders,
        MockSignInGrants, Nonce, PendingAuthorization, PkceVerifier, ProviderName,
    };
    use crate::usecases::testkit::NOW;

    const APP: &str = "https://app.example.com";

    fn clock() -> Arc<dyn Clock> {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        Arc::new(clock)
    }

    fn providers() -> MockIdentityProviders {
        let mut providers = MockIdentityProviders::new();
        providers
            .expect_authorization()
            .withf(|provider, callback| {
                provider == "google" && callback == "https://id.example.com/oauth/google/callback"
            })
            .returning(|provider, callback| {
                Ok(AuthorizationRequest {
                    url: "https://accounts.example.com/authorize?state=s-1".to_owned(),
                    pending: PendingAuthorization {
                        provider: ProviderName::parse(provider).unwrap(),
                        state: AuthorizationState::new("s-1"),
                        nonce: Nonce::new("n-1"),
                        pkce_verifier: PkceVerifier::new("v-1"),
                        redirect_uri: callback.to_owned(),
                    },
                })
            });
        providers
    }

    fn start(providers: MockIdentityProviders, grants: MockSignInGrants) -> StartSignIn {
        StartSignIn::new(
            Arc::new(providers),
            Arc::new(grants),
            clock(),
            RedirectAllowList::new(vec![APP.to_owned()]),
            "https://id.example.com/oauth/".to_owned(),
        )
    }

    #[test]
    fn the_allow_list_matches_prefixes_at_a_boundary_only() {
        let list = RedirectAllowList::new(vec![APP.to_owned(), "https://b.test/cb/".to_owned()]);

        assert!(list.allows(APP));
        assert!(list.allows("https://app.example.com/signed-in?x=1"));
        assert!(list.allows("https://b.test/cb/done"));
        assert!(!list.allows("https://app.example.com.evil.test/"));
        assert!(!list.allows("https://app.example.comx"));
        assert!(!list.allows("http://app.example.com/"));
        assert!(!list.allows("https://b.test/c"));
    }

    #[tokio::test]
    async fn a_sign_in_stores_its_pending_authorization_for_ten_minutes_and_returns_the_url() {
        let user = UserId::generate();
        let mut grants = MockSignInGrants::new();
        grants
            .expect_save_pending()
            .withf(move |pending| {
                pending.authorization.state.as_str() == "s-1"
                    && pending.redirect_to == "https://app.example.com/home"
                    && pending.link_to == Some(user)
                    && pending.expires_at == NOW + time::Duration::minutes(10)
            })
            .times(1)
            .returning(|_| Ok(()));
        let start = start(providers(), grants);

        // Spawned, to prove the use case's future is Send.
        let url = tokio::spawn(async move {
            start
                .execute("google", "https://app.example.com/home", Some(user))
                .await
        })
        .await
        .unwrap()
        .unwrap();

        assert_eq!(url, "https://accounts.example.com/authorize?state=s-1");
    }

    #[tokio::test]
    async fn a_target_outside_the_allow_list_is_refused_before_anything_is_stored() {
        let mut providers = MockIdentityProviders::new();
        providers.expect_authorization().never();
        let mut grants = MockSignInGrants::new();
        grants.expect_save_pending().never();

        let result = start(providers, grants)
            .execute("google", "https://evil.test/", None)
            .await;

        assert!(matches!(result, Err(StartSignInError::RedirectNotAllowed)));
    }

    #[tokio::test]
    async fn an_unknown_provider_is_said_so() {
        let mut providers = MockIdentityProviders::new();
        providers
            .expect_authorization()
            .returning(|name, _| Err(IdentityProviderError::UnknownProvider(name.to_owned())));
        let mut grants = MockSignInGrants::new();
        grants.expect_save_pending().never();

        let result = start(providers, grants).execute("nope", APP, None).await;

        assert!(matches!(result, Err(StartSignInError::UnknownProvider)));
    }
}
