//! Refresh: rotate a refresh token to its successor, answer a duplicate inside the grace window
//! with that same successor, and detect reuse (docs/http-api.md §3).

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
use crate::ports::{Clock, OpaqueTokens, RevocationList, SessionRepo, SuccessorTokens, UserRepo};

/// Why a refresh issued no tokens.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The token is unknown or expired, its session is revoked or past its maximum lifetime, or
    /// its account is disabled.
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
///
/// A token's successor is derived from the token ([`SuccessorTokens`]), so every presentation
/// of one token names the same successor: the first rotation stores it, and a duplicate within
/// the grace window is answered with it rather than with a token of its own. A session is thus
/// one chain of tokens, each used at most once outside the window, and presenting any used
/// token of the chain after the window revokes the session.
pub struct Refresh {
    users: Arc<dyn UserRepo>,
    sessions: Arc<dyn SessionRepo>,
    secrets: Arc<dyn OpaqueTokens>,
    successors: Arc<dyn SuccessorTokens>,
    revocations: Arc<dyn RevocationList>,
    clock: Arc<dyn Clock>,
    minter: TokenMinter,
    policy: SessionPolicy,
}

/// A presented token, its stored record and the successor derived from it.
struct Presented {
    record: RefreshTokenRecord,
    digest: TokenDigest,
    successor: OpaqueToken,
}

