//! [`SignInGrants`](postern_core::ports::SignInGrants): a pending sign-in and a login code are
//! each found once, and never after they expire.

use std::sync::Arc;

use postern_core::domain::{TokenDigest, UserId};
use postern_core::ports::{
    AuthorizationState, LoginCode, Nonce, PendingAuthorization, PendingSignIn, PkceVerifier,
    ProviderName,
};
use time::Duration;

use crate::Storage;
use crate::fixtures::{T0, unique_digest};
use crate::storage::add_user_id;

/// The [`SignInGrants`](postern_core::ports::SignInGrants) contract, as module `grants`, on
/// the [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! grants_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built grants, $make, grants: [
            a_pending_sign_in_is_taken_once_and_as_stored,
            an_expired_or_unknown_state_finds_nothing,
            a_login_code_is_taken_once_and_as_stored,
            an_expired_login_code_finds_nothing,
            of_several_takes_of_one_code_at_once_one_finds_it,
            deleting_an_account_forgets_its_grants,
        ]);
    };
}

fn pending(state: &str, link_to: Option<UserId>) -> PendingSignIn {
    PendingSignIn {
        authorization: PendingAuthorization {
            provider: ProviderName::parse("google").unwrap(),
            state: AuthorizationState::new(state),
            nonce: Nonce::new("nonce-1"),
            pkce_verifier: PkceVerifier::new("verifier-1"),
            redirect_uri: "https://id.example.com/callback".to_owned(),
        },
        redirect_to: "https://app.example.com/signed-in".to_owned(),
        link_to,
        expires_at: T0 + Duration::minutes(10),
    }
}

fn code(user: UserId) -> LoginCode {
    LoginCode {
        digest: unique_digest(),
        user_id: user,
        provider: ProviderName::parse("google").unwrap(),
        expires_at: T0 + Duration::seconds(60),
    }
}

/// What was stored comes back, once.
pub async fn a_pending_sign_in_is_taken_once_and_as_stored(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let grants = storage.grants();
    let saved = pending("state-1", Some(user));
    grants.save_pending(&saved).await.unwrap();

    let state = AuthorizationState::new("state-1");
    let first = grants.take_pending(&state, T0).await.unwrap().unwrap();
    let second = grants.take_pending(&state, T0).await.unwrap();

    assert!(second.is_none());
    let (got, want) = (&first.authorization, &saved.authorization);
    assert_eq!(got.provider, want.provider);
    assert_eq!(got.state, want.state);
    assert_eq!(got.nonce, want.nonce);
    assert_eq!(got.pkce_verifier.expose(), want.pkce_verifier.expose());
    assert_eq!(got.redirect_uri, want.redirect_uri);
    assert_eq!(first.redirect_to, saved.redirect_to);
    assert_eq!(first.link_to, Some(user));
    assert_eq!(first.expires_at, saved.expires_at);
}

/// A state past its expiry, or never stored, finds nothing; expiry is inclusive.
pub async fn an_expired_or_unknown_state_finds_nothing(storage: &dyn Storage) {
    let grants = storage.grants();
    let on_time = pending("on-time", None);
    grants.save_pending(&pending("late", None)).await.unwrap();
    grants.save_pending(&on_time).await.unwrap();
    let after = on_time.expires_at + Duration::seconds(1);

    let late = grants
        .take_pending(&AuthorizationState::new("late"), after)
        .await
        .unwrap();
    let unknown = grants
        .take_pending(&AuthorizationState::new("unknown"), T0)
        .await
        .unwrap();
    let at_expiry = grants
        .take_pending(&AuthorizationState::new("on-time"), on_time.expires_at)
        .await
        .unwrap();

    assert!(late.is_none());
    assert!(unknown.is_none());
    assert!(at_expiry.is_some());
}

/// A code comes back as stored, once.
pub async fn a_login_code_is_taken_once_and_as_stored(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let grants = storage.grants();
    let saved = code(user);
    grants.save_code(&saved).await.unwrap();

    let first = grants.take_code(&saved.digest, T0).await.unwrap();
    let second = grants.take_code(&saved.digest, T0).await.unwrap();

    assert_eq!(first, Some(saved));
    assert_eq!(second, None);
}

/// A code past its expiry finds nothing, and an unknown digest neither.
pub async fn an_expired_login_code_finds_nothing(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let grants = storage.grants();
    let saved = code(user);
    grants.save_code(&saved).await.unwrap();

    let late = grants
        .take_code(&saved.digest, saved.expires_at + Duration::seconds(1))
        .await
        .unwrap();
    let unknown = grants
        .take_code(&TokenDigest::new("0".repeat(64)), T0)
        .await
        .unwrap();

    assert_eq!(late, None);
    assert_eq!(unknown, None);
}

/// Eight exchanges of one code at once: one finds it.
pub async fn of_several_takes_of_one_code_at_once_one_finds_it(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let saved = code(user);
    storage.grants().save_code(&saved).await.unwrap();

    let tasks = (0..8).map(|_| {
        let grants = Arc::clone(&storage.grants());
        let digest = saved.digest.clone();
        tokio::spawn(async move { grants.take_code(&digest, T0).await.unwrap() })
    });
    let outcomes = futures::future::try_join_all(tasks).await.unwrap();

    assert_eq!(outcomes.iter().filter(|found| found.is_some()).count(), 1);
}

/// A deleted account's codes and the links its owner started are gone with it.
pub async fn deleting_an_account_forgets_its_grants(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let grants = storage.grants();
    let saved = code(user);
    grants.save_code(&saved).await.unwrap();
    grants
        .save_pending(&pending("linking", Some(user)))
        .await
        .unwrap();

    storage.users().delete_account(user, T0, &[]).await.unwrap();

    assert_eq!(grants.take_code(&saved.digest, T0).await.unwrap(), None);
    let linking = AuthorizationState::new("linking");
    assert!(grants.take_pending(&linking, T0).await.unwrap().is_none());
}
