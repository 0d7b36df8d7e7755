//! `SeaSessionRepo`: sessions and refresh tokens round-trip, rotation has exactly one winner,
//! no token is added to a revoked session, revocation touches only live sessions of their
//! owner, `is_revoked` answers from the session table, failed changes leave no event, and
//! listing shows only the owner's live sessions, most recently used first.

use std::collections::HashSet;

use postern_core::domain::{NewSession, SessionId, UserId};
use postern_core::ports::{SessionRepo, UserRepo};
use postern_db::{SeaSessionRepo, SeaUserRepo};
use postern_tests::db::{Backend, TestDb, fresh_database};
use time::{Duration, OffsetDateTime};

use super::fixtures::{
    T0, logged_in, logged_out, new_session, new_token, new_user, rotation_of, signed_up,
    stored_events, unique_digest,
};

on_both_backends!(
    start_then_find_refresh_token_round_trips,
    rotate_wins_once_and_stores_one_successor,
    concurrent_rotations_have_exactly_one_winner,
    revoke_marks_the_session_revoked_and_stores_its_event,
    revoke_of_another_users_session_changes_nothing,
    one_event_for_two_revocations_is_stored_once,
    revoke_all_returns_only_the_live_sessions,
    revoke_all_except_keeps_the_given_session_and_returns_the_others,
    revoke_all_except_with_nothing_to_revoke_stores_no_event,
    revoked_since_compares_in_time_order,
    is_revoked_reads_the_session_table,
    a_failed_start_stores_neither_its_session_nor_its_event,
    rotate_in_a_revoked_session_returns_false_and_stores_no_successor,
    add_refresh_token_adds_to_a_live_session_only,
    list_live_shows_the_owners_live_sessions_most_recently_used_first,
    list_live_excludes_revoked_expired_and_other_users_sessions,
    list_live_compares_expiry_in_time_order,
);

/// A migrated database with one account, and a session repository on it.
async fn setup(backend: Backend) -> (TestDb, SeaSessionRepo, UserId) {
    let db = fresh_database(backend).await;
    let user = add_user(&db, "ada@example.com").await;
    let repo = SeaSessionRepo::new(db.connection());
    (db, repo, user)
}

async fn add_user(db: &TestDb, email: &str) -> UserId {
    let new = new_user(email);
    SeaUserRepo::new(db.connection())
        .create(&new, &signed_up(&new))
        .await
        .unwrap();
    new.id
}

async fn started(repo: &SeaSessionRepo, user: UserId) -> NewSession {
    let session = new_session(user);
    repo.start(&session, &logged_in(&session)).await.unwrap();
    session
}

