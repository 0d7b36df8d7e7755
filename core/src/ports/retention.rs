//! Retention (docs/http-api.md §8, "Retention"): what the housekeeping job asks of storage, the
//! deletion of rows that have served their purpose, a bounded batch at a time.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::PortResult;

/// A kind of row that outlives its use, and the moment each row of it ends: rows that ended
/// before a cutoff are the ones a prune deletes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetentionKind {
    /// Outbox events, once published (at `published_at`). Pending and dead-lettered events are
    /// never pruned: they still wait for a delivery or a replay.
    PublishedEvents,
    /// Refresh tokens, once used or expired (the earlier of the two).
    RefreshTokens,
    /// Sessions, once revoked (at `revoked_at`), with whatever refresh tokens they still hold.
    EndedSessions,
    /// Verification and reset tokens, once spent or expired (the earlier of the two).
    AccountTokens,
    /// The records of which handler handled which event (at `handled_at`).
    HandledEvents,
    /// Audit events, by when the change happened (`occurred_at`).
    AuditEvents,
}

impl RetentionKind {
    /// Every kind, in the order the housekeeping job prunes them.
    pub const ALL: [Self; 6] = [
        Self::PublishedEvents,
        Self::RefreshTokens,
        Self::EndedSessions,
        Self::AccountTokens,
        Self::HandledEvents,
        Self::AuditEvents,
    ];

    /// A short stable name, for logs and metrics labels (`outbox`, `refresh_tokens`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::PublishedEvents => "outbox",
            Self::RefreshTokens => "refresh_tokens",
            Self::EndedSessions => "sessions",
            Self::AccountTokens => "account_tokens",
            Self::HandledEvents => "handled_events",
            Self::AuditEvents => "audit_log",
        }
    }
}

/// Deletes rows whose retention has run out.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Retention: Send + Sync {
    /// Deletes up to `limit` rows of `kind` that ended strictly before `before` (see
    /// [`RetentionKind`] for when each kind ends) and returns how many it deleted. Rows that
    /// ended at or after `before`, and rows that have not ended, MUST be left untouched.
    ///
    /// Several callers may prune the same kind at once (one per worker process): each row is
    /// deleted once, a caller MUST NOT wait for rows another caller is deleting, and the
    /// counts returned add up to the rows deleted. A batch is one short transaction, so that
    /// a prune never holds locks for long.
    ///
    /// # Errors
    /// [`super::PortError::Unavailable`] when the store cannot be reached; nothing is deleted
    /// by a failed call.
    async fn prune(
        &self,
        kind: RetentionKind,
        before: OffsetDateTime,
        limit: u64,
    ) -> PortResult<u64>;
}
