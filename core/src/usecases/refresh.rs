//! Refresh: rotate a refresh token, detect reuse, and forgive a duplicate inside the grace
//! window (docs/http-api.md §3).

use std::sync::Arc;

use time::OffsetDateTime;
use tracing::{instrument, warn};

use super::Ports;
use super::tokens::TokenMinter;
use crate::domain::{
    ClientContext, Event, EventData, OpaqueToken, RefreshTokenRecord, Rotation, SessionPolicy,
    TokenDigest, TokenPair, User,
};
use crate::error::BoxError;
use crate::ports::{Clock, OpaqueTokens, RevocationList, SessionRepo, UserRepo};

/// Why a refresh issued no tokens.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The token is unknown or expired, its session is revoked, or its account is disabled.
    #[error("invalid token")]
    InvalidToken,
    /// The token was used before, outside the grace window; its whole session is now revoked.
    #[error("refresh token reused")]
    Reused,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Rotates refresh tokens (docs/http-api.md §3 refresh).
pub struct Refresh {
    users: Arc<dyn UserRepo>,
    sessions: Arc<dyn SessionRepo>,
    secrets: Arc<dyn OpaqueTokens>,
    revocations: Arc<dyn RevocationList>,
    clock: Arc<dyn Clock>,
    minter: TokenMinter,
    policy: SessionPolicy,
}

