//! Fast, shared state beside the database: the profile cache, the revocation list, the two
//! read together for a profile request, rate limits and the clock.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::PortResult;
use crate::domain::{SessionId, User, UserId};

/// Caches profiles (cache-aside, docs/http-api.md §4). The database stays the truth: use cases
/// treat a cache error as a miss, never as a failure of the request.
///
/// A profile's version is its `updated_at`, which every change to the account stamps. A cached
/// profile is never replaced by an older version: a fill that read the row before a change and
/// writes it after the change's own put is refused, so it cannot bring back, for the time to
/// live, what the change replaced (such as the role of a demoted admin).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProfileCache: Send + Sync {
    /// The cached profile, if any.
    async fn get(&self, id: UserId) -> PortResult<Option<User>>;

    /// Caches a profile for the configured time to live, unless a newer version of it (a later
    /// `updated_at`) is cached; a version as new or newer replaces the cached copy. The
    /// comparison and the write MUST be one atomic step, so that concurrent puts leave the
    /// newest version whatever their order. Use cases put what they read after a miss, and
    /// the account a change returned, right after the change.
    async fn put(&self, user: &User) -> PortResult<()>;

    /// Drops a cached profile: logout, an explicit drop, anything that does not return the
    /// account as it now is.
    async fn invalidate(&self, id: UserId) -> PortResult<()>;
}

/// Sessions whose access tokens must be rejected before they expire (logout, reuse, disable).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RevocationList: Send + Sync {
    /// Rejects the sessions' access tokens until `until` (the expiry of the newest token they
    /// could have), after which they are expired anyway. A session revoked again keeps the
    /// later of its deadlines; a deadline already past revokes nothing.
    async fn revoke(&self, sessions: &[SessionId], until: OffsetDateTime) -> PortResult<()>;

    /// Whether a session's access tokens are revoked.
    async fn is_revoked(&self, session: SessionId) -> PortResult<bool>;
}

/// What shared state says about the caller of a profile read: whether its session is revoked
/// and, if not, its cached profile.
#[derive(Debug)]
pub enum CallerState {
    /// The session is revoked: its access tokens must be refused.
    Revoked,
    /// The session is live.
    Live {
        /// The caller's cached profile, as [`ProfileCache::get`] answers: its failure is the
        /// use case's to log and to treat as a miss, never the request's.
        cached_profile: PortResult<Option<User>>,
    },
}

/// The revocation check and the profile-cache read of a profile request, answered together,
/// so that a store holding both (Redis) answers them in one round trip instead of two.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CallerLookup: Send + Sync {
    /// Whether `session` is revoked, as [`RevocationList::is_revoked`] answers it, and if it is
    /// not, `user`'s cached profile, as [`ProfileCache::get`] answers it.
    ///
    /// # Errors
    /// As [`RevocationList::is_revoked`]: an implementation MUST fail when it cannot tell
    /// whether the session is revoked, and MUST NOT fail because the cached profile could not
    /// be read (that failure goes in [`CallerState::Live`]).
    async fn lookup(&self, session: SessionId, user: UserId) -> PortResult<CallerState>;
}

/// [`CallerLookup`] over a revocation list and a profile cache that share no round trip (in
/// process, or in tests): the revocation first, then, for a live session only, the cache.
pub struct SeparateLookups {
    revocations: Arc<dyn RevocationList>,
    cache: Arc<dyn ProfileCache>,
}

impl SeparateLookups {
    /// Asks `revocations`, then `cache`.
    pub fn new(revocations: Arc<dyn RevocationList>, cache: Arc<dyn ProfileCache>) -> Self {
        Self { revocations, cache }
    }
}

#[async_trait]
impl CallerLookup for SeparateLookups {
    async fn lookup(&self, session: SessionId, user: UserId) -> PortResult<CallerState> {
        if self.revocations.is_revoked(session).await? {
            return Ok(CallerState::Revoked);
        }
        Ok(CallerState::Live {
            cached_profile: self.cache.get(user).await,
        })
    }
}

