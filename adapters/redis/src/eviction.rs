//! Redis must never evict Postern's keys on its own: a revocation evicted before its deadline lets
//! a logged-out access token work again (fail open). `maxmemory-policy` decides what Redis drops
//! when it is full; every policy but `noeviction` drops keys with a time to live (`volatile-*`,
//! which is every revocation) or any key (`allkeys-*`). With `noeviction` a full Redis refuses
//! writes instead, which the adapters treat as an outage and cover from the database.

use std::collections::HashMap;

use fred::prelude::{ClientLike, Pool};
use fred::types::{ClusterHash, CustomCommand};
use postern_core::ports::PortResult;

use super::connect::{fail_fast, redis_error};

/// The only `maxmemory-policy` under which Redis never evicts a key.
pub const SAFE_EVICTION_POLICY: &str = "noeviction";

/// Redis's `maxmemory-policy` (`CONFIG GET`), such as `noeviction` or `allkeys-lru`.
///
/// # Errors
/// [`postern_core::ports::PortError::Unavailable`] when Redis does not answer, or refuses
/// `CONFIG` (managed services may rename or forbid it).
pub async fn eviction_policy(pool: &Pool) -> PortResult<String> {
    let command = CustomCommand::new_static("CONFIG", ClusterHash::Random, false);
    let answer: HashMap<String, String> = fail_fast(pool.next())
        .custom(command, vec!["GET", "maxmemory-policy"])
        .await
        .map_err(redis_error)?;
    Ok(answer.get("maxmemory-policy").cloned().unwrap_or_default())
}

/// Whether Redis may evict keys under `policy`: any policy but [`SAFE_EVICTION_POLICY`].
pub fn may_evict(policy: &str) -> bool {
    policy != SAFE_EVICTION_POLICY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_noeviction_keeps_every_key() {
        assert!(!may_evict("noeviction"));
        for policy in [
            "volatile-lru",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-random",
            "",
        ] {
            assert!(may_evict(policy), "{policy}");
        }
    }
}
