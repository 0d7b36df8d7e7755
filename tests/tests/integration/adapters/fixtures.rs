//! Domain values for the adapter tests, a clock the tests move by hand, and a look into the
//! outbox.

use std::sync::{Arc, Mutex};

use postern_core::domain::{
    ClientContext, Email, Event, EventData, NewRefreshToken, NewSession, NewUser, PasswordHash,
    RefreshTokenId, Role, Rotation, SessionId, TokenDigest, User, UserId,
};
use postern_core::ports::{Clock, Outbox, UserRepo};
use postern_db::{SeaOutbox, SeaUserRepo};
use postern_tests::db::TestDb;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The moment the tests' stories start: whole seconds, so offsets from it are easy to read.
pub const T0: OffsetDateTime = datetime!(2026-01-01 12:00:00 UTC);

/// A clock that stands still until a test moves it.
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock showing `now`.
    pub fn at(now: OffsetDateTime) -> Arc<Self> {
        Arc::new(Self(Mutex::new(now)))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// A new account for `email`, created at [`T0`].
pub fn new_user(email: &str) -> NewUser {
    NewUser {
        id: UserId::generate(),
        email: Email::parse(email).unwrap(),
        name: None,
        role: Role::User,
        password_hash: PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        created_at: T0,
    }
}

/// The account of a new user for `email`, stored in `db` and read back.
pub async fn stored_user(db: &TestDb, email: &str) -> User {
    let new = new_user(email);
    let users = SeaUserRepo::new(db.connection());
    users.create(&new, &signed_up(&new)).await.unwrap();
    users.find_by_id(new.id).await.unwrap().unwrap()
}

/// The `user.signed_up` event of `user`.
pub fn signed_up(user: &NewUser) -> Event {
    Event::new(
        EventData::SignedUp {
            email: user.email.to_string(),
            name: None,
        },
        Some(user.id),
        user.created_at,
    )
}

/// A digest no other token has.
pub fn unique_digest() -> TokenDigest {
    TokenDigest::new(format!(
        "{}{}",
        Uuid::new_v4().simple(),
        Uuid::new_v4().simple()
    ))
}

/// A refresh token issued `at`, valid for a week.
pub fn new_token(at: OffsetDateTime) -> NewRefreshToken {
    NewRefreshToken {
        id: RefreshTokenId::generate(),
        digest: unique_digest(),
        issued_at: at,
        expires_at: at + Duration::days(7),
    }
}

/// A session of `user` started at [`T0`] from a known client.
pub fn new_session(user: UserId) -> NewSession {
    NewSession {
        id: SessionId::generate(),
        user_id: user,
        client: ClientContext {
            ip: Some("203.0.113.7".parse().unwrap()),
            user_agent: Some("tests/1.0".into()),
        },
        created_at: T0,
        refresh_token: new_token(T0),
    }
}

/// The `user.logged_in` event of `session`.
pub fn logged_in(session: &NewSession) -> Event {
    Event::new(
        EventData::LoggedIn {
            session_id: session.id,
            ip: Some("203.0.113.7".into()),
            user_agent: Some("tests/1.0".into()),
        },
        Some(session.user_id),
        session.created_at,
    )
}

/// A `user.logged_out` event of `user` ending `sessions` at `at`.
pub fn logged_out(user: UserId, sessions: &[SessionId], at: OffsetDateTime) -> Event {
    Event::new(
        EventData::LoggedOut {
            session_ids: sessions.to_vec(),
            all_sessions: false,
        },
        Some(user),
        at,
    )
}

/// Exchanges `session`'s first refresh token for a fresh one `at`.
pub fn rotation_of(session: &NewSession, at: OffsetDateTime) -> Rotation {
    Rotation {
        session_id: session.id,
        used: session.refresh_token.id,
        used_at: at,
        successor: new_token(at),
    }
}

/// Every unpublished event in `db`'s outbox, oldest first, whenever it is due.
pub async fn stored_events(db: &TestDb) -> Vec<Event> {
    let far_future = ManualClock::at(T0 + Duration::days(3650));
    SeaOutbox::with_clock(db.connection(), far_future)
        .claim(1000)
        .await
        .unwrap()
}
