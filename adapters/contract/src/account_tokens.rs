//! [`AccountTokens`](postern_core::ports::AccountTokens): a token is found by its purpose and
//! digest, and spent once, in one step with what it proves and its event, however many
//! requests present it at once; a new password, by reset or by change, spends every unused
//! reset token of its account in the same step.

use std::sync::Arc;

use postern_core::domain::{
    ClientKey, Event, EventData, LockoutPolicy, LoginAttempt, LoginKey, NewAccountToken, NewUser,
    TokenPurpose,
};
use time::{Duration, OffsetDateTime};

use crate::Storage;
use crate::fixtures::{T0, a_hash, login_failed, password_changed, unique_digest};
use crate::storage::{add_user, written_events};

/// The [`AccountTokens`](postern_core::ports::AccountTokens) contract, as module
/// `account_tokens`, on the [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! account_tokens_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built account_tokens, $make, account_tokens: [
            an_issued_token_is_found_by_its_purpose_and_digest_only,
            verify_email_spends_the_token_marks_the_email_verified_and_stores_its_event,
            a_verification_token_is_spent_once,
            concurrent_verifications_spend_a_token_once,
            reset_password_spends_the_token_stores_the_hash_lifts_the_lock_and_stores_its_event,
            a_reset_token_is_spent_once,
            a_reset_spends_every_other_unused_reset_link_of_the_account_only,
            a_password_change_spends_every_unused_reset_link_of_the_account_only,
            spend_uses_a_login_token_once_however_many_present_it,
        ]);
    };
}

/// Another token of `purpose` for `user`, issued at [`T0`].
async fn issue_another(
    storage: &dyn Storage,
    user: &NewUser,
    purpose: TokenPurpose,
) -> NewAccountToken {
    let token = NewAccountToken::new(user.id, purpose, unique_digest(), T0);
    storage.account_tokens().issue(&token).await.unwrap();
    token
}

/// When `token` was spent, if it was.
async fn spent_at(storage: &dyn Storage, token: &NewAccountToken) -> Option<OffsetDateTime> {
    storage
        .account_tokens()
        .find(token.purpose, &token.digest)
        .await
        .unwrap()
        .unwrap()
        .used_at
}

/// A stored account and an issued token of `purpose` for it.
async fn issued(storage: &dyn Storage, purpose: TokenPurpose) -> (NewUser, NewAccountToken) {
    let user = add_user(storage, "ada@example.com").await;
    let token = NewAccountToken::new(user.id, purpose, unique_digest(), T0);
    storage.account_tokens().issue(&token).await.unwrap();
    (user, token)
}

fn email_verified(user: &NewUser, at: OffsetDateTime) -> Event {
    let data = EventData::EmailVerified {
        email: user.email.to_string(),
    };
    Event::new(data, Some(user.id), at)
}

/// `find` returns the token, unused, under its own purpose; another purpose or an unknown
/// digest finds nothing.
pub async fn an_issued_token_is_found_by_its_purpose_and_digest_only(storage: &dyn Storage) {
    let tokens = storage.account_tokens();
    let (user, token) = issued(storage, TokenPurpose::VerifyEmail).await;

    let found = tokens
        .find(TokenPurpose::VerifyEmail, &token.digest)
        .await
        .unwrap()
        .unwrap();
    let other_purpose = tokens
        .find(TokenPurpose::ResetPassword, &token.digest)
        .await
        .unwrap();
    let unknown = tokens
        .find(TokenPurpose::VerifyEmail, &unique_digest())
        .await
        .unwrap();

    assert_eq!(found.id, token.id);
    assert_eq!(found.user_id, user.id);
    assert_eq!(found.expires_at, T0 + Duration::hours(24));
    assert_eq!(found.used_at, None);
    assert_eq!(other_purpose, None);
    assert_eq!(unknown, None);
}

/// Verifying spends the token at its time, marks the email verified, stamps `updated_at` and
/// stores the event, and returns the account as it now is.
pub async fn verify_email_spends_the_token_marks_the_email_verified_and_stores_its_event(
    storage: &dyn Storage,
) {
    let (user, token) = issued(storage, TokenPurpose::VerifyEmail).await;
    let at = T0 + Duration::minutes(5);
    let event = email_verified(&user, at);

    let verified = storage
        .account_tokens()
        .verify_email(token.id, at, &event)
        .await
        .unwrap()
        .unwrap();

    assert!(verified.email_verified);
    assert_eq!(verified.updated_at, at);
    let stored = storage.users().find_by_id(user.id).await.unwrap();
    assert_eq!(stored, Some(verified));
    let spent = storage
        .account_tokens()
        .find(TokenPurpose::VerifyEmail, &token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.used_at, Some(at));
    assert!(written_events(storage).await.contains(&event));
}

