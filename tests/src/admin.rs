//! [`TestApp`] methods for the docs/http-api.md §5 admin endpoints, and what arranges their tests:
//! roles set and accounts stored behind the API's back, through the user repository.

use postern_core::domain::{
    AccessUpdate, Email, Event, EventData, NewUser, PasswordHash, Role, UserId,
};
use postern_core::ports::UserRepo;
use postern_db::SeaUserRepo;
use reqwest::Method;
use serde_json::Value;
use time::OffsetDateTime;

use crate::app::{Session, TestApp, TestResponse};

/// A well-formed hash that no password matches: seeded accounts are only listed, never used.
const UNUSABLE_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

impl TestApp {
    fn users(&self) -> SeaUserRepo {
        SeaUserRepo::new(self.db.connection())
    }

    /// Gives the account with `email` `role`, in storage, without an event. Call it before the
    /// account's profile is first read (login does not read it), or the cached profile keeps the
    /// old role for its time to live.
    pub async fn promote(&self, email: &str, role: Role) {
        let users = self.users();
        let account = users
            .find_credentials(&Email::parse(email).unwrap())
            .await
            .unwrap()
            .expect("the account exists");
        let update = AccessUpdate {
            role: Some(role),
            disabled: None,
            at: OffsetDateTime::now_utc(),
        };
        users
            .update_access(account.user.id, &update, &[])
            .await
            .unwrap();
    }

    /// Signs up a fresh user with `role` and logs in again after the role change, which ends
    /// the sessions the account had.
    pub async fn signed_in_as(&self, role: Role) -> Session {
        let session = self.signed_in_user().await;
        self.promote(&session.email, role).await;
        self.login_as(&session.email).await
    }

    /// Stores an account for `email` directly, with a password nobody knows, and returns its id.
    pub async fn seed_user(&self, email: &str) -> UserId {
        let user = NewUser {
            id: UserId::generate(),
            email: Email::parse(email).unwrap(),
            name: None,
            role: Role::User,
            password_hash: PasswordHash::new(UNUSABLE_HASH.into()),
            email_verified: false,
            created_at: OffsetDateTime::now_utc(),
        };
        let event = Event::new(
            EventData::SignedUp {
                email: email.to_owned(),
                name: None,
            },
            Some(user.id),
            user.created_at,
        );
        self.users().create(&user, &event).await.unwrap();
        user.id
    }

    /// docs/http-api.md §5 list users; `query` is the query string without `?`.
    pub async fn list_users(&self, access: &str, query: &str) -> TestResponse {
        self.get(&format!("/api/v1/admin/users?{query}"), Some(access))
            .await
    }

    /// docs/http-api.md §5 change a user; `id` goes into the path as given.
    pub async fn update_user(&self, access: &str, id: &str, body: Value) -> TestResponse {
        self.send(
            Method::PATCH,
            &format!("/api/v1/admin/users/{id}"),
            Some(body),
            Some(access),
        )
        .await
    }

    /// docs/http-api.md §5 drop a user's cached profile.
    pub async fn drop_user_cache(&self, access: &str, id: &str) -> TestResponse {
        self.send(
            Method::DELETE,
            &format!("/api/v1/admin/users/{id}/cache"),
            None,
            Some(access),
        )
        .await
    }

    /// docs/http-api.md §5 read the audit log; `query` is the query string without `?`.
    pub async fn audit(&self, access: &str, query: &str) -> TestResponse {
        self.get(&format!("/api/v1/admin/audit?{query}"), Some(access))
            .await
    }
}
