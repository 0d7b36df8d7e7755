//! Domain values the rules are told with: accounts, sessions, tokens and their events, all
//! starting at [`T0`]. Times are whole milliseconds, which every store keeps exactly.

use postern_core::domain::{
    AuthMethod, ClientContext, DisplayName, Email, Event, EventData, LoginFailure, NewRefreshToken,
    NewSession, NewUser, PasswordHash, RefreshTokenId, Role, Rotation, SessionId, TokenDigest,
    User, UserId,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The moment the rules' stories start: whole seconds, so offsets from it are easy to read.
pub const T0: OffsetDateTime = datetime!(2026-01-01 12:00:00 UTC);

/// A password hash of the stored form; no rule verifies it.
pub fn a_hash(salt: &str) -> PasswordHash {
    PasswordHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1${salt}$aGFzaA"))
}

/// A profile as a cache holds it, with every field set and its creation to the microsecond.
pub fn profile() -> User {
    User {
        id: UserId::generate(),
        email: Email::parse("ada@example.com").unwrap(),
        name: Some(DisplayName::parse("Ada Lovelace").unwrap()),
        role: Role::Manager,
        email_verified: true,
        disabled: false,
        created_at: datetime!(2026-01-01 12:00:00.123456 UTC),
        updated_at: datetime!(2026-01-02 08:30:00 UTC),
    }
}

/// A new account for `email`, created at [`T0`].
pub fn new_user(email: &str) -> NewUser {
    NewUser {
        id: UserId::generate(),
        email: Email::parse(email).unwrap(),
        name: None,
        role: Role::User,
        password_hash: a_hash("c2FsdA"),
        email_verified: false,
        created_at: T0,
    }
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

/// A `user.profile_updated` event of `user` at `at`.
pub fn profile_updated(user: UserId, at: OffsetDateTime) -> Event {
    Event::new(
        EventData::ProfileUpdated {
            name: Some("Grace".into()),
        },
        Some(user),
        at,
    )
}

/// A `user.password_changed` event of `user` at `at`.
pub fn password_changed(user: UserId, at: OffsetDateTime) -> Event {
    Event::new(
        EventData::PasswordChanged {
            email: "ada@example.com".into(),
        },
        Some(user),
        at,
    )
}

/// A `user.login_failed` event of `user` at `at`.
pub fn login_failed(user: UserId, at: OffsetDateTime) -> Event {
    Event::new(
        EventData::LoginFailed {
            email: "ada@example.com".into(),
            reason: LoginFailure::WrongPassword,
            ip: None,
        },
        Some(user),
        at,
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
        amr: AuthMethod::PASSWORD.to_vec(),
    }
}

/// The `user.logged_in` event of `session`.
pub fn logged_in(session: &NewSession) -> Event {
    Event::new(
        EventData::LoggedIn {
            session_id: session.id,
            ip: Some("203.0.113.7".into()),
            user_agent: Some("tests/1.0".into()),
            provider: None,
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