impl Refresh {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            users: ports.users.clone(),
            sessions: ports.sessions.clone(),
            secrets: ports.secrets.clone(),
            successors: ports.successors.clone(),
            revocations: ports.revocations.clone(),
            clock: ports.clock.clone(),
            minter: TokenMinter::new(ports.tokens.clone(), ports.secrets.clone(), policy),
            policy,
        }
    }

    /// Exchanges a refresh token for a new pair in the same session.
    ///
    /// # Errors
    /// [`RefreshError::InvalidToken`] for an unknown or expired token, a revoked session, a
    /// session past its maximum lifetime or a disabled account;
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
        let presented = Presented {
            successor: self.successors.successor(&token),
            record,
            digest,
        };
        match presented.record.used_at {
            None => self.rotate(presented, &user, &client, now).await,
            Some(first_use) => {
                self.presented_again(&presented, &user, &client, first_use, now)
                    .await
            }
        }
    }

    /// The token's record, if it is known and unexpired, and its session live and within its
    /// maximum lifetime (checked here too, for tokens issued before a shorter lifetime was
    /// configured).
    async fn live_record(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> Result<RefreshTokenRecord, RefreshError> {
        self.sessions
            .find_refresh_token(digest)
            .await?
            .filter(|r| {
                !r.session_revoked
                    && r.expires_at > now
                    && self.policy.session_end(r.session_started_at) > now
            })
            .ok_or(RefreshError::InvalidToken)
    }

    async fn rotate(
        &self,
        presented: Presented,
        user: &User,
        client: &ClientContext,
        now: OffsetDateTime,
    ) -> Result<TokenPair, RefreshError> {
        let record = &presented.record;
        let rotation = Rotation {
            session_id: record.session_id,
            used: record.id,
            used_at: now,
            successor: self
                .minter
                .record_of(&presented.successor, record.session_started_at, now),
        };
        if self.sessions.rotate(&rotation).await? {
            return Ok(self.minter.pair(
                user,
                record.session_id,
                &record.amr,
                presented.successor,
                now,
            )?);
        }
        // Between our read and our write a concurrent request used the token (the case the
        // grace window exists for) or a logout revoked its session: read it again to tell which.
        let current = Presented {
            record: self.live_record(&presented.digest, now).await?,
            ..presented
        };
        let first_use = current.record.used_at.unwrap_or(now);
        self.presented_again(&current, user, client, first_use, now)
            .await
    }

    async fn presented_again(
        &self,
        presented: &Presented,
        user: &User,
        client: &ClientContext,
        first_use: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<TokenPair, RefreshError> {
        let grace = self.policy.reuse_grace;
        if grace.is_positive() && now - first_use <= grace {
            return self.stored_successor(presented, user, now).await;
        }
        let session_id = presented.record.session_id;
        warn!(user_id = %user.id, session_id = %session_id, "refresh token reused; revoking its session");
        let event = Event::new(
            EventData::ReuseDetected {
                session_id,
                ip: client.ip.map(|ip| ip.to_string()),
            },
            Some(user.id),
            now,
        );
        self.sessions
            .revoke(user.id, session_id, now, &event)
            .await?;
        self.revocations
            .revoke(&[session_id], now + self.policy.access_ttl)
            .await?;
        Err(RefreshError::Reused)
    }

    /// The grace-window answer: the successor the token's rotation stored, with a fresh access
    /// token, and nothing stored, so the session stays one chain. The successor must still be
    /// live in the same session: a logout since the rotation ended it, and a successor derived
    /// under another key (a signing key replaced within the window) is not there to hand out.
    async fn stored_successor(
        &self,
        presented: &Presented,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<TokenPair, RefreshError> {
        let session_id = presented.record.session_id;
        let stored = self
            .live_record(&self.secrets.digest(&presented.successor), now)
            .await?;
        if stored.session_id != session_id {
            return Err(RefreshError::InvalidToken);
        }
        Ok(self.minter.pair(
            user,
            session_id,
            &presented.record.amr,
            presented.successor.clone(),
            now,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::domain::{RefreshTokenId, SessionId, TokenDigest};
    use crate::usecases::testkit::{Mocks, NOW, policy, user};

    /// The digest of the presented token and of its successor, as the test kit makes them.
    const PRESENTED: &str = "digest:presented";
    const SUCCESSOR: &str = "digest:next:presented";

    fn record(used_at: Option<OffsetDateTime>) -> RefreshTokenRecord {
        RefreshTokenRecord {
            id: RefreshTokenId::generate(),
            session_id: SessionId::generate(),
            user_id: user().id,
            session_started_at: NOW - Duration::days(1),
            expires_at: NOW + Duration::days(1),
            used_at,
            session_revoked: false,
            amr: vec![crate::domain::AuthMethod::Pwd],
        }
    }

    /// The successor of `presented` as its rotation stored it, unused.
    fn successor_of(presented: &RefreshTokenRecord) -> RefreshTokenRecord {
        RefreshTokenRecord {
            id: RefreshTokenId::generate(),
            used_at: None,
            ..presented.clone()
        }
    }

    fn mocks_finding(found: RefreshTokenRecord) -> Mocks {
        let mut mocks = Mocks::new().with_token_minting();
        mocks
            .sessions
            .expect_find_refresh_token()
            .withf(|digest| digest == &TokenDigest::new(PRESENTED.into()))
            .returning(move |_| Ok(Some(found.clone())));
        mocks
            .users
            .expect_find_by_id()
            .returning(|_| Ok(Some(user())));
        mocks
    }

    /// Also finds `stored` under the successor's digest, `times` times.
    fn finding_the_successor(mocks: &mut Mocks, stored: RefreshTokenRecord, times: usize) {
        mocks
            .sessions
            .expect_find_refresh_token()
            .withf(|digest| digest == &TokenDigest::new(SUCCESSOR.into()))
            .times(times)
            .returning(move |_| Ok(Some(stored.clone())));
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
    async fn refresh_rotates_an_unused_token_to_its_derived_successor() {
        let found = record(None);
        let used = found.id;
        let mut mocks = mocks_finding(found);
        mocks
            .sessions
            .expect_rotate()
            .withf(move |r| {
                r.used == used
                    && r.used_at == NOW
                    && r.successor.digest.as_str() == SUCCESSOR
                    && r.successor.expires_at == NOW + Duration::days(7)
            })
            .times(1)
            .returning(|_| Ok(true));

        let pair = refresh(mocks).await.unwrap();

        assert_eq!(pair.refresh_token.expose(), "next:presented");
    }

    #[tokio::test]
    async fn a_successor_never_outlives_its_sessions_maximum_lifetime() {
        let found = RefreshTokenRecord {
            session_started_at: NOW - Duration::days(29),
            ..record(None)
        };
        let mut mocks = mocks_finding(found);
        mocks
            .sessions
            .expect_rotate()
            .withf(|r| r.successor.expires_at == NOW + Duration::days(1))
            .times(1)
            .returning(|_| Ok(true));

        assert!(refresh(mocks).await.is_ok());
    }

    #[tokio::test]
    async fn a_session_past_its_maximum_lifetime_is_invalid_even_with_an_unexpired_token() {
        let found = RefreshTokenRecord {
            session_started_at: NOW - Duration::days(30),
            expires_at: NOW + Duration::days(6),
            ..record(None)
        };
        // Nothing is rotated: `sessions.rotate` has no expectation and would panic.
        let mocks = mocks_finding(found);

        assert!(matches!(
            refresh(mocks).await,
            Err(RefreshError::InvalidToken)
        ));
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
    async fn reuse_within_the_grace_window_gets_the_stored_successor_and_stores_nothing() {
        let found = record(Some(NOW - Duration::seconds(3)));
        let mut mocks = mocks_finding(found.clone());
        finding_the_successor(&mut mocks, successor_of(&found), 1);

        // Nothing is stored: `sessions.rotate` has no expectation and would panic.
        let pair = refresh(mocks).await.unwrap();

        assert_eq!(pair.refresh_token.expose(), "next:presented");
    }

    #[tokio::test]
    async fn a_duplicate_within_the_grace_window_of_a_session_ended_meanwhile_is_invalid() {
        let found = record(Some(NOW - Duration::seconds(3)));
        let mut mocks = mocks_finding(found.clone());
        let ended = RefreshTokenRecord {
            session_revoked: true,
            amr: vec![crate::domain::AuthMethod::Pwd],
            ..successor_of(&found)
        };
        finding_the_successor(&mut mocks, ended, 1);

        assert!(matches!(
            refresh(mocks).await,
            Err(RefreshError::InvalidToken)
        ));
    }

    #[tokio::test]
    async fn a_duplicate_whose_successor_lies_in_another_session_is_invalid() {
        let found = record(Some(NOW - Duration::seconds(3)));
        let mut mocks = mocks_finding(found.clone());
        let elsewhere = RefreshTokenRecord {
            session_id: SessionId::generate(),
            ..successor_of(&found)
        };
        finding_the_successor(&mut mocks, elsewhere, 1);

        assert!(matches!(
            refresh(mocks).await,
            Err(RefreshError::InvalidToken)
        ));
    }

    #[tokio::test]
    async fn losing_a_rotation_race_gets_the_winners_successor() {
        let found = record(None);
        let used = RefreshTokenRecord {
            used_at: Some(NOW),
            ..found.clone()
        };
        let mut mocks = Mocks::new().with_token_minting();
        let mut reads = vec![used, found.clone()];
        mocks
            .sessions
            .expect_find_refresh_token()
            .withf(|digest| digest == &TokenDigest::new(PRESENTED.into()))
            .times(2)
            .returning(move |_| Ok(reads.pop()));
        finding_the_successor(&mut mocks, successor_of(&found), 1);
        mocks
            .users
            .expect_find_by_id()
            .returning(|_| Ok(Some(user())));
        mocks.sessions.expect_rotate().returning(|_| Ok(false));

        let pair = refresh(mocks).await.unwrap();

        assert_eq!(pair.refresh_token.expose(), "next:presented");
    }

    #[tokio::test]
    async fn losing_a_rotation_to_a_logout_is_an_invalid_token_not_a_reuse() {
        let found = record(None);
        let revoked = RefreshTokenRecord {
            session_revoked: true,
            amr: vec![crate::domain::AuthMethod::Pwd],
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
                amr: vec![crate::domain::AuthMethod::Pwd],
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
