//! The callback's account matching and its redirects, against mocks of every port.

use std::sync::{Arc, Mutex};

use super::*;
use crate::domain::UserCredentials;
use crate::ports::{
    MockClock, MockIdentityProviders, MockIdentityRepo, MockOpaqueTokens, MockSignInGrants,
    MockUserRepo, Nonce, PendingAuthorization, PkceVerifier, Subject, TokenRefusal,
};
use crate::usecases::testkit::{NOW, user};

const APP: &str = "https://app.example.com/signed-in";

fn google() -> ProviderName {
    ProviderName::parse("google").unwrap()
}

fn pending(link_to: Option<UserId>) -> PendingSignIn {
    PendingSignIn {
        authorization: PendingAuthorization {
            provider: google(),
            state: AuthorizationState::new("s-1"),
            nonce: Nonce::new("n-1"),
            pkce_verifier: PkceVerifier::new("v-1"),
            redirect_uri: "https://id.example.com/api/v1/auth/oauth/google/callback".into(),
        },
        redirect_to: APP.into(),
        link_to,
        expires_at: NOW + time::Duration::minutes(10),
    }
}

fn identity(email: Option<&str>, verified: bool) -> ExternalIdentity {
    ExternalIdentity {
        provider: google(),
        subject: Subject::new("g-1"),
        email: email.map(|e| Email::parse(e).unwrap()),
        email_verified: verified,
        name: Some("Ada".into()),
    }
}

fn linked(user: UserId) -> LinkedIdentity {
    LinkedIdentity {
        id: IdentityId::generate(),
        provider: google(),
        subject: Subject::new("g-1"),
        user_id: user,
        email: None,
        linked_at: NOW,
    }
}

fn request() -> CallbackRequest {
    CallbackRequest {
        provider: "google".into(),
        state: Some("s-1".into()),
        code: Some("provider-code".into()),
        error: None,
    }
}

/// The mocks of one callback, with the pending sign-in `pending` under `s-1`.
struct Fixture {
    providers: MockIdentityProviders,
    grants: MockSignInGrants,
    identities: MockIdentityRepo,
    users: MockUserRepo,
    secrets: MockOpaqueTokens,
    saved_codes: Arc<Mutex<Vec<LoginCode>>>,
}

impl Fixture {
    fn new(pending: Option<PendingSignIn>) -> Self {
        let mut grants = MockSignInGrants::new();
        grants
            .expect_take_pending()
            .withf(|state, now| state.as_str() == "s-1" && *now == NOW)
            .returning(move |_, _| Ok(pending.clone()));
        let saved_codes = Arc::new(Mutex::new(Vec::new()));
        let saved = saved_codes.clone();
        grants.expect_save_code().returning(move |code| {
            saved.lock().unwrap().push(code.clone());
            Ok(())
        });
        let mut secrets = MockOpaqueTokens::new();
        secrets
            .expect_generate()
            .returning(|| OpaqueToken::new("login-code".into()));
        secrets
            .expect_digest()
            .returning(|t| crate::domain::TokenDigest::new(format!("digest:{}", t.expose())));
        Self {
            providers: MockIdentityProviders::new(),
            grants,
            identities: MockIdentityRepo::new(),
            users: MockUserRepo::new(),
            secrets,
            saved_codes,
        }
    }

    /// The provider vouches for `identity`.
    fn vouching(mut self, identity: ExternalIdentity) -> Self {
        self.providers
            .expect_complete()
            .withf(|provider, code, pending| {
                provider == "google" && code == "provider-code" && pending.state.as_str() == "s-1"
            })
            .returning(move |_, _, _| Ok(identity.clone()));
        self
    }

    /// The identity is linked to `owner` already, or to nobody.
    fn known_as(mut self, owner: Option<UserId>) -> Self {
        self.identities
            .expect_find()
            .returning(move |_, _| Ok(owner.map(linked)));
        self
    }

    async fn run(
        self,
        request: CallbackRequest,
    ) -> (Result<String, CallbackError>, Vec<LoginCode>) {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        let saved = self.saved_codes.clone();
        let callback = CompleteSignIn::new(
            Arc::new(self.providers),
            Arc::new(self.grants),
            Arc::new(self.identities),
            Arc::new(self.users),
            Arc::new(self.secrets),
            Arc::new(clock),
        );
        // Spawned, to prove the use case's future is Send.
        let result = tokio::spawn(async move { callback.execute(request).await })
            .await
            .unwrap();
        let codes = saved.lock().unwrap().clone();
        (result, codes)
    }
}

