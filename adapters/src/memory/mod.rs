//! The in-process state of the embedded default: the system clock, the profile cache, the
//! revocation list and the rate limiter; and [`MemoryStore`], every storage port in memory, for
//! embedding the core without a database and for tests. Each lives in this process's memory only, so it fits
//! a single instance; several instances need shared (Redis) adapters in their place.
//!
//! Everything here bounds its own memory without a background task: caches expire and evict
//! entries as they are used, and the rate limiter prunes idle keys every few thousand checks.

mod clock;
mod profile_cache;
mod rate_limit;
mod revocation;
mod store;

pub use clock::SystemClock;
pub use profile_cache::MemoryProfileCache;
pub(crate) use rate_limit::InvalidQuota;
pub use rate_limit::{MemoryRateLimiter, RateLimits};
pub use revocation::MemoryRevocationList;
pub use store::MemoryStore;
