//! The WebAuthn rules of [`MfaFactors`](postern_core::ports::MfaFactors): a registered key is
//! stored active, with the recovery set when it is the account's first factor; a credential id
//! is registered once across every account and finds its factor; an assertion is recorded
//! once against the credential it was checked with.

use std::sync::Arc;

use postern_core::domain::{
    Event, EventData, Factor, FactorCredential, FactorId, FactorKind, FactorName,
    RecoveryCodeDigest, UserId,
};
use postern_core::ports::{CredentialId, Enrolled, WebAuthnEnrolment};
use time::Duration;

use crate::Storage;
use crate::fixtures::T0;
use crate::storage::{add_user_id, written_events};

/// The WebAuthn rules of the [`MfaFactors`](postern_core::ports::MfaFactors) contract, as
/// module `mfa_webauthn`, on the [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! mfa_webauthn_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built mfa_webauthn, $make, mfa_webauthn: [
            a_first_key_is_stored_active_with_the_recovery_set_and_its_event,
            a_key_after_another_factor_stores_no_recovery_set,
            a_credential_id_finds_its_active_key_whoever_holds_it,
            a_credential_id_is_registered_once_across_accounts,
            an_assertion_is_recorded_against_the_credential_it_was_checked_with,
            of_several_assertions_checked_against_one_credential_at_once_one_is_recorded,
        ]);
    };
}

fn codes(prefix: &str) -> Vec<RecoveryCodeDigest> {
    (0..10)
        .map(|i| RecoveryCodeDigest::new(format!("{prefix}{i:062}")))
        .collect()
}

/// A registered key of `user` with credential id `id`, enrolled at `T0 + minutes`.
fn enrolment(user: UserId, id: &[u8], minutes: i64) -> WebAuthnEnrolment {
    let at = T0 + Duration::minutes(minutes);
    let factor = Factor {
        confirmed_at: Some(at),
        ..Factor::pending(
            FactorId::generate(),
            user,
            FactorKind::Webauthn,
            FactorName::parse("Yubikey", "name").unwrap(),
            FactorCredential::new(b"{\"counter\":0}".to_vec()),
            at,
        )
    };
    let event = Event::new(
        EventData::MfaEnabled {
            email: "ada@example.com".into(),
            factor_id: factor.id,
            kind: "webauthn".into(),
        },
        Some(user),
        at,
    );
    WebAuthnEnrolment {
        factor,
        credential_id: CredentialId::from_bytes(id),
        recovery_codes: codes("w"),
        event,
    }
}

/// The first factor of an account, a key, is active at once, with its recovery set and
/// `user.mfa_enabled`.
pub async fn a_first_key_is_stored_active_with_the_recovery_set_and_its_event(
    storage: &dyn Storage,
) {
    let factors = storage.mfa_factors();
    let user = add_user_id(storage, "ada@example.com").await;
    let key = enrolment(user, &[1, 2, 3], 0);

    let enrolled = factors.add_webauthn(&key).await.unwrap();

    assert_eq!(enrolled, Enrolled::Active { recovery_set: true });
    assert_eq!(factors.list(user).await.unwrap(), vec![key.factor.clone()]);
    assert_eq!(factors.unused_recovery_codes(user).await.unwrap(), 10);
    let events = written_events(storage).await;
    assert!(
        events.iter().any(|e| e.id == key.event.id),
        "no user.mfa_enabled: {events:?}"
    );
}

/// A second key stores no recovery set: the first set keeps working.
pub async fn a_key_after_another_factor_stores_no_recovery_set(storage: &dyn Storage) {
    let factors = storage.mfa_factors();
    let user = add_user_id(storage, "ada@example.com").await;
    factors
        .add_webauthn(&enrolment(user, &[1], 0))
        .await
        .unwrap();
    let mut second = enrolment(user, &[2], 1);
    second.recovery_codes = codes("x");

    let enrolled = factors.add_webauthn(&second).await.unwrap();

    assert_eq!(
        enrolled,
        Enrolled::Active {
            recovery_set: false
        }
    );
    assert_eq!(factors.list(user).await.unwrap().len(), 2);
    let event = Event::new(
        EventData::RecoveryCodeUsed {
            email: "ada@example.com".into(),
        },
        Some(user),
        T0,
    );
    let old_works = factors
        .use_recovery_code(user, &codes("w")[0], T0, &event)
        .await
        .unwrap();
    assert!(old_works, "the first set stopped working");
}