/// Declares [`RateLimitBucket`] from one line per bucket: its variant, its name and its
/// default quota, so that adding a bucket is one line and `ALL`, `name` and `default_quota`
/// cannot drift apart.
macro_rules! rate_limit_buckets {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $limit:literal per $period:expr;)+) => {
        /// What a rate limit applies to (docs/http-api.md §6).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RateLimitBucket {
            $($(#[doc = $doc])* $variant,)+
        }

        impl RateLimitBucket {
            /// Every bucket, in declaration order (its index in [`RateLimits`]).
            pub const ALL: [Self; [$($name),+].len()] = [$(Self::$variant),+];

            /// The bucket's name in keys, logs and its `RATE_LIMIT_*` variable.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            /// The quota that applies unless configured otherwise.
            pub fn default_quota(self) -> Quota {
                match self {
                    $(Self::$variant => Quota { limit: $limit, period: $period },)+
                }
            }
        }
    };
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(60 * 60);

rate_limit_buckets! {
    /// Login, keyed by client address and email.
    Login = "login", 5 per 15 * MINUTE;
    /// Refresh, keyed by client address.
    Refresh = "refresh", 10 per 15 * MINUTE;
    /// Signup, keyed by client address.
    Signup = "signup", 3 per MINUTE;
    /// Password-reset requests, keyed by client address and email.
    PasswordForgot = "password_forgot", 3 per HOUR;
    /// Verification-mail resends, keyed by user.
    EmailResend = "email_resend", 3 per HOUR;
    /// Every request but the operations endpoints (health, readiness, metrics), keyed by
    /// client address.
    Global = "global", 100 per MINUTE;
    /// Password-reset mails, keyed by email: what one address can be sent, whoever asks.
    PasswordResetMail = "password_reset_mail", 3 per HOUR;
    /// Password changes, email changes and self-deletions (every request that re-authenticates
    /// by password), keyed by user: every attempt counts, from any of the user's sessions.
    PasswordChange = "password_change", 5 per 15 * MINUTE;
    /// Wrong current passwords at password change, email change or self-deletion, keyed by
    /// session: the wrong guess that spends this quota ends the session.
    PasswordChangeGuess = "password_change_guess", 3 per HOUR;
    /// Token introspection (docs/http-api.md §9), keyed by introspection client: a resource
    /// server asks once per request it serves, or once per cache period.
    Introspect = "introspect", 1000 per MINUTE;
    /// Second steps of logins (`POST /auth/mfa/verify`), keyed by client address: besides the
    /// lockout, which counts wrong codes per account, this bounds how fast one client guesses.
    MfaVerify = "mfa_verify", 10 per 15 * MINUTE;
    /// Passwordless sign-ins (`POST /auth/passkey/start` and `/finish`, each counted), keyed
    /// by client address: no lockout applies, since no account is known before the answer.
    PasskeySignIn = "passkey_sign_in", 20 per 15 * MINUTE;
    /// Callbacks of external providers (`GET /auth/oauth/{provider}/callback`), keyed by client
    /// address: each may cost a round trip to the provider and an account's creation.
    OauthCallback = "oauth_callback", 20 per 15 * MINUTE;
    /// Exchanges of one-time login codes (`POST /auth/oauth/exchange`), keyed by client
    /// address: a sign-in needs one, so this only bounds how fast one client guesses codes.
    OauthExchange = "oauth_exchange", 10 per 15 * MINUTE;
}

/// A limit: `limit` requests per `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// How many requests a window admits.
    pub limit: u32,
    /// The window.
    pub period: Duration,
}

/// The quota of each bucket, indexed by [`RateLimitBucket`]; `None` switches a bucket off
/// (`RATE_LIMIT_*=off`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    quotas: [Option<Quota>; RateLimitBucket::ALL.len()],
}

impl RateLimits {
    /// Every bucket switched off: the start of a table that limits only what it names.
    pub const fn off() -> Self {
        Self {
            quotas: [None; RateLimitBucket::ALL.len()],
        }
    }

    /// The quota of `bucket`; `None` when it is switched off.
    pub fn quota(&self, bucket: RateLimitBucket) -> Option<Quota> {
        self.quotas[bucket as usize]
    }

    /// Sets the quota of `bucket`; `None` switches it off.
    pub fn set(&mut self, bucket: RateLimitBucket, quota: Option<Quota>) {
        self.quotas[bucket as usize] = quota;
    }

    /// The same table with `bucket`'s quota replaced.
    #[must_use]
    pub fn with(mut self, bucket: RateLimitBucket, quota: Option<Quota>) -> Self {
        self.set(bucket, quota);
        self
    }
}

impl Default for RateLimits {
    /// Each bucket's [`RateLimitBucket::default_quota`] (docs/http-api.md §6).
    fn default() -> Self {
        Self {
            quotas: RateLimitBucket::ALL.map(|bucket| Some(bucket.default_quota())),
        }
    }
}

impl std::fmt::Debug for RateLimits {
    /// Bucket names with their quotas, rather than a bare array.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(RateLimitBucket::ALL.map(|bucket| (bucket.name(), self.quota(bucket))))
            .finish()
    }
}

/// The cause inside a [`PortError::Unexpected`](super::PortError::Unexpected) for a quota no
/// limiter can enforce.
#[derive(Debug, thiserror::Error)]
#[error("rate limit {quota:?} must admit at least one request per non-zero period")]
pub struct InvalidQuota {
    /// The quota that was refused.
    pub quota: Quota,
}

