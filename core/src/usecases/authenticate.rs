//! Authentication of bearer tokens: a valid signature is not enough, the session must also be
//! live (§3: a logged-out access token is rejected at once).

use std::sync::Arc;

use super::Ports;
use crate::domain::AccessClaims;
use crate::error::{Error, Result};
use crate::ports::{RevocationList, TokenIssuer};

/// Verifies bearer tokens.
pub struct Authenticate {
    tokens: Arc<dyn TokenIssuer>,
    revocations: Arc<dyn RevocationList>,
}

impl Authenticate {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            tokens: ports.tokens.clone(),
            revocations: ports.revocations.clone(),
        }
    }

    /// The claims of a valid access token whose session has not been revoked.
    ///
    /// # Errors
    /// [`Error::TokenExpired`] for an expired token; [`Error::Unauthorized`] for one that is
    /// invalid or whose session was revoked.
    pub async fn execute(&self, bearer: &str) -> Result<AccessClaims> {
        let claims = self.tokens.verify(bearer)?;
        if self.revocations.is_revoked(claims.session_id).await? {
            return Err(Error::Unauthorized);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use uuid::Uuid;

    use super::*;
    use crate::domain::{Email, Role, SessionId, UserId};
    use crate::usecases::testkit::{Mocks, NOW};

    fn claims() -> AccessClaims {
        AccessClaims {
            user_id: UserId::generate(),
            session_id: SessionId::generate(),
            role: Role::User,
            email: Email::parse("ada@example.com").unwrap(),
            issued_at: NOW,
            expires_at: NOW + Duration::minutes(15),
            token_id: Uuid::now_v7(),
        }
    }

    #[tokio::test]
    async fn a_token_of_a_revoked_session_is_rejected() {
        let mut mocks = Mocks::new();
        mocks.tokens.expect_verify().returning(|_| Ok(claims()));
        mocks
            .revocations
            .expect_is_revoked()
            .returning(|_| Ok(true));

        let result = Authenticate::new(&mocks.ports()).execute("jwt").await;

        assert!(matches!(result, Err(Error::Unauthorized)));
    }

    #[tokio::test]
    async fn a_valid_token_of_a_live_session_is_accepted() {
        let mut mocks = Mocks::new();
        mocks.tokens.expect_verify().returning(|_| Ok(claims()));
        mocks
            .revocations
            .expect_is_revoked()
            .returning(|_| Ok(false));

        assert!(
            Authenticate::new(&mocks.ports())
                .execute("jwt")
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_expired_token_is_reported_as_expired_without_a_revocation_lookup() {
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_verify()
            .returning(|_| Err(crate::ports::TokenRejected::Expired));

        let result = Authenticate::new(&mocks.ports()).execute("jwt").await;

        assert!(matches!(result, Err(Error::TokenExpired)));
    }
}
