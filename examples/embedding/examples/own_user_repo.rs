//! Writing your own adapter: a `UserRepo` of this service's making, plugged into the use cases
//! in place of the in-memory one. It logs every call and delegates the storing to an inner
//! repository; a real one would talk to your database.
//!
//! An adapter implements the port's trait with `#[async_trait]` and keeps the contract written
//! in each method's `# Errors` section: here `create` must answer `CreateUserError::EmailTaken`
//! for an email in use, the changes must return `UpdateUserError::NotFound` (or
//! `UpdateAccessError::NotFound`) for an unknown account, and an access change must refuse with
//! `UpdateAccessError::LastAdmin` one that leaves no enabled admin. The use cases rely on those variants (signup turns `EmailTaken` into the 409 a
//! client sees).
//!
//! Run it with `cargo run -p postern-examples --example own_user_repo`.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use postern_core::FieldError;
use postern_core::domain::{
    AccessUpdate, DisplayName, Email, Event, LockoutPolicy, LoginAttempt, LoginKey, NewUser,
    PasswordHash, SessionId, User, UserCredentials, UserId, UserQuery,
};
use postern_core::ports::{
    CreateUserError, DeleteAccountError, PortResult, UpdateAccessError, UpdateUserError, UserRepo,
};
use postern_core::usecases::{
    Accounts, LoginError, LoginOutcome, LoginRequest, Policies, SignupError, SignupRequest,
};
use time::OffsetDateTime;

/// A `UserRepo` that reports what the use cases ask of it, then lets `inner` answer.
struct LoggingUsers {
    inner: Arc<dyn UserRepo>,
    calls: AtomicUsize,
}

impl LoggingUsers {
    fn log(&self, call: &str) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        println!("  [users] {call}");
    }
}

#[async_trait]
impl UserRepo for LoggingUsers {
    async fn create(&self, user: &NewUser, event: &Event) -> PortResult<User, CreateUserError> {
        self.log(&format!("create {}", user.email));
        let created = self.inner.create(user, event).await;
        if let Err(CreateUserError::EmailTaken) = &created {
            println!("  [users] -> EmailTaken, as the port's contract demands");
        }
        created
    }

    async fn find_by_id(&self, id: UserId) -> PortResult<Option<User>> {
        self.log(&format!("find_by_id {id}"));
        self.inner.find_by_id(id).await
    }

    async fn find_credentials(&self, email: &Email) -> PortResult<Option<UserCredentials>> {
        self.log(&format!("find_credentials {email}"));
        self.inner.find_credentials(email).await
    }

    async fn find_credentials_by_id(&self, id: UserId) -> PortResult<Option<UserCredentials>> {
        self.log(&format!("find_credentials_by_id {id}"));
        self.inner.find_credentials_by_id(id).await
    }

    async fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<(), UpdateUserError> {
        self.log(&format!("change_password {id}"));
        self.inner.change_password(id, hash, at, event).await
    }

    async fn replace_password_hash(&self, id: UserId, hash: &PasswordHash) -> PortResult<()> {
        self.log(&format!("replace_password_hash {id}"));
        self.inner.replace_password_hash(id, hash).await
    }

    async fn begin_login_attempt(
        &self,
        key: &LoginKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> PortResult<LoginAttempt> {
        let attempt = self.inner.begin_login_attempt(key, at, policy).await;
        self.log(&format!(
            "begin_login_attempt from {} -> {attempt:?}",
            key.client
        ));
        attempt
    }

    async fn record_login_failure(
        &self,
        key: &LoginKey,
        at: OffsetDateTime,
        policy: LockoutPolicy,
        event: &Event,
    ) -> PortResult<()> {
        self.log(&format!("record_login_failure from {}", key.client));
        self.inner
            .record_login_failure(key, at, policy, event)
            .await
    }

    async fn record_login_success(&self, key: &LoginKey) -> PortResult<()> {
        self.log(&format!("record_login_success from {}", key.client));
        self.inner.record_login_success(key).await
    }

    async fn abandon_login_attempt(&self, key: &LoginKey) -> PortResult<()> {
        self.log(&format!("abandon_login_attempt from {}", key.client));
        self.inner.abandon_login_attempt(key).await
    }

    async fn update_name(
        &self,
        id: UserId,
        name: Option<DisplayName>,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<User, UpdateUserError> {
        self.log(&format!("update_name {id}"));
        self.inner.update_name(id, name, at, event).await
    }

    async fn list(&self, query: &UserQuery) -> PortResult<Vec<User>> {
        self.log("list");
        self.inner.list(query).await
    }

    async fn update_access(
        &self,
        id: UserId,
        update: &AccessUpdate,
        events: &[Event],
    ) -> PortResult<(User, Vec<SessionId>), UpdateAccessError> {
        self.log(&format!("update_access {id}"));
        self.inner.update_access(id, update, events).await
    }

    async fn delete_account(
        &self,
        id: UserId,
        at: OffsetDateTime,
        events: &[Event],
    ) -> PortResult<Vec<SessionId>, DeleteAccountError> {
        self.log(&format!("delete_account {id}"));
        self.inner.delete_account(id, at, events).await
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run().await
}

/// The example; `cargo test` runs it too.
async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (store, clock) = support::store();
    let mut ports = support::in_memory_ports(&store, clock)?;
    let users = Arc::new(LoggingUsers {
        inner: ports.users.clone(),
        calls: AtomicUsize::new(0),
    });
    // The one line that plugs the adapter in: every use case now stores users through it.
    ports.users = users.clone();
    let accounts = Accounts::new(&ports, Policies::default());

    println!("signup, twice:");
    let user = accounts.signup.execute(signup()?).await?;
    let again = accounts.signup.execute(signup()?).await;
    assert!(matches!(again, Err(SignupError::EmailTaken)));

    println!("login with a wrong password, then the right one:");
    let wrong = accounts.login.execute(login("not her password")?).await;
    assert!(matches!(wrong, Err(LoginError::InvalidCredentials)));
    let outcome = accounts
        .login
        .execute(login("a long enough password")?)
        .await?;
    let LoginOutcome::Session {
        user: logged_in, ..
    } = outcome
    else {
        return Err("an account without a second factor gets its session at once".into());
    };
    assert_eq!(logged_in.id, user.id);

    println!("profile:");
    let profile = accounts.get_profile.execute(user.id).await?;
    assert_eq!(profile.email, user.email);

    println!(
        "{} calls went through the example's UserRepo",
        users.calls.load(Ordering::Relaxed)
    );
    Ok(())
}

fn signup() -> Result<SignupRequest, FieldError> {
    Ok(SignupRequest {
        email: support::email("grace@example.com")?,
        password: support::password("a long enough password")?,
        name: None,
    })
}

fn login(password: &str) -> Result<LoginRequest, FieldError> {
    Ok(LoginRequest {
        email: support::email("grace@example.com")?,
        password: support::password(password)?,
        client: support::client(),
    })
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread")]
    async fn an_own_user_repo_serves_signup_login_and_profile() {
        super::run().await.unwrap();
    }
}
