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
