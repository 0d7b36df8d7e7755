//! [`SessionRepo`] in memory: rotation marks a token used only while it is unused and its
//! session live, and stores its successor in the same step, so no token is ever added to a
//! revoked session.

use async_trait::async_trait;
use postern_core::domain::{
    Event, NewRefreshToken, NewSession, RefreshTokenRecord, Rotation, SessionId, SessionSummary,
    TokenDigest, UserId,
};
use postern_core::ports::{PortResult, SessionRepo};
use time::OffsetDateTime;

use super::{MemoryStore, SessionRow, Tables, TokenRow, conflict};

impl Tables {
    /// Stores a refresh token of `session`; a digest or id already stored is a conflict, as the
    /// unique indexes make it in a database.
    fn insert_token(&mut self, session: SessionId, token: &NewRefreshToken) -> PortResult<()> {
        let digest = token.digest.as_str();
        if self.refresh_tokens.contains_key(&token.id)
            || self.refresh_tokens.values().any(|row| row.digest == digest)
        {
            return Err(conflict("duplicate refresh token"));
        }
        self.refresh_tokens.insert(
            token.id,
            TokenRow {
                session_id: session,
                digest: digest.to_owned(),
                expires_at: token.expires_at,
                used_at: None,
            },
        );
        Ok(())
    }

    /// The session `id` if it is not revoked.
    fn live_session(&mut self, id: SessionId) -> Option<&mut SessionRow> {
        self.sessions
            .get_mut(&id)
            .filter(|session| session.revoked_at.is_none())
    }

    /// Revokes `user`'s live sessions that `pick` selects, at `at`, and returns them.
    pub(super) fn revoke_where(
        &mut self,
        user: UserId,
        at: OffsetDateTime,
        pick: impl Fn(SessionId) -> bool,
    ) -> Vec<SessionId> {
        let mut revoked = Vec::new();
        for (id, session) in &mut self.sessions {
            if session.user_id == user && session.revoked_at.is_none() && pick(*id) {
                session.revoked_at = Some(at);
                revoked.push(*id);
            }
        }
        revoked
    }
}

#[async_trait]
impl SessionRepo for MemoryStore {
    async fn start(&self, session: &NewSession, event: &Event) -> PortResult<()> {
        let mut tables = self.lock();
        if tables.sessions.contains_key(&session.id) {
            return Err(conflict("duplicate session id"));
        }
        if !tables.users.contains_key(&session.user_id) {
            return Err(conflict("session of an unknown user"));
        }
        tables.insert_token(session.id, &session.refresh_token)?;
        tables.sessions.insert(
            session.id,
            SessionRow {
                user_id: session.user_id,
                client: session.client.clone(),
                created_at: session.created_at,
                last_used_at: session.created_at,
                revoked_at: None,
                amr: session.amr.clone(),
            },
        );
        tables.write_event(event);
        Ok(())
    }

    async fn find_refresh_token(
        &self,
        digest: &TokenDigest,
    ) -> PortResult<Option<RefreshTokenRecord>> {
        let tables = self.lock();
        let found = tables
            .refresh_tokens
            .iter()
            .find(|(_, token)| token.digest == digest.as_str());
        let Some((id, token)) = found else {
            return Ok(None);
        };
        let session = tables
            .sessions
            .get(&token.session_id)
            .ok_or_else(|| conflict("refresh token without its session"))?;
        Ok(Some(RefreshTokenRecord {
            id: *id,
            session_id: token.session_id,
            user_id: session.user_id,
            session_started_at: session.created_at,
            expires_at: token.expires_at,
            used_at: token.used_at,
            session_revoked: session.revoked_at.is_some(),
            amr: session.amr.clone(),
        }))
    }

    async fn rotate(&self, rotation: &Rotation) -> PortResult<bool> {
        let mut tables = self.lock();
        if tables.live_session(rotation.session_id).is_none() {
            return Ok(false);
        }
        let unused = tables
            .refresh_tokens
            .get(&rotation.used)
            .is_some_and(|token| {
                token.session_id == rotation.session_id && token.used_at.is_none()
            });
        if !unused {
            return Ok(false);
        }
        // Checked before anything changes, so that a conflict leaves the store as it was.
        tables.insert_token(rotation.session_id, &rotation.successor)?;
        if let Some(token) = tables.refresh_tokens.get_mut(&rotation.used) {
            token.used_at = Some(rotation.used_at);
        }
        if let Some(session) = tables.live_session(rotation.session_id) {
            session.last_used_at = rotation.used_at;
        }
        Ok(true)
    }

    async fn revoke(
        &self,
        user: UserId,
        session: SessionId,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<bool> {
        let mut tables = self.lock();
        let revoked = tables.revoke_where(user, at, |id| id == session);
        if revoked.is_empty() {
            return Ok(false);
        }
        tables.write_event(event);
        Ok(true)
    }

    async fn revoke_all(
        &self,
        user: UserId,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Vec<SessionId>> {
        let mut tables = self.lock();
        let revoked = tables.revoke_where(user, at, |_| true);
        tables.write_event(event);
        Ok(revoked)
    }

    async fn revoke_all_except(
        &self,
        user: UserId,
        keep: SessionId,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Vec<SessionId>> {
        let mut tables = self.lock();
        let revoked = tables.revoke_where(user, at, |id| id != keep);
        if !revoked.is_empty() {
            tables.write_event(event);
        }
        Ok(revoked)
    }

    async fn list_live(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> PortResult<Vec<SessionSummary>> {
        let tables = self.lock();
        let unexpired = |session: SessionId| {
            tables
                .refresh_tokens
                .values()
                .any(|token| token.session_id == session && token.expires_at > now)
        };
        let mut live: Vec<SessionSummary> = tables
            .sessions
            .iter()
            .filter(|(id, s)| s.user_id == user && s.revoked_at.is_none() && unexpired(**id))
            .map(|(id, s)| SessionSummary {
                id: *id,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                client: s.client.clone(),
            })
            .collect();
        live.sort_by_key(|s| std::cmp::Reverse((s.last_used_at, s.created_at, s.id)));
        Ok(live)
    }

    async fn is_revoked(&self, session: SessionId) -> PortResult<bool> {
        let tables = self.lock();
        Ok(tables
            .sessions
            .get(&session)
            .is_none_or(|s| s.revoked_at.is_some()))
    }

    async fn revoked_since(&self, since: OffsetDateTime) -> PortResult<Vec<SessionId>> {
        let tables = self.lock();
        Ok(tables
            .sessions
            .iter()
            .filter(|(_, s)| s.revoked_at.is_some_and(|at| at >= since))
            .map(|(id, _)| *id)
            .collect())
    }
}
