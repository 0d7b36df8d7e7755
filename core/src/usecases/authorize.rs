//! Role checks (§5): "at least role X", against the account's role now, not the role its
//! access token was issued with, so that a demotion takes effect at once rather than when the
//! caller's token expires.

use tracing::instrument;

use super::{GetProfile, Ports};
use crate::domain::{AccessClaims, Role, User};
use crate::error::{Error, Result};

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
    /// [`Error::Forbidden`] when the role is below `least`; [`Error::Unauthorized`] when the
    /// account no longer exists or is disabled.
    #[instrument(skip_all, name = "authorize", fields(user_id = %caller.user_id, least = %least))]
    pub async fn at_least(&self, caller: &AccessClaims, least: Role) -> Result<User> {
        let user = match self.profiles.execute(caller.user_id).await {
            Err(Error::NotFound) => return Err(Error::Unauthorized),
            other => other?,
        };
        if user.disabled {
            // Its sessions are revoked; this refuses a token of a login that raced the disabling.
            return Err(Error::Unauthorized);
        }
        if user.role.is_at_least(least) {
            Ok(user)
        } else {
            Err(Error::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::testkit::{Mocks, caller, user};

    async fn check(actual: Role, least: Role) -> Result<User> {
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
    async fn a_lower_role_is_forbidden() {
        assert!(matches!(
            check(Role::Manager, Role::Admin).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            check(Role::User, Role::Manager).await,
            Err(Error::Forbidden)
        ));
    }
}
