//! Token introspection (docs/http-api.md §9): tells another service whether an access token is
//! active now, and with which role.
//!
//! Active means what a bearer check of Postern's own means (genuine, unexpired, issued as we
//! issue them, of a session not revoked), and also that the account still exists and is not
//! disabled. The role is the account's role now, read from the database: never the one in the
//! token, nor the profile cache, whose copy can be stale after a demotion. Every refusal is the
//! same answer, [`Introspection::Inactive`], so that a caller learns nothing about why.

use std::sync::Arc;

use tracing::instrument;

use super::{Authenticate, AuthenticateError, Ports};
use crate::domain::{AccessClaims, Role, SessionPolicy};
use crate::ports::{PortError, UserRepo};

/// What introspection says of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Introspection {
    /// The token is valid now.
    Active {
        /// Its claims, as signed.
        claims: AccessClaims,
        /// The account's role now, which may differ from `claims.role`.
        role: Role,
    },
    /// Anything else: forged, expired, revoked, of a disabled or deleted account, or not an
    /// access token at all.
    Inactive,
}

/// Introspects access tokens.
pub struct Introspect {
    authenticate: Authenticate,
    users: Arc<dyn UserRepo>,
}

impl Introspect {
    /// Builds the use case from its ports; tokens may live as long as `policy` says.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            authenticate: Authenticate::new(ports, policy),
            users: ports.users.clone(),
        }
    }

    /// Whether `token` is active, and with which claims and current role.
    ///
    /// # Errors
    /// Only when a port fails: a token that cannot be judged is not called inactive, since the
    /// caller would then refuse a valid one, nor active, since it could be revoked.
    #[instrument(skip_all, name = "introspect")]
    pub async fn execute(&self, token: &str) -> Result<Introspection, PortError> {
        let claims = match self.authenticate.execute(token).await {
            Ok(claims) => claims,
            Err(AuthenticateError::Unavailable(cause)) => {
                return Err(PortError::Unavailable(cause));
            }
            Err(AuthenticateError::Unexpected(cause)) => return Err(PortError::Unexpected(cause)),
            Err(
                AuthenticateError::Expired
                | AuthenticateError::Invalid
                | AuthenticateError::Revoked,
            ) => return Ok(Introspection::Inactive),
        };
        match self.users.find_by_id(claims.user_id).await? {
            Some(user) if !user.disabled => Ok(Introspection::Active {
                claims,
                role: user.role,
            }),
            // Disabling revokes the sessions; this also covers a login that raced it.
            _ => Ok(Introspection::Inactive),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::User;
    use crate::ports::TokenRejected;
    use crate::usecases::testkit::{Mocks, caller, policy, user};

    /// Mocks whose token verifies to `claims` of a session revoked or not.
    fn verifying(claims: AccessClaims, revoked: bool) -> Mocks {
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_verify()
            .returning(move |_| Ok(claims.clone()));
        mocks
            .revocations
            .expect_is_revoked()
            .returning(move |_| Ok(revoked));
        mocks
    }

    /// Introspects a live session's token whose account is `stored`.
    async fn with_account(stored: Option<User>) -> Result<Introspection, PortError> {
        let mut mocks = verifying(caller(), false);
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(stored.clone()));
        Introspect::new(&mocks.ports(), policy())
            .execute("jwt")
            .await
    }

    #[tokio::test]
    async fn a_live_token_is_active_with_the_accounts_current_role_not_the_tokens() {
        let promoted = User {
            role: Role::Admin,
            ..user()
        };

        let result = with_account(Some(promoted)).await.unwrap();

        let Introspection::Active { claims, role } = result else {
            panic!("inactive: {result:?}");
        };
        assert_eq!(claims.role, Role::User);
        assert_eq!(role, Role::Admin);
    }

    #[tokio::test]
    async fn the_role_is_read_from_the_database_even_when_a_stale_profile_is_cached() {
        let mut mocks = verifying(caller(), false);
        let demoted = user();
        let stale = User {
            role: Role::Admin,
            ..demoted.clone()
        };
        mocks
            .cache
            .expect_get()
            .returning(move |_| Ok(Some(stale.clone())));
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(demoted.clone())));

        let result = Introspect::new(&mocks.ports(), policy())
            .execute("jwt")
            .await
            .unwrap();

        assert!(
            matches!(
                result,
                Introspection::Active {
                    role: Role::User,
                    ..
                }
            ),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_token_of_a_disabled_or_deleted_account_is_inactive() {
        let disabled = User {
            disabled: true,
            ..user()
        };

        assert_eq!(
            with_account(Some(disabled)).await.unwrap(),
            Introspection::Inactive
        );
        assert_eq!(with_account(None).await.unwrap(), Introspection::Inactive);
    }

    #[tokio::test]
    async fn a_revoked_sessions_token_is_inactive_without_an_account_lookup() {
        let mocks = verifying(caller(), true);

        let result = Introspect::new(&mocks.ports(), policy())
            .execute("jwt")
            .await;

        assert_eq!(result.unwrap(), Introspection::Inactive);
    }

    #[tokio::test]
    async fn an_expired_or_forged_token_is_inactive() {
        for rejected in [TokenRejected::Expired, TokenRejected::Invalid] {
            let mut mocks = Mocks::new();
            mocks
                .tokens
                .expect_verify()
                .returning(move |_| Err(rejected));

            let result = Introspect::new(&mocks.ports(), policy())
                .execute("not-a-jwt")
                .await;

            assert_eq!(result.unwrap(), Introspection::Inactive, "{rejected:?}");
        }
    }

    #[tokio::test]
    async fn an_unreachable_revocation_list_is_an_error_not_an_answer() {
        let mut mocks = Mocks::new();
        mocks.tokens.expect_verify().returning(|_| Ok(caller()));
        mocks
            .revocations
            .expect_is_revoked()
            .returning(|_| Err(PortError::unavailable("redis down")));

        let result = tokio::spawn(async move {
            Introspect::new(&mocks.ports(), policy())
                .execute("jwt")
                .await
        })
        .await
        .unwrap();

        assert!(
            matches!(result, Err(PortError::Unavailable(_))),
            "{result:?}"
        );
    }
}
