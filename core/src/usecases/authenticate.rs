//! Authentication of bearer tokens: a valid signature is not enough, the session must also be
//! live (docs/http-api.md §3: a logged-out access token is rejected at once).

use std::sync::Arc;

use super::Ports;
use crate::domain::AccessClaims;
use crate::error::BoxError;
use crate::ports::{RevocationList, TokenIssuer, TokenRejected};

/// Why a bearer token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    /// A genuine token past its expiry.
    #[error("access token expired")]
    Expired,
    /// Malformed, forged, or otherwise not a token this service issued.
    #[error("invalid access token")]
    Invalid,
    /// A genuine, unexpired token of a session that has ended.
    #[error("session revoked")]
    Revoked,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

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
    /// [`AuthenticateError::Expired`] for an expired token, [`AuthenticateError::Invalid`] for
    /// one that is not genuine, [`AuthenticateError::Revoked`] for one whose session ended.
    pub async fn execute(&self, bearer: &str) -> Result<AccessClaims, AuthenticateError> {
        let claims = self
            .tokens
            .verify(bearer)
            .map_err(|rejected| match rejected {
                TokenRejected::Expired => AuthenticateError::Expired,
                TokenRejected::Invalid => AuthenticateError::Invalid,
            })?;
        if self.revocations.is_revoked(claims.session_id).await? {
            return Err(AuthenticateError::Revoked);
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

        assert!(matches!(result, Err(AuthenticateError::Revoked)));
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
    async fn a_forged_token_is_invalid_without_a_revocation_lookup() {
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_verify()
            .returning(|_| Err(TokenRejected::Invalid));

        let result = Authenticate::new(&mocks.ports()).execute("jwt").await;

        assert!(matches!(result, Err(AuthenticateError::Invalid)));
    }

    #[tokio::test]
    async fn an_expired_token_is_reported_as_expired_without_a_revocation_lookup() {
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_verify()
            .returning(|_| Err(TokenRejected::Expired));

        let result = Authenticate::new(&mocks.ports()).execute("jwt").await;

        assert!(matches!(result, Err(AuthenticateError::Expired)));
    }
}
