//! [`CeremonyStates`](postern_core::ports::CeremonyStates): a WebAuthn ceremony in progress is
//! taken once, for its own purpose and before it expires; a ceremony put again under its id
//! replaces the first; putting one prunes those expired; deleting an account removes its own.

use std::sync::Arc;

use postern_core::domain::{FactorName, UserId};
use postern_core::ports::{CEREMONY_TTL, CeremonyPurpose, CeremonyState, PendingCeremony};
use time::Duration;
use uuid::Uuid;

use crate::Storage;
use crate::fixtures::T0;
use crate::storage::add_user_id;

/// The [`CeremonyStates`](postern_core::ports::CeremonyStates) contract, as module
/// `ceremonies`, on the [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! ceremonies_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built ceremonies, $make, ceremonies: [
            a_ceremony_is_taken_once_and_as_stored,
            an_expired_or_unknown_ceremony_finds_nothing,
            a_ceremony_taken_for_another_purpose_finds_nothing_and_is_gone,
            a_ceremony_put_again_under_its_id_replaces_the_first,
            of_several_takes_of_one_ceremony_at_once_one_finds_it,
            putting_a_ceremony_prunes_the_expired_ones,
            deleting_an_account_forgets_its_ceremonies,
        ]);
    };
}

fn ceremony(purpose: CeremonyPurpose, user: Option<UserId>, state: &str) -> PendingCeremony {
    PendingCeremony {
        id: Uuid::now_v7(),
        purpose,
        user_id: user,
        state: CeremonyState::from_stored(state),
        factor_name: None,
        expires_at: T0 + CEREMONY_TTL,
    }
}

/// A ceremony comes back as stored, user, state and factor name included, once.
pub async fn a_ceremony_is_taken_once_and_as_stored(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let ceremonies = storage.ceremonies();
    let put = PendingCeremony {
        factor_name: Some(FactorName::parse("Yubikey", "name").unwrap()),
        ..ceremony(CeremonyPurpose::Registration, Some(user), "{\"rs\":1}")
    };
    ceremonies.put(&put, T0).await.unwrap();

    let first = ceremonies
        .take(put.id, CeremonyPurpose::Registration, T0)
        .await
        .unwrap();
    let second = ceremonies
        .take(put.id, CeremonyPurpose::Registration, T0)
        .await
        .unwrap();

    assert_eq!(first, Some(put));
    assert_eq!(second, None);
}

/// A ceremony past its expiry finds nothing, and an unknown id neither; one taken at its
/// expiry still counts.
pub async fn an_expired_or_unknown_ceremony_finds_nothing(storage: &dyn Storage) {
    let ceremonies = storage.ceremonies();
    let late = ceremony(CeremonyPurpose::SignIn, None, "late");
    let on_time = ceremony(CeremonyPurpose::SignIn, None, "on time");
    ceremonies.put(&late, T0).await.unwrap();
    ceremonies.put(&on_time, T0).await.unwrap();

    let expired = ceremonies
        .take(
            late.id,
            CeremonyPurpose::SignIn,
            late.expires_at + Duration::seconds(1),
        )
        .await
        .unwrap();
    let unknown = ceremonies
        .take(Uuid::now_v7(), CeremonyPurpose::SignIn, T0)
        .await
        .unwrap();
    let at_expiry = ceremonies
        .take(on_time.id, CeremonyPurpose::SignIn, on_time.expires_at)
        .await
        .unwrap();

    assert_eq!(expired, None);
    assert_eq!(unknown, None);
    assert_eq!(at_expiry, Some(on_time));
}

/// A sign-in's ceremony taken as a second step's finds nothing, and is spent all the same.
pub async fn a_ceremony_taken_for_another_purpose_finds_nothing_and_is_gone(storage: &dyn Storage) {
    let ceremonies = storage.ceremonies();
    let put = ceremony(CeremonyPurpose::SignIn, None, "sign-in");
    ceremonies.put(&put, T0).await.unwrap();

    let other = ceremonies
        .take(put.id, CeremonyPurpose::SecondFactor, T0)
        .await
        .unwrap();
    let own = ceremonies
        .take(put.id, CeremonyPurpose::SignIn, T0)
        .await
        .unwrap();

    assert_eq!(other, None);
    assert_eq!(own, None);
}

/// A second step started again answers its latest challenge only.
pub async fn a_ceremony_put_again_under_its_id_replaces_the_first(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let ceremonies = storage.ceremonies();
    let first = ceremony(CeremonyPurpose::SecondFactor, Some(user), "first");
    let again = PendingCeremony {
        state: CeremonyState::from_stored("again"),
        expires_at: first.expires_at + Duration::minutes(1),
        ..first.clone()
    };
    ceremonies.put(&first, T0).await.unwrap();
    ceremonies
        .put(&again, T0 + Duration::minutes(1))
        .await
        .unwrap();

    let taken = ceremonies
        .take(first.id, CeremonyPurpose::SecondFactor, T0)
        .await
        .unwrap();

    assert_eq!(taken, Some(again));
}

/// Eight finishes of one ceremony at once: one finds it.
pub async fn of_several_takes_of_one_ceremony_at_once_one_finds_it(storage: &dyn Storage) {
    let put = ceremony(CeremonyPurpose::SignIn, None, "raced");
    storage.ceremonies().put(&put, T0).await.unwrap();

    let tasks = (0..8).map(|_| {
        let ceremonies = Arc::clone(&storage.ceremonies());
        tokio::spawn(async move {
            ceremonies
                .take(put.id, CeremonyPurpose::SignIn, T0)
                .await
                .unwrap()
        })
    });
    let outcomes = futures::future::try_join_all(tasks).await.unwrap();

    assert_eq!(outcomes.iter().filter(|found| found.is_some()).count(), 1);
}

/// Abandoned ceremonies do not pile up: the next put removes those expired by then.
pub async fn putting_a_ceremony_prunes_the_expired_ones(storage: &dyn Storage) {
    let ceremonies = storage.ceremonies();
    let abandoned = ceremony(CeremonyPurpose::SignIn, None, "abandoned");
    ceremonies.put(&abandoned, T0).await.unwrap();
    let later = abandoned.expires_at + Duration::seconds(1);
    let next = PendingCeremony {
        id: Uuid::now_v7(),
        expires_at: later + CEREMONY_TTL,
        ..abandoned.clone()
    };

    ceremonies.put(&next, later).await.unwrap();

    // Taken as of before its expiry: only a pruned row finds nothing then.
    let pruned = ceremonies
        .take(abandoned.id, CeremonyPurpose::SignIn, T0)
        .await
        .unwrap();
    assert_eq!(pruned, None);
}

/// A deleted account's registrations in progress are gone with it; a sign-in, which names no
/// account, stays.
pub async fn deleting_an_account_forgets_its_ceremonies(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let ceremonies = storage.ceremonies();
    let registration = ceremony(CeremonyPurpose::Registration, Some(user), "registering");
    let sign_in = ceremony(CeremonyPurpose::SignIn, None, "anyone");
    ceremonies.put(&registration, T0).await.unwrap();
    ceremonies.put(&sign_in, T0).await.unwrap();

    storage.users().delete_account(user, T0, &[]).await.unwrap();

    let registering = ceremonies
        .take(registration.id, CeremonyPurpose::Registration, T0)
        .await
        .unwrap();
    let signing_in = ceremonies
        .take(sign_in.id, CeremonyPurpose::SignIn, T0)
        .await
        .unwrap();
    assert_eq!(registering, None);
    assert_eq!(signing_in, Some(sign_in));
}
