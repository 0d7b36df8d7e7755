//! What spending a mailed token starts with, for verification and reset alike: the stored
//! token behind a presented one, if it still works, and the account it belongs to.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::domain::{AccountTokenRecord, OpaqueToken, TokenPurpose, User};
use crate::error::BoxError;
use crate::ports::{AccountTokens, OpaqueTokens, UserRepo};

/// Why a token from a mail link (email verification, password reset) did nothing.
#[derive(Debug, thiserror::Error)]
pub enum LinkTokenError {
    /// The token is unknown, already used or expired, or its account is gone.
    #[error("invalid token")]
    InvalidToken,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// The ports a token lookup needs.
pub(super) struct Redeemable {
    pub(super) tokens: Arc<dyn AccountTokens>,
    secrets: Arc<dyn OpaqueTokens>,
    users: Arc<dyn UserRepo>,
}

impl Redeemable {
    pub(super) fn new(ports: &super::Ports) -> Self {
        Self {
            tokens: ports.account_tokens.clone(),
            secrets: ports.secrets.clone(),
            users: ports.users.clone(),
        }
    }

    /// The usable token of `purpose` behind `token` at `now`, and its account.
    ///
    /// # Errors
    /// [`LinkTokenError::InvalidToken`] when the token is unknown, used, expired, or its
    /// account gone.
    pub(super) async fn find(
        &self,
        purpose: TokenPurpose,
        token: &OpaqueToken,
        now: OffsetDateTime,
    ) -> Result<(AccountTokenRecord, User), LinkTokenError> {
        let digest = self.secrets.digest(token);
        let record = self
            .tokens
            .find(purpose, &digest)
            .await?
            .filter(|record| record.is_usable(now))
            .ok_or(LinkTokenError::InvalidToken)?;
        let user = self
            .users
            .find_by_id(record.user_id)
            .await?
            .ok_or(LinkTokenError::InvalidToken)?;
        Ok((record, user))
    }
}
