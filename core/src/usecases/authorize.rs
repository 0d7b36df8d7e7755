//! Role checks (docs/http-api.md §5): "at least role X", against the account's role now, not the
//! role its access token was issued with, so that a demotion takes effect at once rather than when
//! the caller's token expires.

use tracing::instrument;

use super::{GetProfile, Ports, ProfileError};
use crate::domain::{AccessClaims, Role, User};
use crate::error::BoxError;

/// Why an authenticated caller may not go on.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// The caller's role is below the one required.
    #[error("forbidden")]
    Forbidden,
    /// The caller's account no longer exists.
    #[error("account gone")]
    AccountGone,
    /// The caller's account is disabled.
    #[error("account disabled")]
    AccountDisabled,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Decides whether an authenticated caller holds a role.
pub struct Authorize {
    profiles: GetProfile,
}

impl Authorize {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            profiles: GetProfile::new(ports),
        }
    }

    /// The caller's account, if its current role is `least` or above. The profile comes from
    /// the cache, which every role change invalidates.
    ///
    /// # Errors
    /// [`AuthorizeError::Forbidden`] when the role is below `least`;
    /// [`AuthorizeError::AccountGone`] or [`AuthorizeError::AccountDisabled`] when the account
    /// no longer exists or is disabled.
    #[instrument(skip_all, name = "authorize", fields(user_id = %caller.user_id, least = %least))]
    pub async fn at_least(
        &self,
        caller: &AccessClaims,
        least: Role,
    ) -> Result<User, AuthorizeError> {
        let user = self
            .profiles
            .execute(caller.user_id)
            .await
            .map_err(|error| match error {
                ProfileError::NotFound => AuthorizeError::AccountGone,
                ProfileError::Unavailable(cause) => AuthorizeError::Unavailable(cause),
                ProfileError::Unexpected(cause) => AuthorizeError::Unexpected(cause),
            })?;
        if user.disabled {
            // Its sessions are revoked; this refuses a token of a login that raced the disabling.
            return Err(AuthorizeError::AccountDisabled);
        }
        if user.role.is_at_least(least) {
            Ok(user)
        } else {
            Err(AuthorizeError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::testkit::{Mocks, caller, user};

    async fn check(actual: Role, least: Role) -> Result<User, AuthorizeError> {
        let mut mocks = Mocks::new();
        let account = User {
            role: actual,
            ..user()
        };
        let claims = AccessClaims {
            user_id: account.id,
            // The token's role is ignored: the account's role now decides.
            role: Role::Admin,
            ..caller()
        };
        mocks
            .cache
            .expect_get()
            .returning(move |_| Ok(Some(account.clone())));
        Authorize::new(&mocks.ports())
            .at_least(&claims, least)
            .await
    }

    #[tokio::test]
    async fn a_higher_or_equal_role_passes() {
        assert!(check(Role::Admin, Role::Manager).await.is_ok());
        assert!(check(Role::Manager, Role::Manager).await.is_ok());
    }

    #[tokio::test]
    async fn a_disabled_or_vanished_account_is_refused_whatever_its_role() {
        let disabled = User {
            role: Role::Admin,
            disabled: true,
            ..user()
        };
        let mut mocks = Mocks::new();
        let mut cached = vec![None, Some(disabled)];
        mocks
            .cache
            .expect_get()
            .returning(move |_| Ok(cached.pop().flatten()));
        mocks.users.expect_find_by_id().returning(|_| Ok(None));
        let authorize = Authorize::new(&mocks.ports());

        let refused = authorize.at_least(&caller(), Role::User).await;
        let gone = authorize.at_least(&caller(), Role::User).await;

        assert!(matches!(refused, Err(AuthorizeError::AccountDisabled)));
        assert!(matches!(gone, Err(AuthorizeError::AccountGone)));
    }

    #[tokio::test]
    async fn a_lower_role_is_forbidden() {
        assert!(matches!(
            check(Role::Manager, Role::Admin).await,
            Err(AuthorizeError::Forbidden)
        ));
        assert!(matches!(
            check(Role::User, Role::Manager).await,
            Err(AuthorizeError::Forbidden)
        ));
    }
}
