//! [`ProfileCache`]: a cached profile comes back whole until it is invalidated or its time to
//! live runs out; anything else is a miss. A put never replaces a newer version of the profile
//! (a later `updated_at`), one after the other or at the same time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use postern_core::domain::Role;

use postern_core::domain::{User, UserId};
use postern_core::ports::ProfileCache;

use crate::Factory;
use crate::fixtures::profile;

/// Makes a fresh, empty cache with the given time to live.
pub type CacheFactory = dyn Factory<Duration, Arc<dyn ProfileCache>>;

/// The [`ProfileCache`] contract, as module `profile_cache`, on the caches that the
/// [`CacheFactory`] `$make` builds.
#[macro_export]
macro_rules! profile_cache_contract {
    ($make:expr) => {
        $crate::__contract_tests!(factory profile_cache, $make, profile_cache: [
            a_cached_profile_is_returned_whole_until_invalidated,
            an_unknown_profile_is_a_miss,
            a_second_put_replaces_the_cached_profile,
            invalidating_one_profile_leaves_the_others,
            a_profile_expires_after_the_time_to_live,
            a_stale_put_never_replaces_a_newer_profile,
            a_newer_put_replaces_an_older_profile,
            concurrent_puts_always_leave_the_newest_profile,
        ]);
    };
}

/// A long time to live, which no rule waits out.
const LONG: Duration = Duration::from_secs(600);

/// `get` returns exactly what `put` cached, until `invalidate`.
pub async fn a_cached_profile_is_returned_whole_until_invalidated(make: &CacheFactory) {
    let cache = make.make(LONG).await;
    let user = profile();

    cache.put(&user).await.unwrap();
    let cached = cache.get(user.id).await.unwrap();
    cache.invalidate(user.id).await.unwrap();
    let after = cache.get(user.id).await.unwrap();

    assert_eq!(cached, Some(user));
    assert_eq!(after, None);
}

/// A profile never cached is a miss, and invalidating it is no error.
pub async fn an_unknown_profile_is_a_miss(make: &CacheFactory) {
    let cache = make.make(LONG).await;
    let unknown = UserId::generate();

    assert_eq!(cache.get(unknown).await.unwrap(), None);
    cache.invalidate(unknown).await.unwrap();
}

/// Caching a profile again replaces the earlier copy.
pub async fn a_second_put_replaces_the_cached_profile(make: &CacheFactory) {
    let cache = make.make(LONG).await;
    let user = profile();
    let renamed = User {
        name: None,
        disabled: true,
        ..user.clone()
    };

    cache.put(&user).await.unwrap();
    cache.put(&renamed).await.unwrap();

    assert_eq!(cache.get(user.id).await.unwrap(), Some(renamed));
}

/// Each profile is cached apart: invalidating one leaves the others.
pub async fn invalidating_one_profile_leaves_the_others(make: &CacheFactory) {
    let cache = make.make(LONG).await;
    let (ada, grace) = (profile(), profile());
    cache.put(&ada).await.unwrap();
    cache.put(&grace).await.unwrap();

    cache.invalidate(ada.id).await.unwrap();

    assert_eq!(cache.get(ada.id).await.unwrap(), None);
    assert_eq!(cache.get(grace.id).await.unwrap(), Some(grace));
}

/// A profile is served until its time to live has passed since it was cached, and then no
/// longer.
pub async fn a_profile_expires_after_the_time_to_live(make: &CacheFactory) {
    let ttl = Duration::from_secs(1);
    let cache = make.make(ttl).await;
    let user = profile();
    let cached_at = Instant::now();

    cache.put(&user).await.unwrap();
    let fresh = cache.get(user.id).await.unwrap();
    let deadline = cached_at + Duration::from_secs(10);
    while cache.get(user.id).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "never expired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    assert_eq!(fresh, Some(user));
    assert!(
        cached_at.elapsed() >= ttl,
        "expired after {:?}",
        cached_at.elapsed()
    );
}

/// How many rounds of racing puts: enough for an unconditional write to lose some of them.
const RACING_ROUNDS: usize = 300;

/// The profile as a change at `later` left it: demoted, a newer version.
fn demoted(user: &User, later: time::Duration) -> User {
    User {
        role: Role::User,
        updated_at: user.updated_at + later,
        ..user.clone()
    }
}

/// A fill that read the profile before a change, and writes it after the change's own put,
/// is refused: the newer profile stays.
pub async fn a_stale_put_never_replaces_a_newer_profile(make: &CacheFactory) {
    let cache = make.make(LONG).await;
    let stale = profile();
    let fresh = demoted(&stale, time::Duration::milliseconds(1));

    cache.put(&fresh).await.unwrap();
    cache.put(&stale).await.unwrap();

    assert_eq!(cache.get(stale.id).await.unwrap(), Some(fresh));
}

/// A newer version replaces the cached one.
pub async fn a_newer_put_replaces_an_older_profile(make: &CacheFactory) {
    let cache = make.make(LONG).await;
    let old = profile();
    let new = demoted(&old, time::Duration::seconds(1));

    cache.put(&old).await.unwrap();
    cache.put(&new).await.unwrap();

    assert_eq!(cache.get(old.id).await.unwrap(), Some(new));
}

/// Puts of an old and a new version of one profile at the same time, in parallel tasks, leave the
/// new version, round after round.
pub async fn concurrent_puts_always_leave_the_newest_profile(make: &CacheFactory) {
    let cache = make.make(LONG).await;
    for round in 0..RACING_ROUNDS {
        let stale = profile();
        let fresh = demoted(&stale, time::Duration::milliseconds(1));

        let puts = [stale.clone(), fresh.clone(), stale.clone()].map(|user| {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.put(&user).await.unwrap() })
        });
        for put in puts {
            put.await.unwrap();
        }

        assert_eq!(
            cache.get(stale.id).await.unwrap(),
            Some(fresh),
            "round {round}"
        );
    }
}
