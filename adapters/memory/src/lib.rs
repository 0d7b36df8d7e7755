//! # postern-memory
//!
//! The in-process state of the embedded default: the profile cache, the revocation list, the rate
//! limiter and the in-process event publisher; and [`MemoryStore`], every storage port in memory,
//! for embedding the core without a database and for tests. Each lives in this process's memory
//! only, so it fits a single instance; several instances need shared (Redis) adapters in their
//! place.
//!
//! Everything here bounds its own memory without a background task: caches expire and evict
//! entries as they are used, and the rate limiter prunes idle keys every few thousand checks.

mod profile_cache;
mod publisher;
mod rate_limit;
mod revocation;
mod store;

pub use profile_cache::MemoryProfileCache;
pub use publisher::InProcessPublisher;
pub use rate_limit::MemoryRateLimiter;
pub use revocation::MemoryRevocationList;
pub use store::MemoryStore;

/// The in-process stores read together, as production reads them without Redis: core's
/// `SeparateLookups` over this crate's revocation list and profile cache.
#[cfg(test)]
mod caller_lookup {
    use std::sync::Arc;

    use postern_contract::CallerPorts;
    use postern_core::ports::{ProfileCache, RevocationList, SeparateLookups, SystemClock};

    use super::{MemoryProfileCache, MemoryRevocationList};

    async fn in_memory() -> CallerPorts {
        let revocations: Arc<dyn RevocationList> =
            Arc::new(MemoryRevocationList::new(Arc::new(SystemClock)));
        let cache: Arc<dyn ProfileCache> = Arc::new(MemoryProfileCache::new(
            MemoryProfileCache::DEFAULT_TTL,
            100,
        ));
        CallerPorts {
            lookup: Arc::new(SeparateLookups::new(revocations.clone(), cache.clone())),
            revocations,
            cache,
        }
    }

    postern_contract::caller_lookup_contract!(in_memory);
}