impl Refresh {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            users: ports.users.clone(),
            sessions: ports.sessions.clone(),
            secrets: ports.secrets.clone(),
            revocations: ports.revocations.clone(),
            clock: ports.clock.clone(),
            minter: TokenMinter::new(ports.tokens.clone(), ports.secrets.clone(), policy),
            policy,
        }
    }

    /// Exchanges a refresh token for a new pair in the same session.
    ///
    /// # Errors
    /// [`RefreshError::InvalidToken`] for an unknown or expired token, a revoked session or a
    /// disabled account;
    /// [`RefreshError::Reused`] for a used token outside the grace window, after revoking its
    /// whole session.
    #[instrument(skip_all, name = "refresh")]
    pub async fn execute(
        &self,
        token: OpaqueToken,
        client: ClientContext,
    ) -> Result<TokenPair, RefreshError> {
        let now = self.clock.now();
        let digest = self.secrets.digest(&token);
        let record = self.live_record(&digest, now).await?;
        let user = self
            .users
            .find_by_id(record.user_id)
            .await?
            // Disabling revoked the sessions; this also refuses one that raced it.
            .filter(|user| !user.disabled)
            .ok_or(RefreshError::InvalidToken)?;
        match record.used_at {
            None => self.rotate(&record, &digest, &user, &client, now).await,
            Some(first_use) => {
                self.presented_again(&record, &user, &client, first_use, now)
                    .await
            }
        }
    }

    /// The token's record, if it is known, unexpired and its session live.
    async fn live_record(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<RefreshTokenRecord, RefreshError> {
        self.sessions
            .find_refresh_token(digest)
            .await?
            .filter(|r| !r.session_revoked && r.expires_at > now)
            .ok_or(RefreshError::InvalidToken)
    }

    async fn rotate(
        &self,
        record: &RefreshTokenRecord,
        digest: &TokenDigest,
        user: &User,
        client: &ClientContext,
        now: OffsetDateTime,
    ) -> Result<TokenPair, RefreshError> {
        let (token, successor) = self.minter.refresh_token(now);
        let rotation = Rotation {
            session_id: record.session_id,
            used: record.id,
            used_at: now,
            successor,
        };
        if self.sessions.rotate(&rotation).await? {
            return Ok(self.minter.pair(user, record.session_id, token, now)?);
        }
        // Between our read and our write a concurrent request used the token (the case the
        // grace window exists for) or a logout revoked its session: read it again to tell which.
        let current = self.live_record(digest, now).await?;
        let first_use = current.used_at.unwrap_or(now);
        self.presented_again(&current, user, client, first_use, now)
            .await
    }

    async fn presented_again(
        &self,
        record: &RefreshTokenRecord,
        user: &User,
        client: &ClientContext,
        first_use: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<TokenPair, RefreshError> {
        let grace = self.policy.reuse_grace;
        if grace.is_positive() && now - first_use <= grace {
            let (token, extra) = self.minter.refresh_token(now);
            if !self
                .sessions
                .add_refresh_token(record.session_id, &extra)
                .await?
            {
                // A logout ended the session meanwhile: no token may be issued in it.
                return Err(RefreshError::InvalidToken);
            }
            return Ok(self.minter.pair(user, record.session_id, token, now)?);
        }
        warn!(user_id = %user.id, session_id = %record.session_id, "refresh token reused; revoking its session");
        let event = Event::new(
            EventData::ReuseDetected {
                session_id: record.session_id,
                ip: client.ip.map(|ip| ip.to_string()),
            },
            Some(user.id),
            now,
        );
        self.sessions
            .revoke(user.id, record.session_id, now, &event)
            .await?;
        self.revocations
            .revoke(&[record.session_id], now + self.policy.access_ttl)
            .await?;
        Err(RefreshError::Reused)
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::domain::{RefreshTokenId, SessionId, TokenDigest};
    use crate::usecases::testkit::{Mocks, NOW, policy, user};

    fn record(used_at: Option<OffsetDateTime>) -> RefreshTokenRecord {
        RefreshTokenRecord {
            id: RefreshTokenId::generate(),
            session_id: SessionId::generate(),
            user_id: user().id,
            expires_at: NOW + Duration::days(1),
            used_at,
            session_revoked: false,
        }
    }

    fn mocks_finding(found: RefreshTokenRecord) -> Mocks {
        let mut mocks = Mocks::new().with_token_minting();
        mocks
            .sessions
            .expect_find_refresh_token()
            .withf(|digest| digest == &TokenDigest::new("digest:presented".into()))
            .returning(move |_| Ok(Some(found.clone())));
        mocks
            .users
            .expect_find_by_id()
            .returning(|_| Ok(Some(user())));
        mocks
    }

    async fn refresh(mocks: Mocks) -> Result<TokenPair, RefreshError> {
        Refresh::new(&mocks.ports(), policy())
            .execute(
                OpaqueToken::new("presented".into()),
                ClientContext::default(),
            )
            .await
    }

    #[tokio::test]
    async fn refresh_rotates_an_unused_token() {
        let found = record(None);
        let used = found.id;
        let mut mocks = mocks_finding(found);
        mocks
            .sessions
            .expect_rotate()
            .withf(move |r| {
                r.used == used
                    && r.used_at == NOW
                    && r.successor.digest.as_str() == "digest:fresh-refresh"
            })
            .times(1)
            .returning(|_| Ok(true));

        let pair = refresh(mocks).await.unwrap();

        assert_eq!(pair.refresh_token.expose(), "fresh-refresh");
    }

    #[tokio::test]
    async fn reused_token_revokes_its_whole_session() {
        let found = record(Some(NOW - Duration::minutes(5)));
        let session = found.session_id;
        let mut mocks = mocks_finding(found);
        mocks
            .sessions
            .expect_revoke()
            .withf(move |_, s, _, e| {
                *s == session && matches!(e.data, EventData::ReuseDetected { .. })
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        mocks
            .revocations
            .expect_revoke()
            .withf(move |s, until| s == [session] && *until == NOW + Duration::minutes(15))
            .times(1)
            .returning(|_, _| Ok(()));

        assert!(matches!(refresh(mocks).await, Err(RefreshError::Reused)));
    }

    #[tokio::test]
    async fn reuse_within_the_grace_window_gets_a_fresh_pair_in_the_same_session() {
        let found = record(Some(NOW - Duration::seconds(3)));
        let session = found.session_id;
        let mut mocks = mocks_finding(found);
        mocks
            .sessions
            .expect_add_refresh_token()
            .withf(move |s, t| *s == session && t.digest.as_str() == "digest:fresh-refresh")
            .times(1)
            .returning(|_, _| Ok(true));

        let pair = refresh(mocks).await.unwrap();

        assert_eq!(pair.refresh_token.expose(), "fresh-refresh");
    }

    #[tokio::test]
    async fn a_duplicate_within_the_grace_window_of_a_session_ended_meanwhile_is_invalid() {
        let mut mocks = mocks_finding(record(Some(NOW - Duration::seconds(3))));
        mocks
            .sessions
            .expect_add_refresh_token()
            .times(1)
            .returning(|_, _| Ok(false));

        assert!(matches!(
            refresh(mocks).await,
            Err(RefreshError::InvalidToken)
        ));
    }

    #[tokio::test]
    async fn losing_a_rotation_race_counts_as_reuse_within_the_grace_window() {
        let mut mocks = mocks_finding(record(None));
        mocks.sessions.expect_rotate().returning(|_| Ok(false));
        mocks
            .sessions
            .expect_add_refresh_token()
            .times(1)
            .returning(|_, _| Ok(true));

        assert!(refresh(mocks).await.is_ok());
    }

    #[tokio::test]
    async fn losing_a_rotation_to_a_logout_is_an_invalid_token_not_a_reuse() {
        let found = record(None);
        let revoked = RefreshTokenRecord {
            session_revoked: true,
            ..found.clone()
        };
        let mut mocks = Mocks::new().with_token_minting();
        let mut reads = vec![revoked, found];
        mocks
            .sessions
            .expect_find_refresh_token()
            .times(2)
            .returning(move |_| Ok(reads.pop()));
        mocks
            .users
            .expect_find_by_id()
            .returning(|_| Ok(Some(user())));
        mocks.sessions.expect_rotate().returning(|_| Ok(false));

        assert!(matches!(
            refresh(mocks).await,
            Err(RefreshError::InvalidToken)
        ));
    }

    #[tokio::test]
    async fn a_zero_grace_window_revokes_even_an_immediate_duplicate() {
        let mut mocks = mocks_finding(record(Some(NOW)));
        mocks
            .sessions
            .expect_revoke()
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        mocks
            .revocations
            .expect_revoke()
            .times(1)
            .returning(|_, _| Ok(()));
        let strict = SessionPolicy {
            reuse_grace: Duration::ZERO,
            ..policy()
        };

        let result = Refresh::new(&mocks.ports(), strict)
            .execute(
                OpaqueToken::new("presented".into()),
                ClientContext::default(),
            )
            .await;

        assert!(matches!(result, Err(RefreshError::Reused)));
    }

    #[tokio::test]
    async fn expired_or_revoked_tokens_are_invalid() {
        for found in [
            RefreshTokenRecord {
                expires_at: NOW,
                ..record(None)
            },
            RefreshTokenRecord {
                session_revoked: true,
                ..record(None)
            },
        ] {
            let mut mocks = Mocks::new().with_token_minting();
            mocks
                .sessions
                .expect_find_refresh_token()
                .returning(move |_| Ok(Some(found.clone())));
            assert!(matches!(
                refresh(mocks).await,
                Err(RefreshError::InvalidToken)
            ));
        }
    }

    #[tokio::test]
    async fn a_disabled_accounts_token_is_invalid_even_in_a_live_session() {
        let mut mocks = Mocks::new().with_token_minting();
        mocks
            .sessions
            .expect_find_refresh_token()
            .returning(|_| Ok(Some(record(None))));
        mocks.users.expect_find_by_id().returning(|_| {
            Ok(Some(User {
                disabled: true,
                ..user()
            }))
        });

        // Nothing is rotated: `sessions.rotate` has no expectation and would panic.
        assert!(matches!(
            refresh(mocks).await,
            Err(RefreshError::InvalidToken)
        ));
    }
}
