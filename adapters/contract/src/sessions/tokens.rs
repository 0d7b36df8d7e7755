//! Refresh tokens: a session starts with one, rotation spends it exactly once and stores its
//! one successor, and a revoked session takes no new one.

use std::sync::Arc;

use postern_core::domain::{AuthMethod, NewSession};
use time::Duration;

use crate::Storage;
use crate::fixtures::{T0, logged_in, logged_out, new_session, rotation_of, unique_digest};
use crate::storage::{add_user_id, start_session, written_events};

/// A started session's token is found by its digest, with what the caller decides on (its
/// session's start among it); the start's event is stored; an unknown digest is `None`.
pub async fn start_then_find_refresh_token_round_trips(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let session = NewSession {
        amr: AuthMethod::PASSWORD_AND_CODE.to_vec(),
        ..new_session(user)
    };
    let event = logged_in(&session);

    sessions.start(&session, &event).await.unwrap();

    let token = &session.refresh_token;
    let found = sessions
        .find_refresh_token(&token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, token.id);
    assert_eq!(found.session_id, session.id);
    assert_eq!(found.user_id, user);
    assert_eq!(found.session_started_at, session.created_at);
    assert_eq!(found.expires_at, token.expires_at);
    assert_eq!(found.used_at, None);
    assert!(!found.session_revoked);
    assert_eq!(
        found.amr,
        AuthMethod::PASSWORD_AND_CODE,
        "the login's methods"
    );
    assert!(written_events(storage).await.contains(&event));
    let unknown = sessions.find_refresh_token(&unique_digest()).await.unwrap();
    assert_eq!(unknown, None);
}

/// A start that fails (its token's digest is taken) stores neither the session nor its event.
pub async fn a_failed_start_stores_neither_its_session_nor_its_event(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let first = start_session(storage, user).await;
    let mut failing = new_session(user);
    failing.refresh_token.digest = first.refresh_token.digest.clone();
    let event = logged_in(&failing);

    assert!(sessions.start(&failing, &event).await.is_err());

    assert!(!written_events(storage).await.contains(&event));
    let at = T0 + Duration::minutes(1);
    let revoked = sessions
        .revoke(user, failing.id, at, &logged_out(user, &[failing.id], at))
        .await
        .unwrap();
    assert!(!revoked, "the failed session was stored");
}

/// The first rotation marks the token used and stores its successor; a second one of the same
/// token stores nothing.
pub async fn rotate_wins_once_and_stores_one_successor(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let session = start_session(storage, user).await;
    let first = rotation_of(&session, T0 + Duration::minutes(1));
    let second = rotation_of(&session, T0 + Duration::minutes(2));

    assert!(sessions.rotate(&first).await.unwrap());
    assert!(!sessions.rotate(&second).await.unwrap());

    let used = sessions
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.used_at, Some(first.used_at));
    let successor = sessions
        .find_refresh_token(&first.successor.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(successor.id, first.successor.id);
    assert_eq!(successor.session_id, session.id);
    assert_eq!(successor.used_at, None);
    let lost = sessions
        .find_refresh_token(&second.successor.digest)
        .await
        .unwrap();
    assert_eq!(lost, None);
}

/// Ten rotations of one token at once: one wins, and only its successor is stored.
pub async fn concurrent_rotations_have_exactly_one_winner(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let session = start_session(storage, user).await;
    let rotations: Vec<_> = (0..10)
        .map(|_| rotation_of(&session, T0 + Duration::minutes(1)))
        .collect();

    let tasks = rotations.iter().cloned().map(|rotation| {
        let sessions = Arc::clone(&sessions);
        tokio::spawn(async move { sessions.rotate(&rotation).await.unwrap() })
    });
    let won: Vec<bool> = futures::future::try_join_all(tasks).await.unwrap();

    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    let mut stored = 0;
    for rotation in &rotations {
        let found = sessions
            .find_refresh_token(&rotation.successor.digest)
            .await
            .unwrap();
        stored += usize::from(found.is_some());
    }
    assert_eq!(stored, 1);
}

/// Rotation in a revoked session (a logout won the race) is `false` and changes nothing; the
/// token shows its session revoked.
pub async fn rotate_in_a_revoked_session_returns_false_and_stores_no_successor(
    storage: &dyn Storage,
) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let session = start_session(storage, user).await;
    let at = T0 + Duration::minutes(1);
    sessions
        .revoke(user, session.id, at, &logged_out(user, &[session.id], at))
        .await
        .unwrap();
    let rotation = rotation_of(&session, at + Duration::seconds(1));

    let rotated = sessions.rotate(&rotation).await.unwrap();

    assert!(!rotated);
    let successor = sessions
        .find_refresh_token(&rotation.successor.digest)
        .await
        .unwrap();
    assert_eq!(successor, None);
    let presented = sessions
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(presented.used_at, None);
    assert!(presented.session_revoked);
}
