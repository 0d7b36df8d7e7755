//! Signup: create an account with a hashed password and announce it.

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::new_password::NewPasswordRule;
use crate::domain::{
    DisplayName, Email, Event, EventData, NewUser, Password, PasswordPolicy, Role, User, UserId,
};
use crate::error::{BoxError, FieldError};
use crate::ports::{Clock, CreateUserError, PasswordHasher, UserRepo};

/// A validated signup request.
#[derive(Debug)]
pub struct SignupRequest {
    /// The new account's email.
    pub email: Email,
    /// Its password.
    pub password: Password,
    /// Its optional display name.
    pub name: Option<DisplayName>,
}

/// Why a signup created no account.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    /// Another account already uses this email.
    #[error("email already registered")]
    EmailTaken,
    /// The password falls short of the operator's policy; the error says what to change.
    #[error("password refused by the policy")]
    WeakPassword(FieldError),
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Creates accounts (docs/http-api.md §3 signup).
pub struct Signup {
    passwords: NewPasswordRule,
    users: Arc<dyn UserRepo>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
}

impl Signup {
    /// Builds the use case from its ports, holding new passwords to `passwords`.
    pub fn new(ports: &Ports, passwords: PasswordPolicy) -> Self {
        Self {
            passwords: NewPasswordRule::new(ports, passwords),
            users: ports.users.clone(),
            hasher: ports.hasher.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// Creates the account and writes `user.signed_up` with it.
    ///
    /// # Errors
    /// [`SignupError::WeakPassword`] when the password falls short of the policy, before any
    /// hashing; [`SignupError::EmailTaken`] when the email is in use.
    #[instrument(skip_all, name = "signup")]
    pub async fn execute(&self, request: SignupRequest) -> Result<User, SignupError> {
        self.execute_with_role(request, Role::User).await
    }

    /// Creates an account with `role`, as the command line creates admins; otherwise exactly
    /// [`Self::execute`].
    ///
    /// # Errors
    /// [`SignupError::EmailTaken`] when the email is in use.
    pub async fn execute_with_role(
        &self,
        request: SignupRequest,
        role: Role,
    ) -> Result<User, SignupError> {
        let user_inputs: Vec<String> = std::iter::once(request.email.as_str())
            .chain(request.name.as_ref().map(|name| name.as_str()))
            .map(str::to_owned)
            .collect();
        self.passwords
            .check(&request.password, "password", &user_inputs)
            .map_err(SignupError::WeakPassword)?;
        let password_hash = self.hasher.hash(&request.password).await?;
        let now = self.clock.now();
        let user = NewUser {
            id: UserId::generate(),
            email: request.email,
            name: request.name,
            role,
            password_hash,
            email_verified: false,
            created_at: now,
        };
        let event = Event::new(
            EventData::SignedUp {
                email: user.email.as_str().to_owned(),
                name: user.name.as_ref().map(|n| n.as_str().to_owned()),
            },
            Some(user.id),
            now,
        );
        self.users
            .create(&user, &event)
            .await
            .map_err(|error| match error {
                CreateUserError::EmailTaken => SignupError::EmailTaken,
                CreateUserError::Port(error) => error.into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PasswordStrength;
    use crate::usecases::testkit::{Mocks, password, user};

    fn request() -> SignupRequest {
        SignupRequest {
            email: Email::parse("ada@example.com").unwrap(),
            password: password(),
            name: Some(DisplayName::parse("Ada").unwrap()),
        }
    }

    #[tokio::test]
    async fn signup_stores_the_hash_and_a_signed_up_event_together() {
        let mut mocks = Mocks::new();
        mocks
            .hasher
            .expect_hash()
            .returning(|_| Ok(crate::domain::PasswordHash::new("$argon2id$h".into())));
        mocks
            .users
            .expect_create()
            .withf(|new, event| {
                new.password_hash.as_str() == "$argon2id$h"
                    && new.role == Role::User
                    && event.data
                        == EventData::SignedUp {
                            email: "ada@example.com".into(),
                            name: Some("Ada".into()),
                        }
                    && event.user_id == Some(new.id.as_uuid())
            })
            .returning(|new, _| {
                Ok(User {
                    id: new.id,
                    ..user()
                })
            });

        let created = Signup::new(&mocks.ports(), PasswordPolicy::default())
            .execute(request())
            .await
            .unwrap();

        assert_eq!(created.email.as_str(), "ada@example.com");
    }

    #[tokio::test]
    async fn signup_reports_a_taken_email() {
        let mut mocks = Mocks::new();
        mocks
            .hasher
            .expect_hash()
            .returning(|_| Ok(crate::domain::PasswordHash::new("h".into())));
        mocks
            .users
            .expect_create()
            .returning(|_, _| Err(CreateUserError::EmailTaken));

        let result = Signup::new(&mocks.ports(), PasswordPolicy::default())
            .execute(request())
            .await;

        assert!(matches!(result, Err(SignupError::EmailTaken)));
    }

    #[tokio::test]
    async fn signup_future_is_send() {
        let mut mocks = Mocks::new();
        mocks
            .hasher
            .expect_hash()
            .returning(|_| Ok(crate::domain::PasswordHash::new("h".into())));
        mocks.users.expect_create().returning(|_, _| Ok(user()));
        let signup = Signup::new(&mocks.ports(), PasswordPolicy::default());

        let joined = tokio::spawn(async move { signup.execute(request()).await })
            .await
            .unwrap();

        assert!(joined.is_ok());
    }

    #[tokio::test]
    async fn a_password_below_the_minimum_score_is_refused_with_the_hint_before_any_hashing() {
        let mut mocks = Mocks::new();
        mocks
            .strength
            .expect_estimate()
            .withf(|_, inputs| inputs == ["ada@example.com".to_owned(), "Ada".to_owned()])
            .times(1)
            .returning(|_, _| PasswordStrength {
                score: 1,
                hint: Some("Avoid dates and years.".into()),
            });
        let policy = PasswordPolicy {
            min_length: 8,
            min_score: 3,
        };

        // No hash and no account are expected: either would panic.
        let result = Signup::new(&mocks.ports(), policy).execute(request()).await;

        let Err(SignupError::WeakPassword(problem)) = result else {
            panic!("{result:?}");
        };
        assert_eq!(problem.field, "password");
        assert!(
            problem.message.contains("Avoid dates and years."),
            "{problem:?}"
        );
    }

    #[tokio::test]
    async fn a_password_shorter_than_the_configured_minimum_is_refused_without_an_estimate() {
        let mocks = Mocks::new();
        let policy = PasswordPolicy {
            min_length: 40,
            min_score: 4,
        };

        let result = Signup::new(&mocks.ports(), policy).execute(request()).await;

        let Err(SignupError::WeakPassword(problem)) = result else {
            panic!("{result:?}");
        };
        assert_eq!(problem.message, "must be at least 40 characters");
    }
}
