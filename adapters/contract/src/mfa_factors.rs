//! The [`MfaFactors`] contract: factors are pending until confirmed, the
//! first confirmed factor of an account brings its recovery set, a TOTP step and a recovery
//! code are each accepted once however many requests present them at once, and removing the
//! last active factor takes the recovery set with it.

use std::sync::Arc;

use postern_core::domain::{
    Confirmed, Event, EventData, Factor, FactorConfirmation, FactorCredential, FactorId,
    FactorKind, FactorName, RecoveryCodeDigest, TotpStep, UserId,
};
use postern_core::ports::MfaFactors;
use time::Duration;

use crate::Storage;
use crate::fixtures::T0;
use crate::storage::{add_user_id, written_events};

/// The [`MfaFactors`](postern_core::ports::MfaFactors) contract, as module `mfa_factors`, on
/// the [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! mfa_factors_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built mfa_factors, $make, mfa_factors: [
            a_pending_factor_is_stored_with_its_credential_and_found_by_its_owner_only,
            the_first_confirmation_stores_the_recovery_set_and_its_event_and_a_second_does_not,
            a_factor_is_confirmed_once,
            a_totp_step_is_accepted_once_and_never_an_earlier_one,
            concurrent_presentations_of_one_step_accept_it_once,
            a_recovery_code_is_used_once_with_its_event,
            new_recovery_codes_replace_the_old_set_and_need_an_active_factor,
            removing_the_last_active_factor_removes_the_recovery_set,
            an_admin_reset_removes_every_factor_and_code_of_the_account_only,
        ]);
    };
}

fn pending(user: UserId, minutes: i64) -> Factor {
    Factor::pending(
        FactorId::generate(),
        user,
        FactorKind::Totp,
        FactorName::parse("Phone", "name").unwrap(),
        FactorCredential::new(vec![1, 0, 255, 42]),
        T0 + Duration::minutes(minutes),
    )
}

fn codes(prefix: &str) -> Vec<RecoveryCodeDigest> {
    (0..10)
        .map(|i| RecoveryCodeDigest::new(format!("{prefix}{i:062}")))
        .collect()
}

fn enabled(user: UserId, factor: FactorId) -> Event {
    let data = EventData::MfaEnabled {
        email: "ada@example.com".into(),
        factor_id: factor,
        kind: "totp".into(),
    };
    Event::new(data, Some(user), T0)
}

fn disabled(user: UserId) -> Event {
    let data = EventData::MfaDisabled {
        email: "ada@example.com".into(),
        factor_id: None,
        reset_by: None,
    };
    Event::new(data, Some(user), T0)
}

fn recovery_used(user: UserId) -> Event {
    let data = EventData::RecoveryCodeUsed {
        email: "ada@example.com".into(),
    };
    Event::new(data, Some(user), T0)
}

fn confirmation(factor: &Factor, step: u64, codes: Vec<RecoveryCodeDigest>) -> FactorConfirmation {
    FactorConfirmation {
        factor_id: factor.id,
        user_id: factor.user_id,
        step: TotpStep(step),
        at: T0 + Duration::minutes(1),
        recovery_codes: codes,
        event: enabled(factor.user_id, factor.id),
    }
}

/// A stored account with one confirmed factor (step 100 spent) and the recovery set `rc`.
async fn with_active_factor(storage: &dyn Storage) -> (UserId, Factor) {
    let factors = storage.mfa_factors();
    let user = add_user_id(storage, "ada@example.com").await;
    let factor = pending(user, 0);
    factors.add_pending(&factor).await.unwrap();
    let confirmed = factors
        .confirm(&confirmation(&factor, 100, codes("a")))
        .await
        .unwrap();
    assert_eq!(confirmed, Confirmed::Active { recovery_set: true });
    (user, factor)
}

fn types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.data.type_name()).collect()
}

/// A pending factor comes back as stored, credential bytes included, to its owner only.
pub async fn a_pending_factor_is_stored_with_its_credential_and_found_by_its_owner_only(
    storage: &dyn Storage,
) {
    let factors = storage.mfa_factors();
    let user = add_user_id(storage, "ada@example.com").await;
    let other = add_user_id(storage, "grace@example.com").await;
    let factor = pending(user, 0);

    factors.add_pending(&factor).await.unwrap();

    assert_eq!(
        factors.find(user, factor.id).await.unwrap(),
        Some(factor.clone())
    );
    assert_eq!(factors.find(other, factor.id).await.unwrap(), None);
    assert_eq!(factors.list(user).await.unwrap(), vec![factor]);
    assert!(factors.list(other).await.unwrap().is_empty());
}

