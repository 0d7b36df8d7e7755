//! `UserRepo`: unique emails, unknown accounts, lockout, disabling, listing.

use super::*;

#[tokio::test]
async fn create_with_a_taken_email_is_email_taken_and_stores_no_event() {
    let (store, _) = store();
    add_user(&store, "ada@example.com").await;
    let again = new_user("ada@example.com");

    let result = store.create(&again, &event(again.id, T0)).await;

    assert!(matches!(result, Err(CreateUserError::EmailTaken)));
    assert_eq!(store.events().len(), 1);
}

#[tokio::test]
async fn changes_to_an_unknown_account_are_not_found() {
    let (store, _) = store();
    let nobody = UserId::generate();
    let hash = PasswordHash::new("x".into());
    let access = AccessUpdate {
        role: Some(Role::Admin),
        disabled: None,
        at: T0,
    };

    let password = store
        .change_password(nobody, &hash, T0, &event(nobody, T0))
        .await;
    let name = store
        .update_name(nobody, None, T0, &event(nobody, T0))
        .await;
    let update = store.update_access(nobody, &access, &[]).await;
    let attempt = store
        .begin_login_attempt(nobody, T0, LockoutPolicy::default())
        .await;

    assert!(matches!(password, Err(UpdateUserError::NotFound)));
    assert!(matches!(name, Err(UpdateUserError::NotFound)));
    assert!(matches!(update, Err(UpdateUserError::NotFound)));
    assert!(matches!(attempt, Err(UpdateUserError::NotFound)));
    assert!(store.events().is_empty());
}

#[tokio::test]
async fn ten_attempts_are_allowed_then_the_account_is_locked_until_the_lock_lifts() {
    let (store, _) = store();
    let user = add_user(&store, "ada@example.com").await;
    let policy = LockoutPolicy::default();

    for n in 1..=10 {
        let attempt = store.begin_login_attempt(user, T0, policy).await.unwrap();
        assert_eq!(attempt, LoginAttempt::Allowed { attempt: n });
    }
    let eleventh = store.begin_login_attempt(user, T0, policy).await.unwrap();
    let lifted = T0 + policy.lock_for;
    let after_lock = store
        .begin_login_attempt(user, lifted, policy)
        .await
        .unwrap();

    assert_eq!(
        eleventh,
        LoginAttempt::Locked {
            until: T0 + policy.lock_for
        }
    );
    assert_eq!(after_lock, LoginAttempt::Allowed { attempt: 1 });
}

#[tokio::test]
async fn a_success_clears_the_count_and_the_provisional_lock() {
    let (store, _) = store();
    let user = add_user(&store, "ada@example.com").await;
    let policy = LockoutPolicy {
        max_failures: 2,
        lock_for: Duration::minutes(15),
    };
    store.begin_login_attempt(user, T0, policy).await.unwrap();
    store.begin_login_attempt(user, T0, policy).await.unwrap();

    store.record_login_success(user).await.unwrap();
    let next = store.begin_login_attempt(user, T0, policy).await.unwrap();

    assert_eq!(next, LoginAttempt::Allowed { attempt: 1 });
}

#[tokio::test]
async fn disabling_an_account_revokes_its_live_sessions() {
    let (store, _) = store();
    let user = add_user(&store, "ada@example.com").await;
    let session = start(&store, user, T0).await;
    let update = AccessUpdate {
        role: None,
        disabled: Some(true),
        at: T0,
    };

    let (account, revoked) = store
        .update_access(user, &update, &[event(user, T0)])
        .await
        .unwrap();

    assert!(account.disabled);
    assert_eq!(revoked, [session.id]);
}

#[tokio::test]
async fn users_are_listed_newest_first_by_prefix_and_page() {
    let (store, _) = store();
    for (n, email) in ["ann@example.com", "bob@example.com", "amy@example.com"]
        .iter()
        .enumerate()
    {
        let mut new = new_user(email);
        new.created_at = T0 + Duration::minutes(n as i64);
        store.create(&new, &event(new.id, T0)).await.unwrap();
    }
    let prefix = Some(postern_core::domain::EmailPrefix::parse("A").unwrap());
    let page = PageRequest {
        after: None,
        limit: PageLimit::parse(Some(1)).unwrap(),
    };

    let listed = UserRepo::list(
        &store,
        &UserQuery {
            email: prefix,
            page,
        },
    )
    .await
    .unwrap();

    let emails: Vec<_> = listed.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["amy@example.com", "ann@example.com"]);
}
