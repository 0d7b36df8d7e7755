//! What spending a mailed token starts with, for verification and reset alike: the stored
//! token behind a presented one, if it still works, and the account it belongs to.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::domain::{AccountTokenRecord, OpaqueToken, TokenPurpose, User};
use crate::error::{Error, Result};
use crate::ports::{AccountTokens, OpaqueTokens, UserRepo};

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
    /// [`Error::InvalidToken`] when the token is unknown, used, expired, or its account gone.
    pub(super) async fn find(
        &self,
        purpose: TokenPurpose,
        token: &OpaqueToken,
        now: OffsetDateTime,
    ) -> Result<(AccountTokenRecord, User)> {
        let digest = self.secrets.digest(token);
        let record = self
            .tokens
            .find(purpose, &digest)
            .await?
            .filter(|record| record.is_usable(now))
            .ok_or(Error::InvalidToken)?;
        let user = self
            .users
            .find_by_id(record.user_id)
            .await?
            .ok_or(Error::InvalidToken)?;
        Ok((record, user))
    }
}
