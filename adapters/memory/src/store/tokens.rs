//! [`AccountTokens`] in memory: a token is spent only while unused, in the same step as what
//! it proves, so of two requests presenting it at once exactly one succeeds. A new password
//! spends every unused reset token of its account in the same step.

use async_trait::async_trait;
use postern_core::domain::{
    AccountTokenRecord, Event, NewAccountToken, PasswordHash, TokenDigest, TokenPurpose, User,
    UserId,
};
use postern_core::ports::{AccountTokens, ChangeEmailError, PortResult};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{AccountTokenRow, MemoryStore, Tables, conflict};

impl Tables {
    /// The user of the unused token `token`, if it is unused and its user exists: what spending
    /// it would act on.
    fn spendable(&self, token: Uuid) -> Option<UserId> {
        self.account_tokens
            .get(&token)
            .filter(|row| row.record.used_at.is_none())
            .map(|row| row.record.user_id)
    }

    fn spend(&mut self, token: Uuid, at: OffsetDateTime) {
        if let Some(row) = self.account_tokens.get_mut(&token) {
            row.record.used_at = Some(at);
        }
    }

    /// Spends every unused reset token of `user` at `at`: the password they would set has just
    /// been replaced.
    pub(super) fn spend_reset_tokens(&mut self, user: UserId, at: OffsetDateTime) {
        self.spend_tokens_of(user, TokenPurpose::ResetPassword, at);
    }

    /// Spends every unused token of `purpose` of `user` at `at`.
    fn spend_tokens_of(&mut self, user: UserId, purpose: TokenPurpose, at: OffsetDateTime) {
        for row in self.account_tokens.values_mut() {
            if row.purpose == purpose && row.record.user_id == user && row.record.used_at.is_none()
            {
                row.record.used_at = Some(at);
            }
        }
    }
}

#[async_trait]
impl AccountTokens for MemoryStore {
    async fn issue(&self, token: &NewAccountToken) -> PortResult<()> {
        let mut tables = self.lock();
        if tables.account_tokens.contains_key(&token.id) {
            return Err(conflict("duplicate account token"));
        }
        tables.account_tokens.insert(
            token.id,
            AccountTokenRow {
                purpose: token.purpose,
                digest: token.digest.as_str().to_owned(),
                record: AccountTokenRecord {
                    id: token.id,
                    user_id: token.user_id,
                    expires_at: token.expires_at,
                    used_at: None,
                    new_email: token.new_email.clone(),
                    provider: token.provider.clone(),
                },
            },
        );
        Ok(())
    }

    async fn find(
        &self,
        purpose: TokenPurpose,
        digest: &TokenDigest,
    ) -> PortResult<Option<AccountTokenRecord>> {
        let tables = self.lock();
        Ok(tables
            .account_tokens
            .values()
            .find(|row| row.purpose == purpose && row.digest == digest.as_str())
            .map(|row| row.record.clone()))
    }

    async fn spend(&self, token: Uuid, at: OffsetDateTime) -> PortResult<bool> {
        let mut tables = self.lock();
        if tables.spendable(token).is_none() {
            return Ok(false);
        }
        tables.spend(token, at);
        Ok(true)
    }

    async fn verify_email(
        &self,
        token: Uuid,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Option<User>> {
        let mut tables = self.lock();
        let Some(user_id) = tables.spendable(token) else {
            return Ok(None);
        };
        let Some(row) = tables.users.get_mut(&user_id) else {
            return Ok(None);
        };
        row.user.email_verified = true;
        row.user.updated_at = at;
        let user = row.user.clone();
        tables.spend(token, at);
        tables.write_event(event);
        Ok(Some(user))
    }

    async fn reset_password(
        &self,
        token: Uuid,
        hash: &PasswordHash,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<bool> {
        let mut tables = self.lock();
        let Some(user_id) = tables.spendable(token) else {
            return Ok(false);
        };
        let Some(row) = tables.users.get_mut(&user_id) else {
            return Ok(false);
        };
        row.password_hash = hash.clone();
        row.user.updated_at = at;
        // The owner proved themselves by mail: whatever lock a guesser caused is over.
        let email = row.user.email.clone();
        tables.login_counts.forget(&email);
        tables.spend_reset_tokens(user_id, at);
        tables.write_event(event);
        Ok(true)
    }

    async fn change_email(
        &self,
        token: Uuid,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Option<User>, ChangeEmailError> {
        let mut tables = self.lock();
        let Some(user_id) = tables.spendable(token) else {
            return Ok(None);
        };
        let Some(new_email) = tables
            .account_tokens
            .get(&token)
            .and_then(|row| row.record.new_email.clone())
        else {
            return Ok(None);
        };
        if tables
            .users
            .values()
            .any(|row| row.user.email == new_email && row.user.id != user_id)
        {
            return Err(ChangeEmailError::EmailTaken);
        }
        let Some(row) = tables.users.get_mut(&user_id) else {
            return Ok(None);
        };
        row.user.email = new_email;
        row.user.email_verified = true;
        row.user.updated_at = at;
        let user = row.user.clone();
        tables.spend_tokens_of(user_id, TokenPurpose::ChangeEmail, at);
        tables.write_event(event);
        Ok(Some(user))
    }
}
