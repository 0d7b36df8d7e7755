//! [`IdentityRepo`](postern_core::ports::IdentityRepo): an identity at a provider signs in to
//! one account at most; an account never loses its last way to sign in; every change is stored
//! with its event.

use std::sync::Arc;

use postern_core::domain::{Email, Event, EventData, IdentityId, PasswordHash, UserId};
use postern_core::ports::{
    CreateLinkedAccountError, LinkIdentityError, LinkedIdentity, ProviderName, Subject,
    UnlinkIdentityError,
};
use time::Duration;

use crate::Storage;
use crate::fixtures::{T0, new_user, signed_up};
use crate::storage::{add_user_id, written_events};

/// The [`IdentityRepo`](postern_core::ports::IdentityRepo) contract, as module `identities`,
/// on the [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! identities_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built identities, $make, identities: [
            a_linked_identity_is_found_by_provider_and_subject_and_listed_for_its_account,
            an_identity_links_to_one_account_only,
            linking_to_an_unknown_account_stores_nothing,
            sign_in_methods_count_the_password_and_each_identity,
            unlinking_removes_the_identity_with_its_event,
            the_last_sign_in_method_cannot_be_unlinked,
            another_accounts_identity_cannot_be_unlinked,
            of_two_unlinks_of_the_last_two_methods_at_once_one_fails,
            deleting_an_account_forgets_its_identities,
            an_account_created_with_its_identity_is_stored_with_both_events,
            an_account_with_a_taken_email_or_identity_is_not_created,
        ]);
    };
}

/// An identity of `user` at `provider` with `subject`, linked `minutes` after [`T0`].
pub fn identity(user: UserId, provider: &str, subject: &str, minutes: i64) -> LinkedIdentity {
    LinkedIdentity {
        id: IdentityId::generate(),
        provider: ProviderName::parse(provider).unwrap(),
        subject: Subject::new(subject),
        user_id: user,
        email: Some(Email::parse("ada@example.com").unwrap()),
        linked_at: T0 + Duration::minutes(minutes),
    }
}

fn linked(identity: &LinkedIdentity) -> Event {
    Event::new(
        EventData::IdentityLinked {
            identity_id: identity.id,
            provider: identity.provider.to_string(),
        },
        Some(identity.user_id),
        identity.linked_at,
    )
}

fn unlinked(identity: &LinkedIdentity) -> Event {
    Event::new(
        EventData::IdentityUnlinked {
            identity_id: identity.id,
            provider: identity.provider.to_string(),
        },
        Some(identity.user_id),
        identity.linked_at + Duration::hours(1),
    )
}

/// Links `identity`, which must succeed.
async fn link(storage: &dyn Storage, identity: &LinkedIdentity) {
    storage
        .identities()
        .link(identity, &linked(identity))
        .await
        .unwrap();
}

/// Stores an account without a password, as a sign-in through a provider creates one.
async fn add_passwordless_user(storage: &dyn Storage, email: &str) -> UserId {
    let new = postern_core::domain::NewUser {
        password_hash: PasswordHash::new(String::new()),
        ..new_user(email)
    };
    storage
        .users()
        .create(&new, &signed_up(&new))
        .await
        .unwrap();
    new.id
}

/// A link is found by its pair, listed oldest first for its account, and stored with its
/// event.
pub async fn a_linked_identity_is_found_by_provider_and_subject_and_listed_for_its_account(
    storage: &dyn Storage,
) {
    let user = add_user_id(storage, "ada@example.com").await;
    let later = identity(user, "google", "g-1", 5);
    let earlier = identity(user, "github", "h-1", 1);

    link(storage, &later).await;
    link(storage, &earlier).await;

    let repo = storage.identities();
    let found = repo.find(&later.provider, &later.subject).await.unwrap();
    assert_eq!(found, Some(later.clone()));
    let unknown = Subject::new("g-2");
    assert_eq!(repo.find(&later.provider, &unknown).await.unwrap(), None);
    assert_eq!(repo.list(user).await.unwrap(), vec![earlier, later.clone()]);
    assert!(repo.list(UserId::generate()).await.unwrap().is_empty());
    let events = written_events(storage).await;
    assert!(events.iter().any(|event| matches!(
        event.data,
        EventData::IdentityLinked { identity_id, .. } if identity_id == later.id
    )));
}

