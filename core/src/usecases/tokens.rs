//! Minting token pairs, shared by login and refresh so that both issue identical claims.

use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{
    AccessClaims, AuthMethod, NewRefreshToken, OpaqueToken, RefreshTokenId, SessionId,
    SessionPolicy, TokenPair, User,
};
use crate::ports::{OpaqueTokens, PortResult, TokenIssuer};

pub(crate) struct TokenMinter {
    tokens: Arc<dyn TokenIssuer>,
    secrets: Arc<dyn OpaqueTokens>,
    policy: SessionPolicy,
}

impl TokenMinter {
    pub(crate) fn new(
        tokens: Arc<dyn TokenIssuer>,
        secrets: Arc<dyn OpaqueTokens>,
        policy: SessionPolicy,
    ) -> Self {
        Self {
            tokens,
            secrets,
            policy,
        }
    }

    /// The first refresh token of a session starting `now`, and the record to store for it.
    pub(crate) fn refresh_token(&self, now: OffsetDateTime) -> (OpaqueToken, NewRefreshToken) {
        let token = self.secrets.generate();
        let record = self.record_of(&token, now, now);
        (token, record)
    }

    /// The record to store for `token`, issued `now` in a session started at `session_started_at`:
    /// it expires `refresh_ttl` from now, never past the session's maximum lifetime.
    pub(crate) fn record_of(
        &self,
        token: &OpaqueToken,
        session_started_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> NewRefreshToken {
        NewRefreshToken {
            id: RefreshTokenId::generate(),
            digest: self.secrets.digest(token),
            issued_at: now,
            expires_at: self.policy.refresh_expiry(session_started_at, now),
        }
    }

    /// Signs an access token for `user` in `session`, whose login authenticated by `amr`, and
    /// pairs it with `refresh_token`.
    pub(crate) fn pair(
        &self,
        user: &User,
        session: SessionId,
        amr: &[AuthMethod],
        refresh_token: OpaqueToken,
        now: OffsetDateTime,
    ) -> PortResult<TokenPair> {
        let claims = AccessClaims {
            user_id: user.id,
            session_id: session,
            role: user.role,
            email: user.email.clone(),
            issued_at: now,
            expires_at: now + self.policy.access_ttl,
            token_id: Uuid::now_v7(),
            amr: amr.to_vec(),
        };
        Ok(TokenPair {
            access_token: self.tokens.issue(&claims)?,
            refresh_token,
            expires_in: self.policy.access_ttl,
        })
    }
}