/// The answer to one rate-limit check, with what the `RateLimit-*` headers need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether this request may proceed.
    pub allowed: bool,
    /// The quota's limit.
    pub limit: u32,
    /// How many more requests would be admitted now: the limit less the admissions within the
    /// last period, this one included; 0 when refused.
    pub remaining: u32,
    /// When admitted, how long until the quota is full again: until this admission, the
    /// newest, leaves the window, one whole period. When refused, how long until the next
    /// request may pass: until the oldest admission within the window leaves it.
    pub reset_after: Duration,
}

/// Counts requests per bucket and key in a sliding window.
///
/// With the quota `limit` per `period` of a bucket, for each key of that bucket:
/// - at most `limit` requests are admitted in **any** window of length `period`, exactly,
///   whatever the concurrency (a bucket that refills at an average rate, or a window reset at
///   fixed times, admits up to twice the limit across a boundary and does not qualify);
/// - a request is admitted whenever fewer than `limit` were admitted in the `period` before
///   it: an admission a whole `period` old no longer counts;
/// - a refused request is not counted, so refusals never prolong a wait;
/// - keys, and buckets, are counted apart;
/// - the [`RateDecision`] figures mean what their docs say.
///
/// An implementation is exact for the requests it sees: one in process memory counts one
/// instance's requests, a shared one those of every instance.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request for `key` in `bucket`.
    ///
    /// # Errors
    /// MUST return `Ok(None)`, and count nothing, when the bucket has no quota (switched off).
    /// Otherwise only when the counter cannot be reached
    /// ([`PortError::Unavailable`](super::PortError::Unavailable)); a refusal is `Ok` with
    /// `allowed: false`. A limiter MUST refuse, when it is built, a quota of a zero limit or a zero
    /// period, with [`PortError::Unexpected`](super::PortError::Unexpected) and [`InvalidQuota`].
    async fn check(&self, bucket: RateLimitBucket, key: &str) -> PortResult<Option<RateDecision>>;
}

/// The current time; a port so that tests control expiry and grace windows.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock, in UTC: what every adapter uses unless a test gives it its own
/// [`Clock`]. It lives beside the port so that adapters share it without depending on each
/// other.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn separate_lookups_do_not_read_the_cache_for_a_revoked_session() {
        let mut revocations = MockRevocationList::new();
        revocations.expect_is_revoked().returning(|_| Ok(true));
        let lookups =
            SeparateLookups::new(Arc::new(revocations), Arc::new(MockProfileCache::new()));

        let state = lookups
            .lookup(SessionId::generate(), UserId::generate())
            .await
            .unwrap();

        assert!(matches!(state, CallerState::Revoked));
    }

    #[tokio::test]
    async fn separate_lookups_hand_over_a_cache_failure_for_a_live_session() {
        let mut revocations = MockRevocationList::new();
        revocations.expect_is_revoked().returning(|_| Ok(false));
        let mut cache = MockProfileCache::new();
        cache
            .expect_get()
            .times(1)
            .returning(|_| Err(super::super::PortError::unavailable("cache down")));
        let lookups = SeparateLookups::new(Arc::new(revocations), Arc::new(cache));

        let state = lookups
            .lookup(SessionId::generate(), UserId::generate())
            .await
            .unwrap();

        assert!(matches!(
            state,
            CallerState::Live {
                cached_profile: Err(_)
            }
        ));
    }

    #[test]
    fn the_default_table_holds_each_buckets_default_quota() {
        let limits = RateLimits::default();

        let login = limits.quota(RateLimitBucket::Login);
        let forgot = limits.quota(RateLimitBucket::PasswordForgot);

        assert_eq!(
            login,
            Some(Quota {
                limit: 5,
                period: 15 * MINUTE
            })
        );
        assert_eq!(
            forgot,
            Some(Quota {
                limit: 3,
                period: HOUR
            })
        );
    }

    #[test]
    fn setting_one_bucket_leaves_the_others_alone() {
        let quota = Quota {
            limit: 1,
            period: MINUTE,
        };

        let limits = RateLimits::off().with(RateLimitBucket::Signup, Some(quota));

        for bucket in RateLimitBucket::ALL {
            let expected = (bucket == RateLimitBucket::Signup).then_some(quota);
            assert_eq!(limits.quota(bucket), expected, "{}", bucket.name());
        }
    }

    #[test]
    fn bucket_names_are_distinct() {
        let mut names = RateLimitBucket::ALL.map(RateLimitBucket::name);
        names.sort_unstable();

        assert!(names.windows(2).all(|pair| pair[0] != pair[1]), "{names:?}");
    }
}
