//! Logout and logout-all: revoke sessions so that their refresh tokens stop working and their
//! access tokens are rejected at once, everywhere (docs/http-api.md §3).

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::revoker::Revoker;
use crate::domain::{AccessClaims, Event, EventData, OpaqueToken, SessionPolicy};
use crate::ports::{OpaqueTokens, PortResult};

/// Ends the caller's session (docs/http-api.md §3 logout).
pub struct Logout {
    revoker: Revoker,
    secrets: Arc<dyn OpaqueTokens>,
}

impl Logout {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            revoker: Revoker::new(ports, policy),
            secrets: ports.secrets.clone(),
        }
    }

    /// Revokes the session of `caller`'s access token and, if a refresh token of another of the
    /// caller's sessions is given, that session too.
    #[instrument(skip_all, name = "logout", fields(user_id = %caller.user_id))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        refresh: Option<OpaqueToken>,
    ) -> PortResult<()> {
        let r = &self.revoker;
        let now = r.clock.now();
        let mut ended = vec![caller.session_id];
        if let Some(token) = refresh {
            let found = r
                .sessions
                .find_refresh_token(&self.secrets.digest(&token))
                .await?;
            if let Some(record) =
                found.filter(|t| t.user_id == caller.user_id && t.session_id != caller.session_id)
            {
                ended.push(record.session_id);
            }
        }
        let event = Event::new(
            EventData::LoggedOut {
                session_ids: ended.clone(),
                all_sessions: false,
            },
            Some(caller.user_id),
            now,
        );
        for session in &ended {
            r.sessions
                .revoke(caller.user_id, *session, now, &event)
                .await?;
        }
        r.reject_access_tokens(caller.user_id, &ended, now).await
    }
}

/// Ends every session of the caller (docs/http-api.md §3 logout-all).
pub struct LogoutAll {
    revoker: Revoker,
}

impl LogoutAll {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            revoker: Revoker::new(ports, policy),
        }
    }

    /// Revokes all of `caller`'s live sessions, the current one included, and returns how many
    /// were revoked.
    #[instrument(skip_all, name = "logout_all", fields(user_id = %caller.user_id))]
    pub async fn execute(&self, caller: &AccessClaims) -> PortResult<usize> {
        let r = &self.revoker;
        let now = r.clock.now();
        let user = caller.user_id;
        let event = Event::new(
            EventData::LoggedOut {
                session_ids: vec![caller.session_id],
                all_sessions: true,
            },
            Some(user),
            now,
        );
        let mut ended = r.sessions.revoke_all(user, now, &event).await?;
        let revoked = ended.len();
        if !ended.contains(&caller.session_id) {
            // Already revoked in storage, but this instance may not know yet.
            ended.push(caller.session_id);
        }
        r.reject_access_tokens(user, &ended, now).await?;
        Ok(revoked)
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::domain::{RefreshTokenId, RefreshTokenRecord, SessionId, TokenDigest};
    use crate::usecases::testkit::{Mocks, NOW, caller, policy};

    #[tokio::test]
    async fn logout_revokes_the_session_and_drops_the_cached_profile() {
        let caller = caller();
        let (user, session) = (caller.user_id, caller.session_id);
        let mut mocks = Mocks::new();
        mocks
            .sessions
            .expect_revoke()
            .withf(move |u, s, _, e| {
                *u == user && *s == session && matches!(e.data, EventData::LoggedOut { .. })
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        mocks.expect_access_tokens_rejected(vec![session], user);

        Logout::new(&mocks.ports(), policy())
            .execute(&caller, None)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn logout_under_a_short_lifetime_still_rejects_tokens_of_the_longest_configurable_one() {
        let caller = caller();
        let mut mocks = Mocks::new();
        mocks
            .sessions
            .expect_revoke()
            .returning(|_, _, _, _| Ok(true));
        mocks
            .revocations
            .expect_revoke()
            .withf(|_, until| *until >= NOW + SessionPolicy::MAX_ACCESS_TTL)
            .times(1)
            .returning(|_, _| Ok(()));
        mocks.cache.expect_invalidate().returning(|_| Ok(()));
        let lowered = SessionPolicy {
            access_ttl: Duration::seconds(5),
            ..policy()
        };

        Logout::new(&mocks.ports(), lowered)
            .execute(&caller, None)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn logout_with_a_refresh_token_of_another_own_session_ends_both() {
        let caller = caller();
        let other = SessionId::generate();
        let user = caller.user_id;
        let mut mocks = Mocks::new();
        mocks
            .secrets
            .expect_digest()
            .returning(|_| TokenDigest::new("d".into()));
        mocks
            .sessions
            .expect_find_refresh_token()
            .returning(move |_| {
                Ok(Some(RefreshTokenRecord {
                    id: RefreshTokenId::generate(),
                    session_id: other,
                    user_id: user,
                    session_started_at: NOW,
                    expires_at: NOW + Duration::days(1),
                    used_at: None,
                    session_revoked: false,
                    amr: vec![crate::domain::AuthMethod::Pwd],
                }))
            });
        mocks
            .sessions
            .expect_revoke()
            .times(2)
            .returning(|_, _, _, _| Ok(true));
        mocks
            .revocations
            .expect_revoke()
            .withf(move |s, _| s.len() == 2 && s.contains(&other))
            .returning(|_, _| Ok(()));
        mocks.cache.expect_invalidate().returning(|_| Ok(()));

        Logout::new(&mocks.ports(), policy())
            .execute(&caller, Some(OpaqueToken::new("other".into())))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn logout_all_revokes_every_session_and_counts_them() {
        let caller = caller();
        let current = caller.session_id;
        let mut mocks = Mocks::new();
        mocks
            .sessions
            .expect_revoke_all()
            .withf(|_, _, e| {
                matches!(
                    e.data,
                    EventData::LoggedOut {
                        all_sessions: true,
                        ..
                    }
                )
            })
            .times(1)
            .returning(move |_, _, _| Ok(vec![current, SessionId::generate()]));
        mocks
            .revocations
            .expect_revoke()
            .withf(|s, _| s.len() == 2)
            .times(1)
            .returning(|_, _| Ok(()));
        mocks
            .cache
            .expect_invalidate()
            .times(1)
            .returning(|_| Ok(()));

        let revoked = LogoutAll::new(&mocks.ports(), policy())
            .execute(&caller)
            .await
            .unwrap();

        assert_eq!(revoked, 2);
    }
}
