//! `Outbox`, `AccountTokens`, the audit log and `HandledEvents`.

use super::*;

#[tokio::test]
async fn a_claimed_event_is_withheld_until_its_lease_ends() {
    let (store, clock) = store();
    let user = add_user(&store, "ada@example.com").await;

    let first = store.claim(10).await.unwrap();
    let during = store.claim(10).await.unwrap();
    clock.advance(retry::DEFAULT_LEASE + Duration::seconds(1));
    let after = store.claim(10).await.unwrap();
    store.mark_published(&[after[0].event_id()]).await.unwrap();
    clock.advance(Duration::hours(1));

    assert_eq!(first.len(), 1);
    assert_eq!(first[0].user_id, Some(user.as_uuid()));
    assert!(during.is_empty());
    assert_eq!(after, first);
    assert!(store.claim(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn failures_back_off_then_dead_letter_after_the_last_attempt() {
    let (store, clock) = store();
    let store = store.with_max_attempts(2);
    let user = add_user(&store, "ada@example.com").await;
    let id = store.claim(1).await.unwrap()[0].event_id();

    store.record_failure(id, "first").await.unwrap();
    let backing_off = store.claim(1).await.unwrap();
    clock.advance(Duration::seconds(1));
    let retried = store.claim(1).await.unwrap();
    store.record_failure(id, "second").await.unwrap();
    clock.advance(Duration::hours(1));

    assert!(backing_off.is_empty());
    assert_eq!(retried[0].user_id, Some(user.as_uuid()));
    assert!(store.claim(1).await.unwrap().is_empty());
    assert_eq!(store.last_error(id).as_deref(), Some("second"));
}

#[tokio::test]
async fn a_released_event_is_due_again_at_once() {
    let (store, _) = store();
    add_user(&store, "ada@example.com").await;
    let claimed = store.claim(1).await.unwrap();

    store.release(&[claimed[0].event_id()]).await.unwrap();

    assert_eq!(store.claim(1).await.unwrap(), claimed);
}

#[tokio::test]
async fn an_account_token_is_spent_once() {
    let (store, _) = store();
    let user = add_user(&store, "ada@example.com").await;
    let digest = TokenDigest::new("verify".into());
    let token = NewAccountToken::new(user, TokenPurpose::VerifyEmail, digest.clone(), T0);
    store.issue(&token).await.unwrap();

    let first = store
        .verify_email(token.id, T0, &event(user, T0))
        .await
        .unwrap();
    let second = store
        .verify_email(token.id, T0, &event(user, T0))
        .await
        .unwrap();
    let reset = store
        .find(TokenPurpose::ResetPassword, &digest)
        .await
        .unwrap();

    assert!(first.is_some_and(|user| user.email_verified));
    assert!(second.is_none());
    assert!(reset.is_none(), "found under the other purpose");
    let found = store
        .find(TokenPurpose::VerifyEmail, &digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.used_at, Some(T0));
}

#[tokio::test]
async fn audit_records_each_event_once_newest_first() {
    let (store, _) = store();
    let user = UserId::generate();
    let (old, new) = (event(user, T0), event(user, T0 + Duration::minutes(1)));
    for e in [&old, &new, &old] {
        store.handle(e).await.unwrap();
    }
    let page = PageRequest {
        after: None,
        limit: PageLimit::parse(None).unwrap(),
    };
    let query = AuditQuery {
        user: Some(user),
        event_type: None,
        page,
    };

    let records = AuditTrail::list(&store, &query).await.unwrap();
    store.record_handled("mail", new.event_id()).await.unwrap();
    store.record_handled("mail", new.event_id()).await.unwrap();

    let ids: Vec<_> = records.iter().map(|r| r.id).collect();
    assert_eq!(ids, [new.event_id(), old.event_id()]);
    assert!(store.was_handled("mail", new.event_id()).await.unwrap());
    assert!(!store.was_handled("audit", new.event_id()).await.unwrap());
}