/// A session of `user` started `at`, whose first refresh token expires `expires_at`.
async fn started_at(
    repo: &SeaSessionRepo,
    user: UserId,
    at: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> NewSession {
    let mut session = new_session(user);
    session.created_at = at;
    session.refresh_token.issued_at = at;
    session.refresh_token.expires_at = expires_at;
    repo.start(&session, &logged_in(&session)).await.unwrap();
    session
}

async fn start_then_find_refresh_token_round_trips(backend: Backend) {
    let (db, repo, user) = setup(backend).await;
    let session = new_session(user);
    let event = logged_in(&session);

    repo.start(&session, &event).await.unwrap();

    let token = &session.refresh_token;
    let found = repo
        .find_refresh_token(&token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, token.id);
    assert_eq!(found.session_id, session.id);
    assert_eq!(found.user_id, user);
    assert_eq!(found.expires_at, token.expires_at);
    assert_eq!(found.used_at, None);
    assert!(!found.session_revoked);
    assert!(stored_events(&db).await.contains(&event));
    assert_eq!(
        repo.find_refresh_token(&unique_digest()).await.unwrap(),
        None
    );
}

async fn rotate_wins_once_and_stores_one_successor(backend: Backend) {
    let (_db, repo, user) = setup(backend).await;
    let session = started(&repo, user).await;
    let first = rotation_of(&session, T0 + Duration::minutes(1));
    let second = rotation_of(&session, T0 + Duration::minutes(2));

    assert!(repo.rotate(&first).await.unwrap());
    assert!(!repo.rotate(&second).await.unwrap());

    let used = repo
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.used_at, Some(first.used_at));
    let successor = repo
        .find_refresh_token(&first.successor.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(successor.id, first.successor.id);
    assert_eq!(successor.session_id, session.id);
    assert_eq!(successor.used_at, None);
    assert_eq!(
        repo.find_refresh_token(&second.successor.digest)
            .await
            .unwrap(),
        None
    );
}

async fn concurrent_rotations_have_exactly_one_winner(backend: Backend) {
    let (_db, repo, user) = setup(backend).await;
    let session = started(&repo, user).await;
    let rotations: Vec<_> = (0..10)
        .map(|_| rotation_of(&session, T0 + Duration::minutes(1)))
        .collect();

    let tasks = rotations.iter().cloned().map(|rotation| {
        let repo = repo.clone();
        tokio::spawn(async move { repo.rotate(&rotation).await.unwrap() })
    });
    let won: Vec<bool> = futures::future::try_join_all(tasks).await.unwrap();

    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    let mut stored = 0;
    for rotation in &rotations {
        if repo
            .find_refresh_token(&rotation.successor.digest)
            .await
            .unwrap()
            .is_some()
        {
            stored += 1;
        }
    }
    assert_eq!(stored, 1);
}

async fn revoke_marks_the_session_revoked_and_stores_its_event(backend: Backend) {
    let (db, repo, user) = setup(backend).await;
    let session = started(&repo, user).await;
    let at = T0 + Duration::minutes(1);
    let event = logged_out(user, &[session.id], at);

    assert!(repo.revoke(user, session.id, at, &event).await.unwrap());

    let token = repo
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert!(token.session_revoked);
    assert!(stored_events(&db).await.contains(&event));
    let again = logged_out(user, &[session.id], at + Duration::minutes(1));
    assert!(!repo.revoke(user, session.id, at, &again).await.unwrap());
    assert!(!stored_events(&db).await.contains(&again));
}

async fn revoke_of_another_users_session_changes_nothing(backend: Backend) {
    let (db, repo, owner) = setup(backend).await;
    let intruder = add_user(&db, "mallory@example.com").await;
    let session = started(&repo, owner).await;
    let event = logged_out(intruder, &[session.id], T0 + Duration::minutes(1));

    let revoked = repo
        .revoke(intruder, session.id, T0 + Duration::minutes(1), &event)
        .await
        .unwrap();

    assert!(!revoked);
    assert!(!stored_events(&db).await.contains(&event));
    let token = repo
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert!(!token.session_revoked);
}

async fn one_event_for_two_revocations_is_stored_once(backend: Backend) {
    let (db, repo, user) = setup(backend).await;
    let (a, b) = (started(&repo, user).await, started(&repo, user).await);
    let at = T0 + Duration::minutes(1);
    let event = logged_out(user, &[a.id, b.id], at);

    assert!(repo.revoke(user, a.id, at, &event).await.unwrap());
    assert!(repo.revoke(user, b.id, at, &event).await.unwrap());

    let stored = stored_events(&db).await;
    assert_eq!(stored.iter().filter(|e| **e == event).count(), 1);
}

async fn revoke_all_returns_only_the_live_sessions(backend: Backend) {
    let (db, repo, user) = setup(backend).await;
    let other = add_user(&db, "grace@example.com").await;
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(started(&repo, user).await.id);
    }
    let others = started(&repo, other).await;
    let at = T0 + Duration::minutes(1);
    let early = logged_out(user, &sessions[..1], at);
    repo.revoke(user, sessions[0], at, &early).await.unwrap();
    let event = logged_out(user, &sessions, at + Duration::minutes(1));

    let revoked = repo
        .revoke_all(user, at + Duration::minutes(1), &event)
        .await
        .unwrap();

    let revoked: HashSet<SessionId> = revoked.into_iter().collect();
    assert_eq!(revoked, sessions[1..].iter().copied().collect());
    assert!(stored_events(&db).await.contains(&event));
    let untouched = repo
        .find_refresh_token(&others.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert!(!untouched.session_revoked);
}

async fn revoke_all_except_keeps_the_given_session_and_returns_the_others(backend: Backend) {
    let (db, repo, user) = setup(backend).await;
    let other = add_user(&db, "grace@example.com").await;
    let keep = started(&repo, user).await;
    let ended = [started(&repo, user).await, started(&repo, user).await];
    let others = started(&repo, other).await;
    let at = T0 + Duration::minutes(1);
    let event = logged_out(user, &[], at);

    let revoked = repo
        .revoke_all_except(user, keep.id, at, &event)
        .await
        .unwrap();

    let revoked: HashSet<SessionId> = revoked.into_iter().collect();
    assert_eq!(revoked, ended.iter().map(|s| s.id).collect());
    assert!(stored_events(&db).await.contains(&event));
    for (session, revoked) in [
        (&keep, false),
        (&ended[0], true),
        (&ended[1], true),
        (&others, false),
    ] {
        let token = repo
            .find_refresh_token(&session.refresh_token.digest)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(token.session_revoked, revoked);
    }
}

async fn revoke_all_except_with_nothing_to_revoke_stores_no_event(backend: Backend) {
    let (db, repo, user) = setup(backend).await;
    let keep = started(&repo, user).await;
    let event = logged_out(user, &[], T0 + Duration::minutes(1));

    let revoked = repo
        .revoke_all_except(user, keep.id, T0 + Duration::minutes(1), &event)
        .await
        .unwrap();

    assert!(revoked.is_empty());
    assert!(!stored_events(&db).await.contains(&event));
}

async fn revoked_since_compares_in_time_order(backend: Backend) {
    let (_db, repo, user) = setup(backend).await;
    // SQLite keeps these as `…:00Z`, `…:00.25Z`, `…:00.5Z`, `…:01Z`: text order is not time
    // order.
    let offsets_ms = [0, 250, 500, 1000];
    let mut revoked = Vec::new();
    for ms in offsets_ms {
        let session = started(&repo, user).await;
        let at = T0 + Duration::milliseconds(ms);
        repo.revoke(user, session.id, at, &logged_out(user, &[session.id], at))
            .await
            .unwrap();
        revoked.push(session.id);
    }
    let live = started(&repo, user).await;

    let since = repo
        .revoked_since(T0 + Duration::milliseconds(500))
        .await
        .unwrap();

    let since: HashSet<SessionId> = since.into_iter().collect();
    assert_eq!(since, revoked[2..].iter().copied().collect());
    assert!(!since.contains(&live.id));
}

async fn is_revoked_reads_the_session_table(backend: Backend) {
    let (_db, repo, user) = setup(backend).await;
    let live = started(&repo, user).await;
    let ended = started(&repo, user).await;
    let at = T0 + Duration::minutes(1);
    repo.revoke(user, ended.id, at, &logged_out(user, &[ended.id], at))
        .await
        .unwrap();

    let live_revoked = repo.is_revoked(live.id).await.unwrap();
    let ended_revoked = repo.is_revoked(ended.id).await.unwrap();
    let unknown_revoked = repo.is_revoked(SessionId::generate()).await.unwrap();

    assert!(!live_revoked);
    assert!(ended_revoked);
    assert!(
        unknown_revoked,
        "an unknown session must not vouch for its tokens"
    );
}

async fn a_failed_start_stores_neither_its_session_nor_its_event(backend: Backend) {
    let (db, repo, user) = setup(backend).await;
    let first = started(&repo, user).await;
    // Its session row is written first; its token then collides with the first session's.
    let mut failing = new_session(user);
    failing.refresh_token.digest = first.refresh_token.digest.clone();
    let event = logged_in(&failing);

    assert!(repo.start(&failing, &event).await.is_err());

    assert!(!stored_events(&db).await.contains(&event));
    let at = T0 + Duration::minutes(1);
    let revoked = repo
        .revoke(user, failing.id, at, &logged_out(user, &[failing.id], at))
        .await
        .unwrap();
    assert!(!revoked, "the failed session was stored");
}

async fn rotate_in_a_revoked_session_returns_false_and_stores_no_successor(backend: Backend) {
    let (_db, repo, user) = setup(backend).await;
    let session = started(&repo, user).await;
    let at = T0 + Duration::minutes(1);
    repo.revoke(user, session.id, at, &logged_out(user, &[session.id], at))
        .await
        .unwrap();
    let rotation = rotation_of(&session, at + Duration::seconds(1));

    let rotated = repo.rotate(&rotation).await.unwrap();

    assert!(!rotated);
    assert_eq!(
        repo.find_refresh_token(&rotation.successor.digest)
            .await
            .unwrap(),
        None
    );
    let presented = repo
        .find_refresh_token(&session.refresh_token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(presented.used_at, None);
}

async fn add_refresh_token_adds_to_a_live_session_only(backend: Backend) {
    let (_db, repo, user) = setup(backend).await;
    let session = started(&repo, user).await;
    let extra = new_token(T0 + Duration::minutes(1));
    repo.add_refresh_token(session.id, &extra).await.unwrap();
    let found = repo
        .find_refresh_token(&extra.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.session_id, session.id);
    let at = T0 + Duration::minutes(2);
    repo.revoke(user, session.id, at, &logged_out(user, &[session.id], at))
        .await
        .unwrap();
    let late = new_token(at + Duration::seconds(1));

    let added = repo.add_refresh_token(session.id, &late).await;

    assert!(matches!(added, Ok(false)), "{added:?}");
    assert_eq!(repo.find_refresh_token(&late.digest).await.unwrap(), None);
}

async fn list_live_shows_the_owners_live_sessions_most_recently_used_first(backend: Backend) {
    let (_db, repo, user) = setup(backend).await;
    let week = Duration::days(7);
    // Started long ago and refreshed since: last used after it started, before the others.
    let refreshed = started_at(&repo, user, T0 - Duration::days(6), T0 + Duration::days(1)).await;
    let refreshed_at = T0 - Duration::days(2);
    assert!(
        repo.rotate(&rotation_of(&refreshed, refreshed_at))
            .await
            .unwrap()
    );
    // SQLite keeps these as `…:00Z`, `…:00.25Z`, `…:00.5Z`, `…:01Z`: text order is not time
    // order.
    let mut recent = Vec::new();
    for ms in [0, 250, 500, 1000] {
        let at = T0 + Duration::milliseconds(ms);
        recent.push(started_at(&repo, user, at, at + week).await);
    }

    let live = repo
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

async fn list_live_excludes_revoked_expired_and_other_users_sessions(backend: Backend) {
    let (db, repo, user) = setup(backend).await;
    let other = add_user(&db, "grace@example.com").await;
    let now = T0 + Duration::minutes(1);
    let live = started(&repo, user).await;
    let revoked = started(&repo, user).await;
    repo.revoke(user, revoked.id, now, &logged_out(user, &[revoked.id], now))
        .await
        .unwrap();
    let expired = started_at(&repo, user, T0 - Duration::days(8), T0 - Duration::days(1)).await;
    // Its token expires exactly now: refresh refuses it, so the session is over.
    let ending = started_at(&repo, user, T0 - Duration::days(7), now).await;
    let others = started(&repo, other).await;

    let listed: Vec<SessionId> = repo
        .list_live(user, now)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();

    assert_eq!(
        listed,
        vec![live.id],
        "revoked {revoked:?}, expired {expired:?}, ending {ending:?}",
        revoked = revoked.id,
        expired = expired.id,
        ending = ending.id
    );
    let theirs: Vec<SessionId> = repo
        .list_live(other, now)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(theirs, vec![others.id]);
}

async fn list_live_compares_expiry_in_time_order(backend: Backend) {
    let (_db, repo, user) = setup(backend).await;
    // SQLite keeps the expiry as `…12:00:00Z`, which sorts after `…12:00:00.5Z` as text.
    let expires_at = T0;
    let session = started_at(&repo, user, T0 - Duration::days(7), expires_at).await;
    let listed_at = |at| {
        let repo = &repo;
        async move {
            repo.list_live(user, at)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<SessionId>>()
        }
    };

    assert_eq!(
        listed_at(expires_at - Duration::milliseconds(500)).await,
        vec![session.id]
    );
    assert_eq!(
        listed_at(expires_at + Duration::milliseconds(500)).await,
        vec![]
    );
}
