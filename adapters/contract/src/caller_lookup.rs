//! [`CallerLookup`]: it answers as the revocation list and the profile cache it reads would,
//! each on its own: a revoked session is revoked whatever is cached, a live one gets the cached
//! profile or a miss, and a revocation or an invalidation made through the other ports shows
//! at once.

use std::sync::Arc;
use std::time::Duration;

use postern_core::domain::{SessionId, User, UserId};
use postern_core::ports::{CallerLookup, CallerState, ProfileCache, RevocationList};
use time::OffsetDateTime;

use crate::fixtures::profile;

/// A lookup and the two ports whose state it reads, all over one fresh, empty store.
pub struct CallerPorts {
    /// The implementation under test.
    pub lookup: Arc<dyn CallerLookup>,
    /// Where the rules revoke sessions.
    pub revocations: Arc<dyn RevocationList>,
    /// Where the rules cache profiles.
    pub cache: Arc<dyn ProfileCache>,
}

/// The [`CallerLookup`] contract, as module `caller_lookup`, on the [`CallerPorts`] that
/// `$make().await` returns.
#[macro_export]
macro_rules! caller_lookup_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built caller_lookup, $make, caller_lookup: [
            a_revoked_session_is_revoked_whatever_is_cached,
            a_live_session_gets_the_cached_profile,
            a_live_session_without_a_cached_profile_gets_a_miss,
            an_invalidated_profile_is_a_miss_at_once,
        ]);
    };
}

fn in_ten_minutes() -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::from_secs(600)
}

/// The cached profile the lookup found for a live session; panics on a revoked one or a failed
/// cache read.
async fn cached(ports: &CallerPorts, session: SessionId, user: UserId) -> Option<User> {
    match ports.lookup.lookup(session, user).await.unwrap() {
        CallerState::Live { cached_profile } => cached_profile.unwrap(),
        CallerState::Revoked => panic!("a live session was reported revoked"),
    }
}

/// A revoked session is revoked, even with its user's profile cached; another session of the
/// same user is not.
pub async fn a_revoked_session_is_revoked_whatever_is_cached(ports: &CallerPorts) {
    let user = profile();
    let (revoked, live) = (SessionId::generate(), SessionId::generate());
    ports.cache.put(&user).await.unwrap();

    ports
        .revocations
        .revoke(&[revoked], in_ten_minutes())
        .await
        .unwrap();

    assert!(matches!(
        ports.lookup.lookup(revoked, user.id).await.unwrap(),
        CallerState::Revoked
    ));
    assert_eq!(cached(ports, live, user.id).await, Some(user));
}

/// A live session gets exactly the profile the cache holds for its user, and no other's.
pub async fn a_live_session_gets_the_cached_profile(ports: &CallerPorts) {
    let (user, other) = (profile(), profile());
    ports.cache.put(&user).await.unwrap();
    ports.cache.put(&other).await.unwrap();

    let found = cached(ports, SessionId::generate(), user.id).await;

    assert_eq!(found, Some(user));
}

/// A live session whose user has nothing cached gets a miss, not an error.
pub async fn a_live_session_without_a_cached_profile_gets_a_miss(ports: &CallerPorts) {
    let found = cached(ports, SessionId::generate(), UserId::generate()).await;

    assert_eq!(found, None);
}

/// A profile invalidated through the cache is a miss at the next lookup.
pub async fn an_invalidated_profile_is_a_miss_at_once(ports: &CallerPorts) {
    let user = profile();
    let session = SessionId::generate();
    ports.cache.put(&user).await.unwrap();
    assert_eq!(cached(ports, session, user.id).await, Some(user.clone()));

    ports.cache.invalidate(user.id).await.unwrap();

    assert_eq!(cached(ports, session, user.id).await, None);
}
