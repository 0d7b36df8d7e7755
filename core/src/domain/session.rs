//! Sessions: one per login, holding the chain of refresh tokens rotated from it.

use std::net::IpAddr;

use time::{Duration, OffsetDateTime};

use super::{RefreshTokenId, SessionId, TokenDigest, UserId};

/// Lifetimes and the reuse grace window (docs/http-api.md §2, docs/http-api.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    /// How long an access token is valid (`JWT_EXPIRES_IN`, 15 min by default).
    pub access_ttl: Duration,
    /// How long a refresh token is valid (`JWT_REFRESH_EXPIRES_IN`, 7 days by default), within
    /// its session's `max_lifetime`.
    pub refresh_ttl: Duration,
    /// How long a session lives from its login, however often it is refreshed
    /// (`SESSION_MAX_LIFETIME`, 30 days by default): no refresh token outlives it.
    pub max_lifetime: Duration,
    /// How long after its first use a refresh token may be presented again and still get its
    /// successor (the one its first use got) instead of revoking the session
    /// (`REFRESH_REUSE_GRACE`, 10 s; zero disables).
    pub reuse_grace: Duration,
}

impl SessionPolicy {
    /// When a refresh token issued `now` in a session started at `session_started_at` stops
    /// being accepted: `refresh_ttl` from now, but never past the session's `max_lifetime`.
    pub fn refresh_expiry(
        &self,
        session_started_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> OffsetDateTime {
        (now + self.refresh_ttl).min(self.session_end(session_started_at))
    }

    /// When a session started at `session_started_at` ends, refreshed or not.
    pub fn session_end(&self, session_started_at: OffsetDateTime) -> OffsetDateTime {
        session_started_at + self.max_lifetime
    }

    /// The longest access-token lifetime (`JWT_EXPIRES_IN`) a deployment may configure.
    pub const MAX_ACCESS_TTL: Duration = Duration::hours(24);

    /// How long a revoked session's access tokens stay rejected: until every token it could
    /// hold has expired, under any lifetime the service was or will be configured with, not
    /// only the current one (revoking for the current lifetime would let a token issued under
    /// a longer one, before the lifetime was lowered, work again once the revocation lapses).
    /// A token lives at most the longer of [`Self::MAX_ACCESS_TTL`] and this policy's lifetime
    /// from its `iat`, which may lie
    /// [`AccessClaims::ISSUED_AT_LEEWAY`](super::AccessClaims::ISSUED_AT_LEEWAY) ahead of the
    /// clock, plus the second that whole-second claims may round up.
    pub fn revocation_lifetime(&self) -> Duration {
        self.access_ttl.max(Self::MAX_ACCESS_TTL)
            + super::AccessClaims::ISSUED_AT_LEEWAY
            + Duration::SECOND
    }
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            access_ttl: Duration::minutes(15),
            refresh_ttl: Duration::days(7),
            max_lifetime: Duration::days(30),
            reuse_grace: Duration::seconds(10),
        }
    }
}

/// Where a request came from, recorded on the sessions it starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientContext {
    /// The client's address (docs/http-api.md §1: the peer, or `X-Forwarded-For` from a trusted
    /// proxy).
    pub ip: Option<IpAddr>,
    /// The `User-Agent` header, truncated.
    pub user_agent: Option<String>,
}

/// A refresh token to store: only its digest and expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRefreshToken {
    /// The token row's identifier.
    pub id: RefreshTokenId,
    /// The SHA-256 digest of the token handed to the client.
    pub digest: TokenDigest,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
}

/// A session to start at login, with its first refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    /// The session's identifier, also the `sid` claim of its access tokens.
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// Where the login came from.
    pub client: ClientContext,
    /// When it started.
    pub created_at: OffsetDateTime,
    /// The first refresh token.
    pub refresh_token: NewRefreshToken,
    /// How its login authenticated the user; every access token of it says so.
    pub amr: Vec<super::AuthMethod>,
}

/// A stored refresh token, found by its digest, with what refresh needs to judge it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    /// The token row.
    pub id: RefreshTokenId,
    /// The session it belongs to.
    pub session_id: SessionId,
    /// The session's user.
    pub user_id: UserId,
    /// When its session started (the login), from which the session's lifetime counts.
    pub session_started_at: OffsetDateTime,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
    /// When it was first exchanged, if it has been.
    pub used_at: Option<OffsetDateTime>,
    /// Whether its session has been revoked (logout, reuse, disable).
    pub session_revoked: bool,
    /// How its session's login authenticated the user.
    pub amr: Vec<super::AuthMethod>,
}

/// Marks a refresh token used and stores its successor, in one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// The session both tokens belong to.
    pub session_id: SessionId,
    /// The token being exchanged.
    pub used: RefreshTokenId,
    /// When it was exchanged; also the session's `lastUsedAt`.
    pub used_at: OffsetDateTime,
    /// Its successor.
    pub successor: NewRefreshToken,
}

/// A live session as its owner sees it in their list of sign-ins (docs/http-api.md §4): when and
/// where it started and when it was last used, and no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSummary {
    /// The session's identifier, also the `sid` claim of its access tokens.
    pub id: SessionId,
    /// When it started (the login).
    pub created_at: OffsetDateTime,
    /// When it was last used: its latest refresh, or its start if it has not been refreshed.
    pub last_used_at: OffsetDateTime,
    /// Where the login came from.
    pub client: ClientContext,
}