/// A passwordless sign-in finds the key by its id alone; an unknown id finds nothing.
pub async fn a_credential_id_finds_its_active_key_whoever_holds_it(storage: &dyn Storage) {
    let factors = storage.mfa_factors();
    let ada = add_user_id(storage, "ada@example.com").await;
    let grace = add_user_id(storage, "grace@example.com").await;
    let adas = enrolment(ada, &[0xad; 64], 0);
    let graces = enrolment(grace, &[0x67; 64], 0);
    factors.add_webauthn(&adas).await.unwrap();
    factors.add_webauthn(&graces).await.unwrap();

    let found = factors
        .find_by_credential(&CredentialId::from_bytes(vec![0x67; 64]))
        .await
        .unwrap();
    let unknown = factors
        .find_by_credential(&CredentialId::from_bytes(vec![0x00; 64]))
        .await
        .unwrap();

    assert_eq!(found, Some(graces.factor));
    assert_eq!(unknown, None);
}

/// One authenticator's credential registered again, by its owner or by anyone, is refused
/// and writes nothing.
pub async fn a_credential_id_is_registered_once_across_accounts(storage: &dyn Storage) {
    let factors = storage.mfa_factors();
    let ada = add_user_id(storage, "ada@example.com").await;
    let grace = add_user_id(storage, "grace@example.com").await;
    factors
        .add_webauthn(&enrolment(ada, &[9; 16], 0))
        .await
        .unwrap();
    let events_before = written_events(storage).await.len();

    let again = factors
        .add_webauthn(&enrolment(ada, &[9; 16], 1))
        .await
        .unwrap();
    let by_another = factors
        .add_webauthn(&enrolment(grace, &[9; 16], 1))
        .await
        .unwrap();

    assert_eq!(again, Enrolled::CredentialTaken);
    assert_eq!(by_another, Enrolled::CredentialTaken);
    assert_eq!(factors.list(ada).await.unwrap().len(), 1);
    assert!(factors.list(grace).await.unwrap().is_empty());
    assert_eq!(factors.unused_recovery_codes(grace).await.unwrap(), 0);
    assert_eq!(written_events(storage).await.len(), events_before);
}

/// The updated credential replaces the one checked, and the key is stamped; an assertion
/// checked against a credential that is no longer stored is not recorded.
pub async fn an_assertion_is_recorded_against_the_credential_it_was_checked_with(
    storage: &dyn Storage,
) {
    let factors = storage.mfa_factors();
    let user = add_user_id(storage, "ada@example.com").await;
    let key = enrolment(user, &[5; 32], 0);
    factors.add_webauthn(&key).await.unwrap();
    let seen = key.factor.credential.clone();
    let updated = FactorCredential::new(b"{\"counter\":1}".to_vec());
    let at = T0 + Duration::minutes(3);

    let recorded = factors
        .record_webauthn_use(key.factor.id, &seen, &updated, at)
        .await
        .unwrap();
    let stale = factors
        .record_webauthn_use(key.factor.id, &seen, &updated, at)
        .await
        .unwrap();

    assert!(recorded);
    assert!(
        !stale,
        "an assertion checked against the old counter was recorded"
    );
    let stored = factors
        .find_by_credential(&key.credential_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.credential, updated);
    assert_eq!(stored.last_used_at, Some(at));
}

/// Eight assertions checked against one counter at once: one is recorded.
pub async fn of_several_assertions_checked_against_one_credential_at_once_one_is_recorded(
    storage: &dyn Storage,
) {
    let user = add_user_id(storage, "ada@example.com").await;
    let key = enrolment(user, &[7; 32], 0);
    storage.mfa_factors().add_webauthn(&key).await.unwrap();

    let tasks = (0..8u8).map(|i| {
        let factors = Arc::clone(&storage.mfa_factors());
        let (id, seen) = (key.factor.id, key.factor.credential.clone());
        tokio::spawn(async move {
            let updated = FactorCredential::new(vec![b'0' + i]);
            factors
                .record_webauthn_use(id, &seen, &updated, T0)
                .await
                .unwrap()
        })
    });
    let outcomes = futures::future::try_join_all(tasks).await.unwrap();

    assert_eq!(outcomes.iter().filter(|recorded| **recorded).count(), 1);
}
