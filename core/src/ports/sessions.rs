//! The session store port: sessions and their refresh tokens, with the rotation and
//! revocation rules of docs/http-api.md §3 settled atomically by the adapter.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::PortResult;
use crate::domain::{
    Event, NewSession, RefreshTokenRecord, Rotation, SessionId, SessionSummary, TokenDigest, UserId,
};

/// Stores sessions and their refresh tokens (one row per token, grouped by session, so that a
/// reused token can revoke its whole session). Methods that take an event write it in the same
/// transaction as the change.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepo: Send + Sync {
    /// Starts a session with its first refresh token, and writes its `user.logged_in` event.
    async fn start(&self, session: &NewSession, event: &Event) -> PortResult<()>;

    /// Finds a refresh token by the digest of the token a client presented, whether used,
    /// expired or in a revoked session: the record says which, and the caller decides.
    ///
    /// # Errors
    /// An unknown digest is `Ok(None)`, not an error.
    async fn find_refresh_token(
        &self,
        digest: &TokenDigest,
    ) -> PortResult<Option<RefreshTokenRecord>>;

    /// Marks `rotation.used` as used and stores its successor, atomically, and returns whether
    /// it did.
    ///
    /// MUST return `Ok(false)`, and store nothing, when the token was already marked used (a
    /// concurrent refresh won the race) or its session is revoked (a logout won the race); the
    /// caller then applies the reuse rules, which answer with the successor the winner stored,
    /// found by its digest, and never with a token of a revoked session.
    ///
    /// # Errors
    /// Only when the store fails; the outcomes above are not errors.
    async fn rotate(&self, rotation: &Rotation) -> PortResult<bool>;

    /// Revokes one of `user`'s sessions and, only if that changed anything, writes the event.
    /// Returns whether a live session was revoked (`false` when it was already revoked or is not
    /// the user's). One event may be passed to several calls (a logout that ends two sessions):
    /// it is written once.
    async fn revoke(
        &self,
        user: UserId,
        session: SessionId,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<bool>;

    /// Revokes every live session of `user` and writes the event. Returns the sessions revoked.
    async fn revoke_all(
        &self,
        user: UserId,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Vec<SessionId>>;

    /// Revokes every live session of `user` but `keep` (the session of the request, after a
    /// password change) and returns the sessions revoked. Like [`Self::revoke`], it writes the
    /// event only if that changed anything, in the same transaction.
    async fn revoke_all_except(
        &self,
        user: UserId,
        keep: SessionId,
        at: OffsetDateTime,
        event: &Event,
    ) -> PortResult<Vec<SessionId>>;

    /// `user`'s live sessions at `now`, most recently used first (then most recently started,
    /// then by id, so that the order is total).
    ///
    /// A session is live when it is not revoked and at least one of its refresh tokens expires
    /// after `now` (its newest token's expiry is the session's): an expired session can no
    /// longer be refreshed, so it is over although nobody revoked it.
    async fn list_live(&self, user: UserId, now: OffsetDateTime)
    -> PortResult<Vec<SessionSummary>>;

    /// Whether `session` is revoked, read from the store itself: what answers for the
    /// revocation list while the list is unreachable.
    ///
    /// # Errors
    /// Only when the store fails. An unknown session is `Ok(true)`: no live session vouches for
    /// tokens that name it.
    async fn is_revoked(&self, session: SessionId) -> PortResult<bool>;

    /// Sessions revoked at or after `since`: what a fresh revocation list must be seeded with so
    /// that access tokens of sessions ended before a restart stay rejected.
    async fn revoked_since(&self, since: OffsetDateTime) -> PortResult<Vec<SessionId>>;
}
