//! The caller's own sessions (docs/http-api.md §4): list the live ones, and revoke one of them.
//! Revoking is a logout of that session, with the same guarantees: its refresh token stops working
//! and its access tokens are rejected at once, everywhere.

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::revoker::Revoker;
use crate::domain::{
    AccessClaims, Event, EventData, SessionId, SessionPolicy, SessionSummary, UserId,
};
use crate::error::BoxError;
use crate::ports::{Clock, PortResult, SessionRepo};

/// Lists the caller's live sessions (docs/http-api.md §4).
pub struct ListSessions {
    sessions: Arc<dyn SessionRepo>,
    clock: Arc<dyn Clock>,
}

impl ListSessions {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports) -> Self {
        Self {
            sessions: ports.sessions.clone(),
            clock: ports.clock.clone(),
        }
    }

    /// `user`'s sessions that are neither revoked nor expired, most recently used first (see
    /// [`SessionRepo::list_live`]).
    #[instrument(skip_all, name = "list_sessions", fields(user_id = %user))]
    pub async fn execute(&self, user: UserId) -> PortResult<Vec<SessionSummary>> {
        self.sessions.list_live(user, self.clock.now()).await
    }
}

/// Why a session was not revoked.
#[derive(Debug, thiserror::Error)]
pub enum RevokeSessionError {
    /// No live session of the caller has this id: unknown, another user's, revoked or expired,
    /// indistinguishably.
    #[error("no such session")]
    NotFound,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Revokes one of the caller's sessions (docs/http-api.md §4), the current one included.
pub struct RevokeSession {
    revoker: Revoker,
}

impl RevokeSession {
    /// Builds the use case from its ports.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            revoker: Revoker::new(ports, policy),
        }
    }

    /// Revokes `session` if it is one of `caller`'s live sessions, writing a `user.logged_out`
    /// event for it.
    ///
    /// # Errors
    /// [`RevokeSessionError::NotFound`] when it is not: unknown, another user's, revoked or
    /// expired. The four
    /// are indistinguishable, so that nobody learns which session ids exist.
    #[instrument(skip_all, name = "revoke_session", fields(user_id = %caller.user_id, session_id = %session))]
    pub async fn execute(
        &self,
        caller: &AccessClaims,
        session: SessionId,
    ) -> Result<(), RevokeSessionError> {
        let r = &self.revoker;
        let now = r.clock.now();
        let user = caller.user_id;
        // Only live sessions may be revoked here: revoke() alone would also end an expired one.
        let live = r.sessions.list_live(user, now).await?;
        if !live.iter().any(|s| s.id == session) {
            return Err(RevokeSessionError::NotFound);
        }
        let event = Event::new(
            EventData::LoggedOut {
                session_ids: vec![session],
                all_sessions: false,
            },
            Some(user),
            now,
        );
        if !r.sessions.revoke(user, session, now, &event).await? {
            // Revoked since it was listed: whoever did it also rejected its access tokens.
            return Err(RevokeSessionError::NotFound);
        }
        Ok(r.reject_access_tokens(user, &[session], now).await?)
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::domain::ClientContext;
    use crate::usecases::testkit::{Mocks, NOW, caller, policy};

    fn summary(id: SessionId) -> SessionSummary {
        SessionSummary {
            id,
            created_at: NOW - Duration::hours(1),
            last_used_at: NOW - Duration::minutes(5),
            client: ClientContext::default(),
        }
    }

    /// Mocks whose session store lists `live` as the caller's live sessions at [`NOW`].
    fn listing(user: UserId, live: Vec<SessionId>) -> Mocks {
        let mut mocks = Mocks::new();
        mocks
            .sessions
            .expect_list_live()
            .withf(move |u, at| *u == user && *at == NOW)
            .times(1)
            .returning(move |_, _| Ok(live.iter().copied().map(summary).collect()));
        mocks
    }

    #[tokio::test]
    async fn list_sessions_returns_the_users_live_sessions_now() {
        let caller = caller();
        let live = vec![caller.session_id, SessionId::generate()];
        let mocks = listing(caller.user_id, live.clone());

        let listed = ListSessions::new(&mocks.ports())
            .execute(caller.user_id)
            .await
            .unwrap();

        assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), live);
    }

    #[tokio::test]
    async fn revoking_an_own_session_revokes_it_rejects_its_tokens_and_drops_the_cache() {
        let caller = caller();
        let user = caller.user_id;
        let other = SessionId::generate();
        let mut mocks = listing(user, vec![caller.session_id, other]);
        mocks
            .sessions
            .expect_revoke()
            .withf(move |u, s, at, e| {
                *u == user
                    && *s == other
                    && *at == NOW
                    && e.user_id == Some(user.as_uuid())
                    && matches!(
                        &e.data,
                        EventData::LoggedOut { session_ids, all_sessions: false }
                            if *session_ids == [other]
                    )
            })
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        mocks.expect_access_tokens_rejected(vec![other], user);
        let revoke = RevokeSession::new(&mocks.ports(), policy());

        // Under spawn, which proves the future is Send.
        tokio::spawn(async move { revoke.execute(&caller, other).await })
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn revoking_the_current_session_is_allowed() {
        let caller = caller();
        let current = caller.session_id;
        let mut mocks = listing(caller.user_id, vec![current]);
        mocks
            .sessions
            .expect_revoke()
            .withf(move |_, s, _, _| *s == current)
            .times(1)
            .returning(|_, _, _, _| Ok(true));
        mocks
            .revocations
            .expect_revoke()
            .withf(move |s, _| s == [current])
            .times(1)
            .returning(|_, _| Ok(()));
        mocks
            .cache
            .expect_invalidate()
            .times(1)
            .returning(|_| Ok(()));

        RevokeSession::new(&mocks.ports(), policy())
            .execute(&caller, current)
            .await
            .unwrap();
    }

    /// Revoking `target`, which is not among the caller's live sessions, touches nothing: an
    /// unexpected call to revoke, the revocation list or the cache would panic.
    async fn assert_not_found(target: SessionId) {
        let caller = caller();
        let mocks = listing(caller.user_id, vec![caller.session_id]);

        let result = RevokeSession::new(&mocks.ports(), policy())
            .execute(&caller, target)
            .await;

        assert!(
            matches!(result, Err(RevokeSessionError::NotFound)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn revoking_another_users_session_is_not_found_and_revokes_nothing() {
        // Another user's live session is never in the caller's list.
        assert_not_found(caller().session_id).await;
    }

    #[tokio::test]
    async fn revoking_an_unknown_session_is_not_found_and_revokes_nothing() {
        assert_not_found(SessionId::generate()).await;
    }

    #[tokio::test]
    async fn a_session_revoked_since_it_was_listed_is_not_found() {
        let caller = caller();
        let other = SessionId::generate();
        let mut mocks = listing(caller.user_id, vec![caller.session_id, other]);
        mocks
            .sessions
            .expect_revoke()
            .times(1)
            .returning(|_, _, _, _| Ok(false));

        let result = RevokeSession::new(&mocks.ports(), policy())
            .execute(&caller, other)
            .await;

        assert!(
            matches!(result, Err(RevokeSessionError::NotFound)),
            "{result:?}"
        );
    }
}
