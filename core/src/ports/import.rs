//! Importing accounts from another system: where the rows come from, and where they go.

use async_trait::async_trait;
use uuid::Uuid;

use super::PortResult;
use crate::domain::{ImportOutcome, ImportedUser, SourceUser};

/// Reads user rows from a source system, in batches ordered by id.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserSource: Send + Sync {
    /// Up to `limit` rows whose id is greater than `after` (all rows when `None`), in
    /// ascending id order; an empty batch means the source is exhausted.
    ///
    /// # Errors
    /// [`super::PortError::Unavailable`] when the source cannot be read. A row whose columns are
    /// missing or of an unexpected value MUST come back with those fields `None`, not as an
    /// error, so that one bad row cannot stop an import.
    async fn batch(&self, after: Option<Uuid>, limit: u64) -> PortResult<Vec<SourceUser>>;
}

/// Stores imported accounts without ever changing an existing one.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ImportTarget: Send + Sync {
    /// Stores each account that is not there yet, and says, in the order given, what became
    /// of each. No event is written: an import announces nothing to users (no welcome mail).
    ///
    /// # Errors
    /// MUST NOT fail for accounts that exist: an existing id is
    /// [`ImportOutcome::AlreadyPresent`] and an email used by another id is
    /// [`ImportOutcome::EmailTaken`], in both cases with nothing changed.
    async fn insert_new(&self, users: &[ImportedUser]) -> PortResult<Vec<ImportOutcome>>;
}
