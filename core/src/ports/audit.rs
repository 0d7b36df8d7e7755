//! Reading the audit log (docs/http-api.md §5): what the audit handler recorded of delivered
//! events.

use async_trait::async_trait;

use super::PortResult;
use crate::domain::{AuditQuery, AuditRecord};

/// Reads the audit log.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditTrail: Send + Sync {
    /// Records matching `query`, newest first: by `occurred_at` descending, then by event id
    /// descending, strictly after `query.page.after` in that order. Returns at most
    /// `query.page.limit + 1` records, so that the caller can tell whether a next page exists.
    async fn list(&self, query: &AuditQuery) -> PortResult<Vec<AuditRecord>>;
}