/// A spent verification token is `None` the second time, and its event is not stored.
pub async fn a_verification_token_is_spent_once(storage: &dyn Storage) {
    let tokens = storage.account_tokens();
    let (user, token) = issued(storage, TokenPurpose::VerifyEmail).await;
    let first = email_verified(&user, T0);
    let second = email_verified(&user, T0 + Duration::minutes(1));

    tokens.verify_email(token.id, T0, &first).await.unwrap();
    let again = tokens
        .verify_email(token.id, T0 + Duration::minutes(1), &second)
        .await
        .unwrap();

    assert_eq!(again, None);
    assert!(!written_events(storage).await.contains(&second));
    let found = tokens
        .find(TokenPurpose::VerifyEmail, &token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.used_at, Some(T0));
}

/// Eight requests presenting one token at once: exactly one verifies.
pub async fn concurrent_verifications_spend_a_token_once(storage: &dyn Storage) {
    let tokens = storage.account_tokens();
    let (user, token) = issued(storage, TokenPurpose::VerifyEmail).await;

    let tasks = (0..8).map(|_| {
        let (tokens, event) = (Arc::clone(&tokens), email_verified(&user, T0));
        tokio::spawn(async move { tokens.verify_email(token.id, T0, &event).await.unwrap() })
    });
    let outcomes = futures::future::try_join_all(tasks).await.unwrap();

    assert_eq!(outcomes.iter().filter(|o| o.is_some()).count(), 1);
}

/// Resetting spends the token, stores the hash, stamps `updated_at`, lifts a lock a guesser
/// caused and stores the event.
pub async fn reset_password_spends_the_token_stores_the_hash_lifts_the_lock_and_stores_its_event(
    storage: &dyn Storage,
) {
    let users = storage.users();
    let (user, token) = issued(storage, TokenPurpose::ResetPassword).await;
    let policy = LockoutPolicy::default();
    let key = LoginKey {
        email: user.email.clone(),
        client: ClientKey::of(Some([203, 0, 113, 1].into())),
    };
    for _ in 0..policy.max_failures {
        users.begin_login_attempt(&key, T0, policy).await.unwrap();
        users
            .record_login_failure(&key, T0, policy, &login_failed(user.id, T0))
            .await
            .unwrap();
    }
    assert!(matches!(
        users.begin_login_attempt(&key, T0, policy).await.unwrap(),
        LoginAttempt::Locked { .. }
    ));
    let at = T0 + Duration::minutes(5);
    let (hash, event) = (a_hash("cmVzZXQ"), password_changed(user.id, at));

    let reset = storage
        .account_tokens()
        .reset_password(token.id, &hash, at, &event)
        .await
        .unwrap();

    assert!(reset);
    let credentials = users
        .find_credentials_by_id(user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.password_hash, hash);
    assert_eq!(credentials.user.updated_at, at);
    let attempt = users.begin_login_attempt(&key, at, policy).await.unwrap();
    assert_eq!(attempt, LoginAttempt::Allowed { attempt: 1 });
    let spent = storage
        .account_tokens()
        .find(TokenPurpose::ResetPassword, &token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.used_at, Some(at));
    assert!(written_events(storage).await.contains(&event));
}

/// A spent reset token is `false` the second time: its hash is not stored, nor its event.
pub async fn a_reset_token_is_spent_once(storage: &dyn Storage) {
    let tokens = storage.account_tokens();
    let (user, token) = issued(storage, TokenPurpose::ResetPassword).await;
    let (first, second) = (a_hash("Zmlyc3Q"), a_hash("c2Vjb25k"));
    let late = password_changed(user.id, T0 + Duration::minutes(1));

    let once = tokens
        .reset_password(token.id, &first, T0, &password_changed(user.id, T0))
        .await
        .unwrap();
    let twice = tokens
        .reset_password(token.id, &second, T0 + Duration::minutes(1), &late)
        .await
        .unwrap();

    assert!(once);
    assert!(!twice);
    let credentials = storage
        .users()
        .find_credentials_by_id(user.id)
        .await
        .unwrap();
    assert_eq!(credentials.unwrap().password_hash, first);
    assert!(!written_events(storage).await.contains(&late));
}

