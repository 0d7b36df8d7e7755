//! Fast, shared state beside the database: the profile cache, the revocation list, rate limits
//! and the clock.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::PortResult;
use crate::domain::{SessionId, User, UserId};

/// Caches profiles (cache-aside, §4). The database stays the truth: use cases treat a cache
/// error as a miss, never as a failure of the request.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProfileCache: Send + Sync {
    /// The cached profile, if any.
    async fn get(&self, id: UserId) -> PortResult<Option<User>>;

    /// Caches a profile for the configured time to live.
    async fn put(&self, user: &User) -> PortResult<()>;

    /// Drops a cached profile; called on every write to the user, logout and role change.
    async fn invalidate(&self, id: UserId) -> PortResult<()>;
}

/// Sessions whose access tokens must be rejected before they expire (logout, reuse, disable).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RevocationList: Send + Sync {
    /// Rejects the sessions' access tokens until `until` (the expiry of the newest token they
    /// could have), after which they are expired anyway.
    async fn revoke(&self, sessions: &[SessionId], until: OffsetDateTime) -> PortResult<()>;

    /// Whether a session's access tokens are revoked.
    async fn is_revoked(&self, session: SessionId) -> PortResult<bool>;
}

/// What a rate limit applies to (§6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateLimitBucket {
    /// Login, keyed by client IP and email.
    Login,
    /// Refresh, keyed by client IP.
    Refresh,
    /// Signup, keyed by client IP.
    Signup,
    /// Password-reset requests, keyed by email.
    PasswordForgot,
    /// Verification-mail resends, keyed by user.
    EmailResend,
}

impl RateLimitBucket {
    /// Every bucket.
    pub const ALL: [Self; 5] = [
        Self::Login,
        Self::Refresh,
        Self::Signup,
        Self::PasswordForgot,
        Self::EmailResend,
    ];

    /// The bucket's name in keys and logs: `login`, `refresh`, `signup`, `password_forgot`,
    /// `email_resend`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Refresh => "refresh",
            Self::Signup => "signup",
            Self::PasswordForgot => "password_forgot",
            Self::EmailResend => "email_resend",
        }
    }
}

/// A limit: `limit` requests per `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// How many requests a window admits.
    pub limit: u32,
    /// The window.
    pub period: Duration,
}

/// The quota of each bucket; `None` switches a bucket off (`RATE_LIMIT_*=off`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Logins, per client IP and email.
    pub login: Option<Quota>,
    /// Refreshes, per client IP.
    pub refresh: Option<Quota>,
    /// Signups, per client IP.
    pub signup: Option<Quota>,
    /// Password-reset requests, per email.
    pub password_forgot: Option<Quota>,
    /// Verification-mail resends, per user.
    pub email_resend: Option<Quota>,
}

impl RateLimits {
    /// The quota of `bucket`; `None` when it is switched off.
    pub fn quota(&self, bucket: RateLimitBucket) -> Option<Quota> {
        match bucket {
            RateLimitBucket::Login => self.login,
            RateLimitBucket::Refresh => self.refresh,
            RateLimitBucket::Signup => self.signup,
            RateLimitBucket::PasswordForgot => self.password_forgot,
            RateLimitBucket::EmailResend => self.email_resend,
        }
    }
}

impl Default for RateLimits {
    /// The §6 defaults: login 5 per 15 min, refresh 10 per 15 min, signup 3 per minute,
    /// password forgot and email resend 3 per hour.
    fn default() -> Self {
        let fifteen_minutes = Duration::from_secs(15 * 60);
        let three_an_hour = Some(Quota {
            limit: 3,
            period: Duration::from_secs(60 * 60),
        });
        Self {
            login: Some(Quota {
                limit: 5,
                period: fifteen_minutes,
            }),
            refresh: Some(Quota {
                limit: 10,
                period: fifteen_minutes,
            }),
            signup: Some(Quota {
                limit: 3,
                period: Duration::from_secs(60),
            }),
            password_forgot: three_an_hour,
            email_resend: three_an_hour,
        }
    }
}

/// The cause inside a [`super::PortError::Unexpected`] for a quota no limiter can enforce.
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
    /// How many more requests would be admitted now.
    pub remaining: u32,
    /// How long until the quota is full again (or, when refused, until the next request may
    /// pass).
    pub reset_after: Duration,
}

/// Counts requests per bucket and key, exactly: no more than the limit passes, whatever the
/// concurrency.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one request for `key` in `bucket`. `None` when the bucket is not limited.
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
