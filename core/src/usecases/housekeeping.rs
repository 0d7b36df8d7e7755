//! Housekeeping (docs/http-api.md §8, "Retention"): delete what has served its purpose once its
//! retention period has run out, a bounded batch of each kind at a time. A background loop in
//! every worker process calls it until nothing is left, then waits; tests call it directly.
//! Several processes may run it at once: the [`Retention`] port guarantees each row is deleted
//! once and that no caller waits on another.

use std::sync::Arc;

use time::Duration;
use tracing::debug;

use crate::ports::{Clock, PortResult, Retention, RetentionKind};

/// How long each kind of row is kept after it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Published outbox events.
    pub published_events: Duration,
    /// Used or expired refresh tokens, and ended sessions.
    pub sessions: Duration,
    /// Spent or expired verification and reset tokens.
    pub account_tokens: Duration,
    /// Records of handled events.
    pub handled_events: Duration,
    /// Audit events.
    pub audit_events: Duration,
}

impl Default for RetentionPolicy {
    /// The periods of docs/http-api.md §8: 7 days for published events and account tokens,
    /// 30 days for sessions, refresh tokens and handled events, 365 days for audit events.
    fn default() -> Self {
        Self {
            published_events: Duration::days(7),
            sessions: Duration::days(30),
            account_tokens: Duration::days(7),
            handled_events: Duration::days(30),
            audit_events: Duration::days(365),
        }
    }
}

impl RetentionPolicy {
    /// How long rows of `kind` are kept after they ended.
    pub fn period(&self, kind: RetentionKind) -> Duration {
        match kind {
            RetentionKind::PublishedEvents => self.published_events,
            RetentionKind::RefreshTokens | RetentionKind::EndedSessions => self.sessions,
            RetentionKind::AccountTokens => self.account_tokens,
            RetentionKind::HandledEvents => self.handled_events,
            RetentionKind::AuditEvents => self.audit_events,
        }
    }
}

/// What one round of pruning deleted, per kind, in the order of [`RetentionKind::ALL`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Rows deleted, per kind.
    pub pruned: Vec<(RetentionKind, u64)>,
    /// Whether some kind filled its batch, so that more rows may be due now.
    pub more_due: bool,
}

impl PruneReport {
    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.pruned.iter().map(|(_, count)| count).sum()
    }
}

/// Prunes every kind of row under a [`RetentionPolicy`].
pub struct Housekeeping {
    retention: Arc<dyn Retention>,
    clock: Arc<dyn Clock>,
    policy: RetentionPolicy,
    batch_size: u64,
}

impl Housekeeping {
    /// Prunes through `retention` what `policy` no longer keeps at `clock`'s time, at most
    /// `batch_size` rows of each kind per round (0 counts as 1).
    pub fn new(
        retention: Arc<dyn Retention>,
        clock: Arc<dyn Clock>,
        policy: RetentionPolicy,
        batch_size: u64,
    ) -> Self {
        Self {
            retention,
            clock,
            policy,
            batch_size: batch_size.max(1),
        }
    }

    /// One round: deletes up to a batch of each kind whose retention ran out, every kind
    /// measured from the same moment, so one round never sees two different "nows".
    ///
    /// # Errors
    /// The first failure of the port; the kinds before it stay pruned, the rest wait for the
    /// next round.
    pub async fn prune_round(&self) -> PortResult<PruneReport> {
        let now = self.clock.now();
        let mut report = PruneReport::default();
        for kind in RetentionKind::ALL {
            let before = now - self.policy.period(kind);
            let count = self.retention.prune(kind, before, self.batch_size).await?;
            if count > 0 {
                debug!(
                    kind = kind.name(),
                    count, "pruned rows past their retention"
                );
            }
            report.more_due |= count >= self.batch_size;
            report.pruned.push((kind, count));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;
    use time::macros::datetime;

    use super::*;
    use crate::ports::{MockClock, MockRetention, PortError};

    const NOW: time::OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

    fn clock() -> Arc<dyn Clock> {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        Arc::new(clock)
    }

    fn policy() -> RetentionPolicy {
        RetentionPolicy {
            published_events: Duration::days(1),
            sessions: Duration::days(2),
            account_tokens: Duration::days(3),
            handled_events: Duration::days(4),
            audit_events: Duration::days(5),
        }
    }

    #[tokio::test]
    async fn each_kind_is_pruned_before_now_minus_its_own_period_in_batches() {
        let mut retention = MockRetention::new();
        let cutoffs = [
            (RetentionKind::PublishedEvents, 1),
            (RetentionKind::RefreshTokens, 2),
            (RetentionKind::EndedSessions, 2),
            (RetentionKind::AccountTokens, 3),
            (RetentionKind::HandledEvents, 4),
            (RetentionKind::AuditEvents, 5),
        ];
        for (kind, days) in cutoffs {
            retention
                .expect_prune()
                .with(eq(kind), eq(NOW - Duration::days(days)), eq(50))
                .times(1)
                .returning(|_, _, _| Ok(7));
        }
        let housekeeping = Housekeeping::new(Arc::new(retention), clock(), policy(), 50);

        let report = housekeeping.prune_round().await.unwrap();

        assert_eq!(report.total(), 42);
        assert_eq!(
            report.pruned,
            RetentionKind::ALL.map(|kind| (kind, 7)).to_vec()
        );
        assert!(!report.more_due);
    }

    #[tokio::test]
    async fn a_full_batch_of_any_kind_says_more_is_due() {
        let mut retention = MockRetention::new();
        retention.expect_prune().returning(|kind, _, limit| {
            Ok(if kind == RetentionKind::HandledEvents {
                limit
            } else {
                0
            })
        });
        let housekeeping = Housekeeping::new(Arc::new(retention), clock(), policy(), 10);

        let report = housekeeping.prune_round().await.unwrap();

        assert!(report.more_due);
        assert_eq!(report.total(), 10);
    }

    #[tokio::test]
    async fn a_failure_stops_the_round_at_its_kind() {
        let mut retention = MockRetention::new();
        retention
            .expect_prune()
            .with(
                eq(RetentionKind::PublishedEvents),
                mockall::predicate::always(),
                eq(1),
            )
            .times(1)
            .returning(|_, _, _| Err(PortError::unavailable("db down")));
        let housekeeping = Housekeeping::new(Arc::new(retention), clock(), policy(), 0);

        let outcome = tokio::spawn(async move { housekeeping.prune_round().await })
            .await
            .unwrap();

        assert!(matches!(outcome, Err(PortError::Unavailable(_))));
    }

    #[test]
    fn the_default_periods_are_the_documented_ones() {
        let policy = RetentionPolicy::default();

        assert_eq!(
            policy.period(RetentionKind::PublishedEvents),
            Duration::days(7)
        );
        assert_eq!(
            policy.period(RetentionKind::RefreshTokens),
            Duration::days(30)
        );
        assert_eq!(
            policy.period(RetentionKind::EndedSessions),
            Duration::days(30)
        );
        assert_eq!(
            policy.period(RetentionKind::AccountTokens),
            Duration::days(7)
        );
        assert_eq!(
            policy.period(RetentionKind::HandledEvents),
            Duration::days(30)
        );
        assert_eq!(
            policy.period(RetentionKind::AuditEvents),
            Duration::days(365)
        );
    }
}
