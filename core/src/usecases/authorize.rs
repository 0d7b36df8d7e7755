//! Role checks (docs/http-api.md §5): "at least role X", against the account's role now, not the
//! role its access token was issued with, so that a demotion takes effect at once rather than when
//! the caller's token expires.
//!
//! The role is read from the database, never from the profile cache: a cached copy can be stale
//! (a write whose cache update failed, an outage), and for admin operations a stale role is a
//! privilege kept after a demotion. One primary-key read per admin request is cheap beside that.

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use crate::domain::{AccessClaims, Role, User};
use crate::error::BoxError;
use crate::ports::UserRepo;

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
    users: Arc<dyn UserRepo>,
}

impl Authorize {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            users: ports.users.clone(),
        }
    }

    /// The caller's account, if its current role is `least` or above. The account is read
    /// from the database, not the profile cache.
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
            .users
            .find_by_id(caller.user_id)
            .await?
            .ok_or(AuthorizeError::AccountGone)?;
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
            .users
            .expect_find_by_id()
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
        let mut stored = vec![None, Some(disabled)];
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(stored.pop().flatten()));
        let authorize = Authorize::new(&mocks.ports());

        let refused = authorize.at_least(&caller(), Role::User).await;
        let gone = authorize.at_least(&caller(), Role::User).await;

        assert!(matches!(refused, Err(AuthorizeError::AccountDisabled)));
        assert!(matches!(gone, Err(AuthorizeError::AccountGone)));
    }

    #[tokio::test]
    async fn the_role_is_read_from_the_database_even_when_a_stale_admin_profile_is_cached() {
        let demoted = user();
        let stale = User {
            role: Role::Admin,
            ..demoted.clone()
        };
        let mut mocks = Mocks::new();
        mocks
            .cache
            .expect_get()
            .returning(move |_| Ok(Some(stale.clone())));
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(demoted.clone())));

        let result = Authorize::new(&mocks.ports())
            .at_least(&caller(), Role::Admin)
            .await;

        assert!(
            matches!(result, Err(AuthorizeError::Forbidden)),
            "{result:?}"
        );
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
