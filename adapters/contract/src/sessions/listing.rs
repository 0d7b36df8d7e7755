//! `list_live`: the owner's sessions that are neither revoked nor expired, most recently used
//! first.

use postern_core::domain::{NewSession, SessionId, UserId};
use time::{Duration, OffsetDateTime};

use crate::Storage;
use crate::fixtures::{T0, logged_out, new_session, rotation_of};
use crate::storage::{add_user_id, start, start_session};

/// Starts a session of `user` at `at` whose first refresh token expires `expires_at`.
async fn start_at(
    storage: &dyn Storage,
    user: UserId,
    at: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> NewSession {
    let mut session = new_session(user);
    session.created_at = at;
    session.refresh_token.issued_at = at;
    session.refresh_token.expires_at = expires_at;
    start(storage, session).await
}

async fn live_ids(storage: &dyn Storage, user: UserId, now: OffsetDateTime) -> Vec<SessionId> {
    let live = storage.sessions().list_live(user, now).await.unwrap();
    live.into_iter().map(|s| s.id).collect()
}

/// Sessions come most recently used first, a rotation counting as a use, with when they
/// started, when they were last used and their client. SQLite keeps the starts as `…:00Z`,
/// `…:00.25Z`, `…:00.5Z`, `…:01Z`: text order is not time order.
pub async fn list_live_shows_the_owners_live_sessions_most_recently_used_first(
    storage: &dyn Storage,
) {
    let sessions = storage.sessions();
    let user = add_user_id(storage, "ada@example.com").await;
    let week = Duration::days(7);
    // Started long ago and refreshed since: last used after it started, before the others.
    let refreshed = start_at(
        storage,
        user,
        T0 - Duration::days(6),
        T0 + Duration::days(1),
    )
    .await;
    let refreshed_at = T0 - Duration::days(2);
    let rotation = rotation_of(&refreshed, refreshed_at);
    assert!(sessions.rotate(&rotation).await.unwrap());
    let mut recent = Vec::new();
    for ms in [0, 250, 500, 1000] {
        let at = T0 + Duration::milliseconds(ms);
        recent.push(start_at(storage, user, at, at + week).await);
    }

    let live = sessions
        .list_live(user, T0 + Duration::minutes(1))
        .await
        .unwrap();

    let ids: Vec<SessionId> = live.iter().map(|s| s.id).collect();
    let mut expected: Vec<SessionId> = recent.iter().rev().map(|s| s.id).collect();
    expected.push(refreshed.id);
    assert_eq!(ids, expected);
    let newest = &live[0];
    let started = &recent[3];
    assert_eq!(newest.created_at, started.created_at);
    assert_eq!(newest.last_used_at, started.created_at);
    assert_eq!(newest.client, started.client);
    let oldest = &live[4];
    assert_eq!(oldest.created_at, refreshed.created_at);
    assert_eq!(oldest.last_used_at, refreshed_at);
}

/// Revoked sessions, expired ones (whose newest token expires now or earlier) and other
/// users' sessions are not listed.
pub async fn list_live_excludes_revoked_expired_and_other_users_sessions(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let other = add_user_id(storage, "grace@example.com").await;
    let now = T0 + Duration::minutes(1);
    let live = start_session(storage, user).await;
    let revoked = start_session(storage, user).await;
    storage
        .sessions()
        .revoke(user, revoked.id, now, &logged_out(user, &[revoked.id], now))
        .await
        .unwrap();
    let expired = start_at(
        storage,
        user,
        T0 - Duration::days(8),
        T0 - Duration::days(1),
    )
    .await;
    // Its token expires exactly now: refresh refuses it, so the session is over.
    let ending = start_at(storage, user, T0 - Duration::days(7), now).await;
    let others = start_session(storage, other).await;

    let listed = live_ids(storage, user, now).await;

    assert_eq!(
        listed,
        vec![live.id],
        "revoked {revoked:?}, expired {expired:?}, ending {ending:?}",
        revoked = revoked.id,
        expired = expired.id,
        ending = ending.id
    );
    assert_eq!(live_ids(storage, other, now).await, vec![others.id]);
    assert_eq!(
        live_ids(storage, user, T0 + Duration::days(8)).await,
        vec![]
    );
}

/// A session's expiry is compared as a time: SQLite keeps it as `…12:00:00Z`, which sorts
/// after `…12:00:00.5Z` as text.
pub async fn list_live_compares_expiry_in_time_order(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let expires_at = T0;
    let session = start_at(storage, user, T0 - Duration::days(7), expires_at).await;

    let before = live_ids(storage, user, expires_at - Duration::milliseconds(500)).await;
    let after = live_ids(storage, user, expires_at + Duration::milliseconds(500)).await;

    assert_eq!(before, vec![session.id]);
    assert_eq!(after, vec![]);
}