/// The first factor confirmed brings the recovery set and `user.mfa_enabled`; a second one
/// stores no set and leaves the first set working.
pub async fn the_first_confirmation_stores_the_recovery_set_and_its_event_and_a_second_does_not(
    storage: &dyn Storage,
) {
    let factors = storage.mfa_factors();
    let (user, _) = with_active_factor(storage).await;
    let second = pending(user, 5);
    factors.add_pending(&second).await.unwrap();

    let confirmed = factors
        .confirm(&confirmation(&second, 200, codes("b")))
        .await
        .unwrap();

    assert_eq!(
        confirmed,
        Confirmed::Active {
            recovery_set: false
        }
    );
    assert_eq!(factors.unused_recovery_codes(user).await.unwrap(), 10);
    let used_old = factors
        .use_recovery_code(user, &codes("a")[0], T0, &recovery_used(user))
        .await
        .unwrap();
    assert!(used_old, "the first set stopped working");
    let listed = factors.list(user).await.unwrap();
    assert!(listed.iter().all(Factor::is_active), "{listed:?}");
    let events = written_events(storage).await;
    assert_eq!(
        types(&events)
            .iter()
            .filter(|t| **t == "user.mfa_enabled")
            .count(),
        2
    );
}

/// Confirming twice, or someone else's factor, changes nothing.
pub async fn a_factor_is_confirmed_once(storage: &dyn Storage) {
    let factors = storage.mfa_factors();
    let (user, factor) = with_active_factor(storage).await;
    let other = add_user_id(storage, "grace@example.com").await;
    let foreign = Factor {
        user_id: other,
        ..pending(other, 0)
    };
    factors.add_pending(&foreign).await.unwrap();

    let again = factors
        .confirm(&confirmation(&factor, 101, codes("c")))
        .await
        .unwrap();
    let by_another = factors
        .confirm(&FactorConfirmation {
            user_id: user,
            ..confirmation(&foreign, 1, codes("d"))
        })
        .await
        .unwrap();

    assert_eq!(again, Confirmed::NotPending);
    assert_eq!(by_another, Confirmed::NotPending);
    assert!(
        !factors
            .find(other, foreign.id)
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );
}

/// A step after the last one is accepted, and stamps `last_used_at`; the same step again, or
/// an earlier one, is refused; a pending factor accepts none.
pub async fn a_totp_step_is_accepted_once_and_never_an_earlier_one(storage: &dyn Storage) {
    let factors = storage.mfa_factors();
    let (user, factor) = with_active_factor(storage).await;
    let at = T0 + Duration::minutes(3);
    let unconfirmed = pending(user, 9);
    factors.add_pending(&unconfirmed).await.unwrap();

    let confirming_step = factors
        .spend_step(factor.id, TotpStep(100), at)
        .await
        .unwrap();
    let next = factors
        .spend_step(factor.id, TotpStep(101), at)
        .await
        .unwrap();
    let replayed = factors
        .spend_step(factor.id, TotpStep(101), at)
        .await
        .unwrap();
    let earlier = factors
        .spend_step(factor.id, TotpStep(99), at)
        .await
        .unwrap();
    let on_pending = factors
        .spend_step(unconfirmed.id, TotpStep(500), at)
        .await
        .unwrap();

    assert_eq!(
        (confirming_step, next, replayed, earlier, on_pending),
        (false, true, false, false, false)
    );
    let stored = factors.find(user, factor.id).await.unwrap().unwrap();
    assert_eq!(stored.last_used_at, Some(at));
}

/// Eight requests presenting one step at once: exactly one is accepted.
pub async fn concurrent_presentations_of_one_step_accept_it_once(storage: &dyn Storage) {
    let (_, factor) = with_active_factor(storage).await;
    let factors: Arc<dyn MfaFactors> = storage.mfa_factors();

    let attempts = (0..8).map(|_| {
        let factors = factors.clone();
        tokio::spawn(async move { factors.spend_step(factor.id, TotpStep(150), T0).await })
    });
    let mut accepted = 0;
    for attempt in attempts {
        if attempt.await.unwrap().unwrap() {
            accepted += 1;
        }
    }

    assert_eq!(accepted, 1);
}

