//! The contract points of each storage port, checked on the fake as the integration tests check
//! them on the SeaORM adapters: duplicate emails, single-use rotation, lockout, live-session
//! listing, the outbox's lease, backoff and dead letters, single-use account tokens, and the
//! audit log's paging.

mod delivery;
mod sessions;
mod users;

use std::sync::{Arc, Mutex};

use postern_core::domain::{
    AccessUpdate, AuditQuery, ClientContext, Email, Event, EventData, LockoutPolicy, LoginAttempt,
    NewAccountToken, NewRefreshToken, NewSession, NewUser, PageLimit, PageRequest, PasswordHash,
    RefreshTokenId, Role, Rotation, SessionId, TokenDigest, TokenPurpose, UserId, UserQuery,
};
use postern_core::ports::{
    AccountTokens, AuditTrail, Clock, CreateUserError, EventHandler, HandledEvents, Outbox,
    SessionRepo, UpdateUserError, UserRepo, retry,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::MemoryStore;

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
