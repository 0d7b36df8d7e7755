//! The contract points of each storage port, checked on the fake as the integration tests check
//! them on the SeaORM adapters: duplicate emails, single-use rotation, lockout, live-session
//! listing, the outbox's lease, backoff and dead letters, single-use account tokens, and the
//! audit log's paging.

use std::sync::{Arc, Mutex};

use postern_core::Error;
use postern_core::domain::{
    AccessUpdate, AuditQuery, ClientContext, Email, Event, EventData, LockoutPolicy, LoginAttempt,
    NewAccountToken, NewRefreshToken, NewSession, NewUser, PageLimit, PageRequest, PasswordHash,
    RefreshTokenId, Role, Rotation, SessionId, TokenDigest, TokenPurpose, UserId, UserQuery,
};
use postern_core::ports::{
    AccountTokens, AuditTrail, Clock, EventHandler, HandledEvents, Outbox, SessionRepo, UserRepo,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::MemoryStore;
use crate::db::SeaOutbox;

const T0: OffsetDateTime = datetime!(2026-01-01 12:00:00 UTC);

struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

fn store() -> (MemoryStore, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock(Mutex::new(T0)));
    (MemoryStore::new(clock.clone()), clock)
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        id: UserId::generate(),
        email: Email::parse(email).unwrap(),
        name: None,
        role: Role::User,
        password_hash: PasswordHash::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA".into()),
        created_at: T0,
    }
}

fn event(user: UserId, at: OffsetDateTime) -> Event {
    Event::new(EventData::ProfileUpdated { name: None }, Some(user), at)
}

async fn add_user(store: &MemoryStore, email: &str) -> UserId {
    let new = new_user(email);
    store.create(&new, &event(new.id, T0)).await.unwrap();
    new.id
}

fn new_token(expires_at: OffsetDateTime) -> NewRefreshToken {
    NewRefreshToken {
        id: RefreshTokenId::generate(),
        digest: TokenDigest::new(Uuid::new_v4().simple().to_string()),
        issued_at: T0,
        expires_at,
    }
}

async fn start(store: &MemoryStore, user: UserId, at: OffsetDateTime) -> NewSession {
    let session = NewSession {
        id: SessionId::generate(),
        user_id: user,
        client: ClientContext::default(),
        created_at: at,
        refresh_token: new_token(T0 + Duration::days(7)),
    };
    store.start(&session, &event(user, at)).await.unwrap();
    session
}

fn rotation_of(session: &NewSession) -> Rotation {
    Rotation {
        session_id: session.id,
        used: session.refresh_token.id,
        used_at: T0 + Duration::minutes(1),
        successor: new_token(T0 + Duration::days(7)),
    }
}

#[tokio::test]
async fn create_with_a_taken_email_is_email_taken_and_stores_no_event() {
    let (store, _) = store();
    add_user(&store, "ada@example.com").await;
    let again = new_user("ada@example.com");

    let result = store.create(&again, &event(again.id, T0)).await;

    assert!(matches!(result, Err(Error::EmailTaken)));
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

    assert!(matches!(password, Err(Error::NotFound)));
    assert!(matches!(name, Err(Error::NotFound)));
    assert!(matches!(update, Err(Error::NotFound)));
    assert!(matches!(attempt, Err(Error::NotFound)));
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
    assert!(matches!(added, Err(Error::InvalidToken)));
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

#[tokio::test]
async fn a_claimed_event_is_withheld_until_its_lease_ends() {
    let (store, clock) = store();
    let user = add_user(&store, "ada@example.com").await;

    let first = store.claim(10).await.unwrap();
    let during = store.claim(10).await.unwrap();
    clock.advance(SeaOutbox::DEFAULT_LEASE + Duration::seconds(1));
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