/// A reset through one link spends the account's other unused reset links at the same time,
/// so that an older mail cannot set the password again; its verification link and another
/// account's reset link stay usable.
pub async fn a_reset_spends_every_other_unused_reset_link_of_the_account_only(
    storage: &dyn Storage,
) {
    let tokens = storage.account_tokens();
    let (user, used) = issued(storage, TokenPurpose::ResetPassword).await;
    let older = issue_another(storage, &user, TokenPurpose::ResetPassword).await;
    let verification = issue_another(storage, &user, TokenPurpose::VerifyEmail).await;
    let grace = add_user(storage, "grace@example.com").await;
    let others = issue_another(storage, &grace, TokenPurpose::ResetPassword).await;
    let at = T0 + Duration::minutes(5);

    let reset = tokens
        .reset_password(
            used.id,
            &a_hash("Zmlyc3Q"),
            at,
            &password_changed(user.id, at),
        )
        .await
        .unwrap();
    let later = at + Duration::minutes(1);
    let again = tokens
        .reset_password(
            older.id,
            &a_hash("c2Vjb25k"),
            later,
            &password_changed(user.id, later),
        )
        .await
        .unwrap();

    assert!(reset);
    assert!(!again, "an older reset link set the password again");
    assert_eq!(spent_at(storage, &older).await, Some(at));
    assert_eq!(spent_at(storage, &verification).await, None);
    assert_eq!(spent_at(storage, &others).await, None);
}

/// A password change spends every unused reset link of the account in the same step as the
/// new hash; its verification link and another account's reset link stay usable.
pub async fn a_password_change_spends_every_unused_reset_link_of_the_account_only(
    storage: &dyn Storage,
) {
    let (user, first) = issued(storage, TokenPurpose::ResetPassword).await;
    let second = issue_another(storage, &user, TokenPurpose::ResetPassword).await;
    let verification = issue_another(storage, &user, TokenPurpose::VerifyEmail).await;
    let grace = add_user(storage, "grace@example.com").await;
    let others = issue_another(storage, &grace, TokenPurpose::ResetPassword).await;
    let at = T0 + Duration::minutes(5);

    storage
        .users()
        .change_password(
            user.id,
            &a_hash("Y2hhbmdl"),
            at,
            &password_changed(user.id, at),
        )
        .await
        .unwrap();

    assert_eq!(spent_at(storage, &first).await, Some(at));
    assert_eq!(spent_at(storage, &second).await, Some(at));
    assert_eq!(spent_at(storage, &verification).await, None);
    assert_eq!(spent_at(storage, &others).await, None);
    let later = at + Duration::minutes(1);
    let reset = storage
        .account_tokens()
        .reset_password(
            first.id,
            &a_hash("c2Vjb25k"),
            later,
            &password_changed(user.id, later),
        )
        .await
        .unwrap();
    assert!(
        !reset,
        "a reset link from before the change set the password"
    );
}

/// `spend` marks an unused token used and nothing else; of eight requests spending it at once
/// exactly one succeeds, and an unknown token spends nothing.
pub async fn spend_uses_a_login_token_once_however_many_present_it(storage: &dyn Storage) {
    let (user, token) = issued(storage, TokenPurpose::MfaLogin).await;
    let tokens = storage.account_tokens();
    let at = T0 + Duration::minutes(1);

    let attempts = (0..8).map(|_| {
        let tokens = tokens.clone();
        let id = token.id;
        tokio::spawn(async move { tokens.spend(id, at).await })
    });
    let mut spent = 0;
    for attempt in attempts {
        if attempt.await.unwrap().unwrap() {
            spent += 1;
        }
    }
    let unknown = tokens.spend(uuid::Uuid::now_v7(), at).await.unwrap();

    assert_eq!(spent, 1);
    assert!(!unknown);
    assert_eq!(spent_at(storage, &token).await, Some(at));
    let account = storage.users().find_by_id(user.id).await.unwrap().unwrap();
    assert!(!account.email_verified, "spend proved nothing else");
    assert!(
        written_events(storage)
            .await
            .iter()
            .all(|e| e.data.type_name() == "user.signed_up")
    );
}