/// The same (provider, subject) cannot be linked twice, to the same account or another; the
/// same subject at another provider is another identity.
pub async fn an_identity_links_to_one_account_only(storage: &dyn Storage) {
    let ada = add_user_id(storage, "ada@example.com").await;
    let bob = add_user_id(storage, "bob@example.com").await;
    link(storage, &identity(ada, "google", "same", 0)).await;

    let again = identity(ada, "google", "same", 1);
    let other = identity(bob, "google", "same", 1);
    let repo = storage.identities();
    let twice = repo.link(&again, &linked(&again)).await;
    let elsewhere = repo.link(&other, &linked(&other)).await;

    assert!(matches!(twice, Err(LinkIdentityError::AlreadyLinked)));
    assert!(matches!(elsewhere, Err(LinkIdentityError::AlreadyLinked)));
    assert!(repo.list(bob).await.unwrap().is_empty());
    let events = written_events(storage).await;
    let refused: Vec<_> = events
        .iter()
        .filter(|event| {
            matches!(
                event.data,
                EventData::IdentityLinked { identity_id, .. }
                    if identity_id == again.id || identity_id == other.id
            )
        })
        .collect();
    assert!(refused.is_empty());
    link(storage, &identity(bob, "github", "same", 2)).await;
}

/// No account, no link, no event.
pub async fn linking_to_an_unknown_account_stores_nothing(storage: &dyn Storage) {
    let stray = identity(UserId::generate(), "google", "g-1", 0);
    let event = linked(&stray);

    let result = storage.identities().link(&stray, &event).await;

    assert!(matches!(result, Err(LinkIdentityError::UnknownUser)));
    let repo = storage.identities();
    assert_eq!(
        repo.find(&stray.provider, &stray.subject).await.unwrap(),
        None
    );
    assert!(
        !written_events(storage)
            .await
            .iter()
            .any(|e| e.id == event.id)
    );
}

/// A password counts once, each identity once; an unknown account has none.
pub async fn sign_in_methods_count_the_password_and_each_identity(storage: &dyn Storage) {
    let with_password = add_user_id(storage, "ada@example.com").await;
    let without = add_passwordless_user(storage, "bob@example.com").await;
    link(storage, &identity(with_password, "google", "g-1", 0)).await;
    link(storage, &identity(without, "google", "g-2", 0)).await;
    link(storage, &identity(without, "github", "h-2", 0)).await;

    let repo = storage.identities();

    assert_eq!(repo.count_sign_in_methods(with_password).await.unwrap(), 2);
    assert_eq!(repo.count_sign_in_methods(without).await.unwrap(), 2);
    assert_eq!(
        repo.count_sign_in_methods(UserId::generate())
            .await
            .unwrap(),
        0
    );
}

/// Unlinking returns the identity, forgets it and stores the event with the change.
pub async fn unlinking_removes_the_identity_with_its_event(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let google = identity(user, "google", "g-1", 0);
    link(storage, &google).await;
    let event = unlinked(&google);

    let removed = storage
        .identities()
        .unlink(user, google.id, &event)
        .await
        .unwrap();

    assert_eq!(removed, google);
    let repo = storage.identities();
    assert!(repo.list(user).await.unwrap().is_empty());
    assert_eq!(repo.count_sign_in_methods(user).await.unwrap(), 1);
    assert!(
        written_events(storage)
            .await
            .iter()
            .any(|e| e.id == event.id)
    );
}

/// An account without a password keeps its only identity; with two, one may go.
pub async fn the_last_sign_in_method_cannot_be_unlinked(storage: &dyn Storage) {
    let user = add_passwordless_user(storage, "ada@example.com").await;
    let google = identity(user, "google", "g-1", 0);
    let github = identity(user, "github", "h-1", 1);
    link(storage, &google).await;
    link(storage, &github).await;
    let repo = storage.identities();

    repo.unlink(user, google.id, &unlinked(&google))
        .await
        .unwrap();
    let last = unlinked(&github);
    let refused = repo.unlink(user, github.id, &last).await;

    assert!(matches!(
        refused,
        Err(UnlinkIdentityError::LastSignInMethod)
    ));
    assert_eq!(repo.list(user).await.unwrap(), vec![github]);
    assert!(
        !written_events(storage)
            .await
            .iter()
            .any(|e| e.id == last.id)
    );
}

/// An identity is unlinked only by its own account; an unknown id is not found either.
pub async fn another_accounts_identity_cannot_be_unlinked(storage: &dyn Storage) {
    let ada = add_user_id(storage, "ada@example.com").await;
    let bob = add_user_id(storage, "bob@example.com").await;
    let adas = identity(ada, "google", "g-1", 0);
    link(storage, &adas).await;
    let repo = storage.identities();

    let by_bob = repo.unlink(bob, adas.id, &unlinked(&adas)).await;
    let unknown = repo
        .unlink(ada, IdentityId::generate(), &unlinked(&adas))
        .await;

    assert!(matches!(by_bob, Err(UnlinkIdentityError::NotFound)));
    assert!(matches!(unknown, Err(UnlinkIdentityError::NotFound)));
    assert_eq!(repo.list(ada).await.unwrap(), vec![adas]);
}

