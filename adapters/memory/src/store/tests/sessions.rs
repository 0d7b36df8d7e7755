//! `SessionRepo`: single-use rotation, revoked sessions, revocation events, live sessions.

use super::*;

#[tokio::test]
async fn rotate_wins_once_and_a_second_rotation_stores_nothing() {
    let (store, _) = store();
    let user = add_user(&store, "ada@example.com").await;
    let session = start(&store, user, T0).await;
    let first = rotation_of(&session);
    let second = rotation_of(&session);

    assert!(store.rotate(&first).await.unwrap());
    assert!(!store.rotate(&second).await.unwrap());

    let used = store
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.used_at, Some(first.used_at));
    assert!(
        store
            .find_refresh_token(&first.successor.digest)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .find_refresh_token(&second.successor.digest)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn concurrent_rotations_have_exactly_one_winner() {
    let (store, _) = store();
    let user = add_user(&store, "ada@example.com").await;
    let session = start(&store, user, T0).await;

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, rotation) = (store.clone(), rotation_of(&session));
            tokio::spawn(async move { store.rotate(&rotation).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }

    assert_eq!(winners, 1);
}

#[tokio::test]
async fn a_revoked_session_neither_rotates_nor_takes_a_token() {
    let (store, _) = store();
    let user = add_user(&store, "ada@example.com").await;
    let session = start(&store, user, T0).await;
    store
        .revoke(user, session.id, T0, &event(user, T0))
        .await
        .unwrap();

    let rotated = store.rotate(&rotation_of(&session)).await.unwrap();
    let added = store
        .add_refresh_token(session.id, &new_token(T0 + Duration::days(1)))
        .await;

    assert!(!rotated);
    assert!(!added.unwrap());
    let found = store
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert!(found.session_revoked);
}

#[tokio::test]
async fn one_event_for_two_revocations_is_stored_once() {
    let (store, _) = store();
    let user = add_user(&store, "ada@example.com").await;
    let (a, b) = (start(&store, user, T0).await, start(&store, user, T0).await);
    let logout = event(user, T0);

    assert!(store.revoke(user, a.id, T0, &logout).await.unwrap());
    assert!(store.revoke(user, b.id, T0, &logout).await.unwrap());
    assert!(!store.revoke(user, b.id, T0, &logout).await.unwrap());

    let written = store.events().iter().filter(|e| e.id == logout.id).count();
    assert_eq!(written, 1);
}

#[tokio::test]
async fn list_live_shows_live_sessions_most_recently_used_first() {
    let (store, _) = store();
    let user = add_user(&store, "ada@example.com").await;
    let older = start(&store, user, T0).await;
    let newer = start(&store, user, T0 + Duration::minutes(5)).await;
    let revoked = start(&store, user, T0).await;
    store
        .revoke(user, revoked.id, T0, &event(user, T0))
        .await
        .unwrap();
    store
        .rotate(&Rotation {
            used_at: T0 + Duration::minutes(9),
            ..rotation_of(&older)
        })
        .await
        .unwrap();

    let live = store
        .list_live(user, T0 + Duration::minutes(10))
        .await
        .unwrap();
    let expired = store.list_live(user, T0 + Duration::days(8)).await.unwrap();

    let ids: Vec<_> = live.iter().map(|s| s.id).collect();
    assert_eq!(ids, [older.id, newer.id]);
    assert!(expired.is_empty());
    assert!(store.is_revoked(revoked.id).await.unwrap());
    assert!(store.is_revoked(SessionId::generate()).await.unwrap());
    assert_eq!(store.revoked_since(T0).await.unwrap(), [revoked.id]);
}