#[tokio::test]
async fn a_known_identity_signs_in_its_account_with_a_one_time_code_for_60_seconds() {
    let account = user();
    let id = account.id;
    let mut fixture = Fixture::new(Some(pending(None)))
        .vouching(identity(Some("ada@example.com"), true))
        .known_as(Some(id));
    fixture
        .users
        .expect_find_by_id()
        .withf(move |u| *u == id)
        .returning(move |_| Ok(Some(account.clone())));

    let (location, codes) = fixture.run(request()).await;

    assert_eq!(location.unwrap(), format!("{APP}?code=login-code"));
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].user_id, id);
    assert_eq!(codes[0].provider, google());
    assert_eq!(codes[0].digest.as_str(), "digest:login-code");
    assert_eq!(codes[0].expires_at, NOW + time::Duration::seconds(60));
}

#[tokio::test]
async fn an_unknown_identity_creates_a_passwordless_account_verified_as_the_provider_asserts() {
    for verified in [true, false] {
        let mut fixture = Fixture::new(Some(pending(None)))
            .vouching(identity(Some("new@example.com"), verified))
            .known_as(None);
        fixture
            .users
            .expect_find_credentials()
            .returning(|_| Ok(None));
        fixture
            .identities
            .expect_create_account()
            .withf(move |new, identity, events| {
                new.password_hash.is_empty()
                    && new.email_verified == verified
                    && new.email.as_str() == "new@example.com"
                    && new.name.as_ref().map(DisplayName::as_str) == Some("Ada")
                    && identity.user_id == new.id
                    && identity.subject.as_str() == "g-1"
                    && matches!(events[0].data, EventData::SignedUp { .. })
                    && matches!(&events[1].data, EventData::IdentityLinked { provider, .. } if provider == "google")
            })
            .times(1)
            .returning(|new, _, _| {
                Ok(User {
                    id: new.id,
                    email: new.email.clone(),
                    email_verified: new.email_verified,
                    ..user()
                })
            });

        let (location, codes) = fixture.run(request()).await;

        assert_eq!(location.unwrap(), format!("{APP}?code=login-code"));
        assert_eq!(codes.len(), 1);
    }
}

#[tokio::test]
async fn an_existing_account_whose_email_is_not_verified_on_both_sides_is_not_taken_over() {
    for (asserted, stored) in [(false, true), (true, false), (false, false)] {
        let mut fixture = Fixture::new(Some(pending(None)))
            .vouching(identity(Some("ada@example.com"), asserted))
            .known_as(None);
        fixture.users.expect_find_credentials().returning(move |_| {
            Ok(Some(UserCredentials {
                user: User {
                    email_verified: stored,
                    ..user()
                },
                password_hash: PasswordHash::new("$argon2id$stored".into()),
            }))
        });
        fixture.identities.expect_link().never();
        fixture.identities.expect_create_account().never();

        let (location, codes) = fixture.run(request()).await;

        assert_eq!(location.unwrap(), format!("{APP}?error=account_exists"));
        assert!(codes.is_empty());
    }
}

#[tokio::test]
async fn an_existing_account_verified_on_both_sides_gets_the_identity_linked_and_signs_in() {
    let account = User {
        email_verified: true,
        ..user()
    };
    let id = account.id;
    let mut fixture = Fixture::new(Some(pending(None)))
        .vouching(identity(Some("ada@example.com"), true))
        .known_as(None);
    fixture.users.expect_find_credentials().returning(move |_| {
        Ok(Some(UserCredentials {
            user: account.clone(),
            password_hash: PasswordHash::new("$argon2id$stored".into()),
        }))
    });
    fixture
        .identities
        .expect_link()
        .withf(move |identity, event| {
            identity.user_id == id
                && matches!(event.data, EventData::IdentityLinked { identity_id, .. } if identity_id == identity.id)
        })
        .times(1)
        .returning(|_, _| Ok(()));

    let (location, codes) = fixture.run(request()).await;

    assert_eq!(location.unwrap(), format!("{APP}?code=login-code"));
    assert_eq!(codes[0].user_id, id);
}

#[tokio::test]
async fn a_provider_without_an_email_cannot_create_an_account() {
    let fixture = Fixture::new(Some(pending(None)))
        .vouching(identity(None, false))
        .known_as(None);

    let (location, _) = fixture.run(request()).await;

    assert_eq!(location.unwrap(), format!("{APP}?error=email_required"));
}

