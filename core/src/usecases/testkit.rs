//! Test fixtures: a mock of every port, assembled into [`Ports`], and sample values.

use std::sync::Arc;

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::Ports;
use crate::domain::{AccessClaims, Email, Password, Role, SessionId, SessionPolicy, User, UserId};
use crate::ports::{
    Clock, MockAccountTokens, MockCallerLookup, MockMfaFactors, MockOpaqueTokens, MockOutbox,
    MockPasswordHasher, MockProfileCache, MockRateLimiter, MockRevocationList, MockSecretBox,
    MockSessionRepo, MockStrengthEstimator, MockSuccessorTokens, MockTokenIssuer, MockTotpVerifier,
    MockUserRepo,
};

pub(crate) const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);

struct FixedClock(OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// One mock per port; set expectations, then call [`Mocks::ports`]. A call nobody expected
/// panics, so every test also proves what a use case does not touch.
pub(crate) struct Mocks {
    pub users: MockUserRepo,
    pub sessions: MockSessionRepo,
    pub outbox: MockOutbox,
    pub account_tokens: MockAccountTokens,
    pub hasher: MockPasswordHasher,
    pub tokens: MockTokenIssuer,
    pub secrets: MockOpaqueTokens,
    pub successors: MockSuccessorTokens,
    pub cache: MockProfileCache,
    pub revocations: MockRevocationList,
    pub callers: MockCallerLookup,
    pub rate_limiter: MockRateLimiter,
    pub strength: MockStrengthEstimator,
    pub factors: MockMfaFactors,
    pub totp: MockTotpVerifier,
    pub secret_box: MockSecretBox,
    pub now: OffsetDateTime,
}

impl Mocks {
    pub fn new() -> Self {
        Self {
            users: MockUserRepo::new(),
            sessions: MockSessionRepo::new(),
            outbox: MockOutbox::new(),
            account_tokens: MockAccountTokens::new(),
            hasher: MockPasswordHasher::new(),
            tokens: MockTokenIssuer::new(),
            secrets: MockOpaqueTokens::new(),
            successors: MockSuccessorTokens::new(),
            cache: MockProfileCache::new(),
            revocations: MockRevocationList::new(),
            callers: MockCallerLookup::new(),
            rate_limiter: MockRateLimiter::new(),
            strength: MockStrengthEstimator::new(),
            factors: MockMfaFactors::new(),
            totp: MockTotpVerifier::new(),
            secret_box: MockSecretBox::new(),
            now: NOW,
        }
    }

    /// Token minting that always succeeds, for tests about something else.
    pub fn with_token_minting(mut self) -> Self {
        self.tokens
            .expect_issue()
            .returning(|_| Ok(crate::domain::AccessToken::new("jwt".into())));
        self.secrets
            .expect_generate()
            .returning(|| crate::domain::OpaqueToken::new("fresh-refresh".into()));
        self.secrets
            .expect_digest()
            .returning(|t| crate::domain::TokenDigest::new(format!("digest:{}", t.expose())));
        self.successors
            .expect_successor()
            .returning(|t| crate::domain::OpaqueToken::new(format!("next:{}", t.expose())));
        self
    }

    /// Expects the access tokens of exactly `sessions` to be rejected until their longest
    /// possible expiry, and `user`'s cached profile to be dropped, once each.
    pub fn expect_access_tokens_rejected(&mut self, sessions: Vec<SessionId>, user: UserId) {
        self.expect_sessions_revoked(sessions);
        self.cache
            .expect_invalidate()
            .withf(move |u| *u == user)
            .times(1)
            .returning(|_| Ok(()));
    }

    /// Expects the access tokens of exactly `sessions` to be rejected, once, for as long as a
    /// token could live under any configured lifetime (24 h), not only the current 15 min.
    pub fn expect_sessions_revoked(&mut self, sessions: Vec<SessionId>) {
        let longest = Duration::hours(24) + Duration::seconds(31);
        self.revocations
            .expect_revoke()
            .withf(move |s, until| s == sessions && *until == NOW + longest)
            .times(1)
            .returning(|_, _| Ok(()));
    }

    pub fn ports(self) -> Ports {
        Ports {
            users: Arc::new(self.users),
            sessions: Arc::new(self.sessions),
            outbox: Arc::new(self.outbox),
            account_tokens: Arc::new(self.account_tokens),
            hasher: Arc::new(self.hasher),
            tokens: Arc::new(self.tokens),
            secrets: Arc::new(self.secrets),
            successors: Arc::new(self.successors),
            cache: Arc::new(self.cache),
            revocations: Arc::new(self.revocations),
            callers: Arc::new(self.callers),
            rate_limiter: Arc::new(self.rate_limiter),
            strength: Arc::new(self.strength),
            factors: Arc::new(self.factors),
            totp: Arc::new(self.totp),
            secret_box: Arc::new(self.secret_box),
            clock: Arc::new(FixedClock(self.now)),
        }
    }
}

pub(crate) fn policy() -> SessionPolicy {
    SessionPolicy::default()
}

pub(crate) fn password() -> Password {
    Password::parse("correct horse battery".into(), "password").unwrap()
}

pub(crate) fn user() -> User {
    User {
        id: UserId::generate(),
        email: Email::parse("ada@example.com").unwrap(),
        name: None,
        role: Role::User,
        email_verified: false,
        disabled: false,
        created_at: NOW,
        updated_at: NOW,
    }
}

/// The claims of a fresh access token of a new user's new session, issued at [`NOW`].
pub(crate) fn caller() -> AccessClaims {
    AccessClaims {
        user_id: UserId::generate(),
        session_id: SessionId::generate(),
        role: Role::User,
        email: Email::parse("ada@example.com").unwrap(),
        issued_at: NOW,
        expires_at: NOW + Duration::minutes(15),
        token_id: Uuid::now_v7(),
        amr: vec![crate::domain::AuthMethod::Pwd],
    }
}