/// A code of the set works once, with its event; an unknown one, or another account's, never.
pub async fn a_recovery_code_is_used_once_with_its_event(storage: &dyn Storage) {
    let factors = storage.mfa_factors();
    let (user, _) = with_active_factor(storage).await;
    let other = add_user_id(storage, "grace@example.com").await;
    let code = &codes("a")[3];

    let by_another = factors
        .use_recovery_code(other, code, T0, &recovery_used(other))
        .await
        .unwrap();
    let first = factors
        .use_recovery_code(user, code, T0, &recovery_used(user))
        .await
        .unwrap();
    let again = factors
        .use_recovery_code(user, code, T0, &recovery_used(user))
        .await
        .unwrap();

    assert_eq!((by_another, first, again), (false, true, false));
    assert_eq!(factors.unused_recovery_codes(user).await.unwrap(), 9);
    let events = written_events(storage).await;
    assert_eq!(
        types(&events)
            .iter()
            .filter(|t| **t == "user.recovery_code_used")
            .count(),
        1
    );
}

/// A new set replaces the old one entirely; without an active factor there is none to replace.
pub async fn new_recovery_codes_replace_the_old_set_and_need_an_active_factor(
    storage: &dyn Storage,
) {
    let factors = storage.mfa_factors();
    let (user, _) = with_active_factor(storage).await;
    let without = add_user_id(storage, "grace@example.com").await;

    let replaced = factors
        .replace_recovery_codes(user, &codes("n"), T0)
        .await
        .unwrap();
    let refused = factors
        .replace_recovery_codes(without, &codes("m"), T0)
        .await
        .unwrap();

    assert!(replaced && !refused);
    let old = factors
        .use_recovery_code(user, &codes("a")[0], T0, &recovery_used(user))
        .await
        .unwrap();
    let new = factors
        .use_recovery_code(user, &codes("n")[0], T0, &recovery_used(user))
        .await
        .unwrap();
    assert_eq!((old, new), (false, true));
    assert_eq!(factors.unused_recovery_codes(without).await.unwrap(), 0);
}

/// Removing a factor writes its event; once no active factor remains, the set is gone too.
pub async fn removing_the_last_active_factor_removes_the_recovery_set(storage: &dyn Storage) {
    let factors = storage.mfa_factors();
    let (user, factor) = with_active_factor(storage).await;
    let other = add_user_id(storage, "grace@example.com").await;

    let by_another = factors
        .remove(other, factor.id, &disabled(other))
        .await
        .unwrap();
    let removed = factors
        .remove(user, factor.id, &disabled(user))
        .await
        .unwrap();
    let again = factors
        .remove(user, factor.id, &disabled(user))
        .await
        .unwrap();

    assert_eq!((by_another, removed, again), (false, true, false));
    assert!(factors.list(user).await.unwrap().is_empty());
    assert_eq!(factors.unused_recovery_codes(user).await.unwrap(), 0);
    let events = written_events(storage).await;
    assert_eq!(
        types(&events)
            .iter()
            .filter(|t| **t == "user.mfa_disabled")
            .count(),
        1
    );
}

/// An admin's reset removes every factor, pending or active, and every code, of that account
/// only, with one event; a reset of an account without factors writes none.
pub async fn an_admin_reset_removes_every_factor_and_code_of_the_account_only(
    storage: &dyn Storage,
) {
    let factors = storage.mfa_factors();
    let (user, _) = with_active_factor(storage).await;
    factors.add_pending(&pending(user, 7)).await.unwrap();
    let other = add_user_id(storage, "grace@example.com").await;
    let theirs = pending(other, 0);
    factors.add_pending(&theirs).await.unwrap();

    let removed = factors.remove_all(user, &disabled(user)).await.unwrap();
    let none = factors.remove_all(user, &disabled(user)).await.unwrap();

    assert_eq!((removed, none), (2, 0));
    assert!(factors.list(user).await.unwrap().is_empty());
    assert_eq!(factors.unused_recovery_codes(user).await.unwrap(), 0);
    assert_eq!(factors.list(other).await.unwrap(), vec![theirs]);
    let events = written_events(storage).await;
    assert_eq!(
        types(&events)
            .iter()
            .filter(|t| **t == "user.mfa_disabled")
            .count(),
        1
    );
}