#[tokio::test]
async fn a_disabled_account_gets_no_code() {
    let account = User {
        disabled: true,
        ..user()
    };
    let mut fixture = Fixture::new(Some(pending(None)))
        .vouching(identity(Some("ada@example.com"), true))
        .known_as(Some(account.id));
    fixture
        .users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(account.clone())));

    let (location, codes) = fixture.run(request()).await;

    assert_eq!(location.unwrap(), format!("{APP}?error=account_disabled"));
    assert!(codes.is_empty());
}

#[tokio::test]
async fn each_refusal_of_the_provider_is_a_stable_error_on_the_redirect() {
    type Refusal = fn() -> IdentityProviderError;
    let cases: [(Refusal, &str); 3] = [
        (
            || IdentityProviderError::TokenRefused {
                provider: google(),
                reason: TokenRefusal::NonceMismatch,
            },
            "invalid_id_token",
        ),
        (
            || IdentityProviderError::CodeRefused {
                provider: google(),
                source: "invalid_grant".into(),
            },
            "code_refused",
        ),
        (
            || IdentityProviderError::Unreachable {
                provider: google(),
                source: "timeout".into(),
            },
            "provider_unavailable",
        ),
    ];
    for (error, code) in cases {
        let mut fixture = Fixture::new(Some(pending(None)));
        fixture
            .providers
            .expect_complete()
            .returning(move |_, _, _| Err(error()));

        let (location, codes) = fixture.run(request()).await;

        assert_eq!(location.unwrap(), format!("{APP}?error={code}"));
        assert!(codes.is_empty());
    }
}

#[tokio::test]
async fn a_provider_error_instead_of_a_code_is_access_denied_without_asking_the_provider() {
    let mut fixture = Fixture::new(Some(pending(None)));
    fixture.providers.expect_complete().never();

    let (location, _) = fixture
        .run(CallbackRequest {
            code: None,
            error: Some("access_denied".into()),
            ..request()
        })
        .await;

    assert_eq!(location.unwrap(), format!("{APP}?error=access_denied"));
}

#[tokio::test]
async fn a_callback_for_another_provider_than_the_flow_started_at_is_invalid_state() {
    let mut fixture = Fixture::new(Some(pending(None)));
    fixture.providers.expect_complete().never();

    let (location, _) = fixture
        .run(CallbackRequest {
            provider: "github".into(),
            ..request()
        })
        .await;

    assert_eq!(location.unwrap(), format!("{APP}?error=invalid_state"));
}

#[tokio::test]
async fn an_unknown_or_missing_state_has_nowhere_to_go_back_to() {
    for state in [Some("s-1".to_owned()), None, Some(String::new())] {
        let mut fixture = Fixture::new(None);
        fixture.providers.expect_complete().never();

        let (result, _) = fixture.run(CallbackRequest { state, ..request() }).await;

        assert!(matches!(result, Err(CallbackError::UnknownState)));
    }
}

#[tokio::test]
async fn a_link_flow_links_the_identity_to_its_owner_and_says_so() {
    let owner = UserId::generate();
    let mut fixture = Fixture::new(Some(pending(Some(owner))))
        .vouching(identity(Some("other@example.com"), false))
        .known_as(None);
    fixture
        .identities
        .expect_link()
        .withf(move |identity, _| identity.user_id == owner)
        .times(1)
        .returning(|_, _| Ok(()));

    let (location, codes) = fixture.run(request()).await;

    assert_eq!(location.unwrap(), format!("{APP}?linked=google"));
    assert!(codes.is_empty());
}

#[tokio::test]
async fn a_link_flow_refuses_an_identity_of_another_account() {
    let owner = UserId::generate();
    let mut fixture = Fixture::new(Some(pending(Some(owner))))
        .vouching(identity(Some("ada@example.com"), true))
        .known_as(Some(UserId::generate()));
    fixture.identities.expect_link().never();

    let (location, _) = fixture.run(request()).await;

    assert_eq!(location.unwrap(), format!("{APP}?error=identity_in_use"));
}

#[test]
fn the_redirect_keeps_the_targets_query_and_fragment() {
    assert_eq!(
        with_query("https://a.test/cb?x=1#top", "code", "c"),
        "https://a.test/cb?x=1&code=c#top"
    );
    assert_eq!(
        with_query("https://a.test", "error", "e"),
        "https://a.test?error=e"
    );
}
