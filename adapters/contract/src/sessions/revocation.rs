//! Revocation ends only live sessions of their owner, writes its event once and only when it
//! changed something, and is read back by `is_revoked` and `revoked_since`.

use std::collections::HashSet;

use postern_core::domain::SessionId;
use time::Duration;

use crate::Storage;
use crate::fixtures::{T0, logged_out};
use crate::storage::{add_user_id, start_session, written_events};

/// `revoke` ends a live session, shows it on its tokens and writes its event; revoking it again
/// is `false` and writes nothing.
pub async fn revoke_marks_the_session_revoked_and_stores_its_event(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let session = start_session(storage, user).await;
    let at = T0 + Duration::minutes(1);
    let event = logged_out(user, &[session.id], at);

    assert!(sessions.revoke(user, session.id, at, &event).await.unwrap());

    let token = sessions
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert!(token.session_revoked);
    assert!(written_events(storage).await.contains(&event));
    let again = logged_out(user, &[session.id], at + Duration::minutes(1));
    assert!(!sessions.revoke(user, session.id, at, &again).await.unwrap());
    assert!(!written_events(storage).await.contains(&again));
}

/// Revoking someone else's session is `false`, ends nothing and writes nothing.
pub async fn revoke_of_another_users_session_changes_nothing(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let owner = add_user_id(storage, "ada@example.com").await;
    let intruder = add_user_id(storage, "mallory@example.com").await;
    let session = start_session(storage, owner).await;
    let at = T0 + Duration::minutes(1);
    let event = logged_out(intruder, &[session.id], at);

    let revoked = sessions
        .revoke(intruder, session.id, at, &event)
        .await
        .unwrap();

    assert!(!revoked);
    assert!(!written_events(storage).await.contains(&event));
    let token = sessions
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert!(!token.session_revoked);
}

/// One logout event passed to two revocations is written once.
pub async fn one_event_for_two_revocations_is_stored_once(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let a = start_session(storage, user).await;
    let b = start_session(storage, user).await;
    let at = T0 + Duration::minutes(1);
    let event = logged_out(user, &[a.id, b.id], at);

    assert!(sessions.revoke(user, a.id, at, &event).await.unwrap());
    assert!(sessions.revoke(user, b.id, at, &event).await.unwrap());
    assert!(!sessions.revoke(user, b.id, at, &event).await.unwrap());

    let stored = written_events(storage).await;
    assert_eq!(stored.iter().filter(|e| **e == event).count(), 1);
}

/// `revoke_all` ends the owner's live sessions, returns exactly those, and writes its event.
pub async fn revoke_all_returns_only_the_live_sessions(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let other = add_user_id(storage, "grace@example.com").await;
    let mut started = Vec::new();
    for _ in 0..3 {
        started.push(start_session(storage, user).await.id);
    }
    let others = start_session(storage, other).await;
    let at = T0 + Duration::minutes(1);
    let early = logged_out(user, &started[..1], at);
    sessions.revoke(user, started[0], at, &early).await.unwrap();
    let event = logged_out(user, &started, at + Duration::minutes(1));

    let revoked = sessions
        .revoke_all(user, at + Duration::minutes(1), &event)
        .await
        .unwrap();

    let revoked: HashSet<SessionId> = revoked.into_iter().collect();
    assert_eq!(revoked, started[1..].iter().copied().collect());
    assert!(written_events(storage).await.contains(&event));
    let untouched = sessions
        .find_refresh_token(&others.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert!(!untouched.session_revoked);
}

/// `revoke_all_except` ends every live session of the owner but the one kept, and returns the
/// ones it ended.
pub async fn revoke_all_except_keeps_the_given_session_and_returns_the_others(
    storage: &dyn Storage,
) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let other = add_user_id(storage, "grace@example.com").await;
    let keep = start_session(storage, user).await;
    let ended = [
        start_session(storage, user).await,
        start_session(storage, user).await,
    ];
    let others = start_session(storage, other).await;
    let at = T0 + Duration::minutes(1);
    let event = logged_out(user, &[], at);

    let revoked = sessions
        .revoke_all_except(user, keep.id, at, &event)
        .await
        .unwrap();

    let revoked: HashSet<SessionId> = revoked.into_iter().collect();
    assert_eq!(revoked, ended.iter().map(|s| s.id).collect());
    assert!(written_events(storage).await.contains(&event));
    for (session, revoked) in [
        (&keep, false),
        (&ended[0], true),
        (&ended[1], true),
        (&others, false),
    ] {
        let token = sessions
            .find_refresh_token(&session.refresh_token.digest)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(token.session_revoked, revoked);
    }
}

/// `revoke_all_except` that ends nothing writes no event.
pub async fn revoke_all_except_with_nothing_to_revoke_stores_no_event(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let keep = start_session(storage, user).await;
    let at = T0 + Duration::minutes(1);
    let event = logged_out(user, &[], at);

    let revoked = storage
        .sessions()
        .revoke_all_except(user, keep.id, at, &event)
        .await
        .unwrap();

    assert!(revoked.is_empty());
    assert!(!written_events(storage).await.contains(&event));
}

/// `revoked_since` includes its bound and compares times, not text: SQLite keeps these as
/// `…:00Z`, `…:00.25Z`, `…:00.5Z`, `…:01Z`.
pub async fn revoked_since_compares_in_time_order(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let mut revoked = Vec::new();
    for ms in [0, 250, 500, 1000] {
        let session = start_session(storage, user).await;
        let at = T0 + Duration::milliseconds(ms);
        sessions
            .revoke(user, session.id, at, &logged_out(user, &[session.id], at))
            .await
            .unwrap();
        revoked.push(session.id);
    }
    let live = start_session(storage, user).await;

    let since = sessions
        .revoked_since(T0 + Duration::milliseconds(500))
        .await
        .unwrap();

    let since: HashSet<SessionId> = since.into_iter().collect();
    assert_eq!(since, revoked[2..].iter().copied().collect());
    assert!(!since.contains(&live.id));
}

/// `is_revoked` is `false` for a live session and `true` for an ended one, and for one the
/// store does not know: nothing vouches for tokens that name it.
pub async fn is_revoked_answers_for_live_ended_and_unknown_sessions(storage: &dyn Storage) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let live = start_session(storage, user).await;
    let ended = start_session(storage, user).await;
    let at = T0 + Duration::minutes(1);
    sessions
        .revoke(user, ended.id, at, &logged_out(user, &[ended.id], at))
        .await
        .unwrap();

    let live_revoked = sessions.is_revoked(live.id).await.unwrap();
    let ended_revoked = sessions.is_revoked(ended.id).await.unwrap();
    let unknown_revoked = sessions.is_revoked(SessionId::generate()).await.unwrap();

    assert!(!live_revoked);
    assert!(ended_revoked);
    assert!(unknown_revoked, "an unknown session vouched for its tokens");
}