/// Two unlinks racing for an account's last two identities: exactly one wins, and the
/// account keeps a way to sign in.
pub async fn of_two_unlinks_of_the_last_two_methods_at_once_one_fails(storage: &dyn Storage) {
    let user = add_passwordless_user(storage, "ada@example.com").await;
    let google = identity(user, "google", "g-1", 0);
    let github = identity(user, "github", "h-1", 1);
    link(storage, &google).await;
    link(storage, &github).await;

    let unlink = |identity: LinkedIdentity| {
        let repo = Arc::clone(&storage.identities());
        async move { repo.unlink(user, identity.id, &unlinked(&identity)).await }
    };
    let (first, second) = tokio::join!(tokio::spawn(unlink(google)), tokio::spawn(unlink(github)));
    let outcomes = [first.unwrap(), second.unwrap()];

    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Err(UnlinkIdentityError::LastSignInMethod)))
    );
    let repo = storage.identities();
    assert_eq!(repo.count_sign_in_methods(user).await.unwrap(), 1);
}

/// A deleted account's identities are erased with it, so the identity is free to sign up
/// again as a new account.
pub async fn deleting_an_account_forgets_its_identities(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let google = identity(user, "google", "g-1", 0);
    link(storage, &google).await;

    storage
        .users()
        .delete_account(user, T0 + Duration::hours(1), &[])
        .await
        .unwrap();

    let repo = storage.identities();
    assert_eq!(
        repo.find(&google.provider, &google.subject).await.unwrap(),
        None
    );
    assert!(repo.list(user).await.unwrap().is_empty());
    let refused = repo.link(&google, &linked(&google)).await;
    assert!(matches!(refused, Err(LinkIdentityError::UnknownUser)));
}

/// An account created through a provider: stored without a password, verified as asked,
/// signed in to by its identity, with both events.
pub async fn an_account_created_with_its_identity_is_stored_with_both_events(
    storage: &dyn Storage,
) {
    let new = postern_core::domain::NewUser {
        password_hash: PasswordHash::new(String::new()),
        email_verified: true,
        ..new_user("ada@example.com")
    };
    let google = identity(new.id, "google", "g-1", 0);
    let events = [signed_up(&new), linked(&google)];

    let created = storage
        .identities()
        .create_account(&new, &google, &events)
        .await
        .unwrap();

    assert_eq!(created.id, new.id);
    assert!(created.email_verified);
    let stored = storage.users().find_by_id(new.id).await.unwrap().unwrap();
    assert!(stored.email_verified);
    let repo = storage.identities();
    assert_eq!(
        repo.find(&google.provider, &google.subject).await.unwrap(),
        Some(google.clone())
    );
    assert_eq!(repo.count_sign_in_methods(new.id).await.unwrap(), 1);
    let written = written_events(storage).await;
    for event in &events {
        assert!(written.iter().any(|e| e.id == event.id));
    }
}

/// A taken email, or an identity linked already, creates neither the account nor the link,
/// and writes no event.
pub async fn an_account_with_a_taken_email_or_identity_is_not_created(storage: &dyn Storage) {
    let ada = add_user_id(storage, "ada@example.com").await;
    link(storage, &identity(ada, "google", "taken", 0)).await;
    let same_email = postern_core::domain::NewUser {
        password_hash: PasswordHash::new(String::new()),
        ..new_user("ada@example.com")
    };
    let fresh = identity(same_email.id, "google", "fresh", 1);
    let same_identity = postern_core::domain::NewUser {
        password_hash: PasswordHash::new(String::new()),
        ..new_user("bob@example.com")
    };
    let taken = identity(same_identity.id, "google", "taken", 1);
    let repo = storage.identities();

    let email_taken = repo
        .create_account(&same_email, &fresh, &[linked(&fresh)])
        .await;
    let identity_taken = repo
        .create_account(&same_identity, &taken, &[linked(&taken)])
        .await;

    assert!(matches!(
        email_taken,
        Err(CreateLinkedAccountError::EmailTaken)
    ));
    assert!(matches!(
        identity_taken,
        Err(CreateLinkedAccountError::AlreadyLinked)
    ));
    assert_eq!(
        repo.find(&fresh.provider, &fresh.subject).await.unwrap(),
        None
    );
    assert!(
        storage
            .users()
            .find_by_id(same_identity.id)
            .await
            .unwrap()
            .is_none()
    );
    let written = written_events(storage).await;
    assert!(!written.iter().any(|e| matches!(
        e.data,
        EventData::IdentityLinked { identity_id, .. } if identity_id == fresh.id || identity_id == taken.id
    )));
}
