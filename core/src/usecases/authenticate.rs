//! Authentication of bearer tokens: a valid signature is not enough, the session must also be
//! live (docs/http-api.md §3: a logged-out access token is rejected at once), and the token must
//! have been issued as this service issues them: not in the future, and for no longer than the
//! configured lifetime. Those two checks are defence in depth against a token minted with a
//! leaked key or by a misconfigured instance, which would otherwise outlive every revocation.
//!
//! A profile read authenticates with [`Authenticate::execute_for_profile`], which asks the
//! revocation list and the profile cache together ([`CallerLookup`]): with Redis, one round trip
//! answers both, where a check then a read took two.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use tracing::debug;

use super::Ports;
use super::profile::PrefetchedProfile;
use crate::domain::{AccessClaims, SessionPolicy};
use crate::error::BoxError;
use crate::ports::{CallerLookup, CallerState, Clock, RevocationList, TokenIssuer, TokenRejected};

/// How much longer than the configured lifetime `exp - iat` may be: both travel as whole
/// seconds, each rounded down on its own.
const WHOLE_SECOND_ROUNDING: Duration = Duration::SECOND;

/// Why a bearer token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    /// A genuine token past its expiry.
    #[error("access token expired")]
    Expired,
    /// Malformed, forged, or otherwise not a token this service issued.
    #[error("invalid access token")]
    Invalid,
    /// A genuine, unexpired token of a session that has ended.
    #[error("session revoked")]
    Revoked,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Verifies bearer tokens.
pub struct Authenticate {
    tokens: Arc<dyn TokenIssuer>,
    revocations: Arc<dyn RevocationList>,
    callers: Arc<dyn CallerLookup>,
    clock: Arc<dyn Clock>,
    /// The longest lifetime a token may claim.
    access_ttl: Duration,
}

impl Authenticate {
    /// Builds the use case from its ports; tokens may live as long as `policy` says.
    pub fn new(ports: &Ports, policy: SessionPolicy) -> Self {
        Self {
            tokens: ports.tokens.clone(),
            revocations: ports.revocations.clone(),
            callers: ports.callers.clone(),
            clock: ports.clock.clone(),
            access_ttl: policy.access_ttl,
        }
    }

    /// The claims of a valid access token whose session has not been revoked.
    ///
    /// # Errors
    /// [`AuthenticateError::Expired`] for an expired token, [`AuthenticateError::Invalid`] for
    /// one that is not genuine or not issued as this service issues them (an `iat` more than
    /// [`AccessClaims::ISSUED_AT_LEEWAY`] ahead, or `exp - iat` beyond the configured lifetime),
    /// [`AuthenticateError::Revoked`] for one whose session ended.
    pub async fn execute(&self, bearer: &str) -> Result<AccessClaims, AuthenticateError> {
        let claims = self.genuine(bearer)?;
        if self.revocations.is_revoked(claims.session_id).await? {
            return Err(AuthenticateError::Revoked);
        }
        Ok(claims)
    }

    /// As [`Self::execute`], for a request that reads the caller's profile next: the cached
    /// profile comes with the revocation check, for [`super::GetProfile::execute_prefetched`].
    ///
    /// # Errors
    /// As [`Self::execute`]; the profile cache's failure is no error here (it travels in the
    /// [`PrefetchedProfile`]).
    pub async fn execute_for_profile(
        &self,
        bearer: &str,
    ) -> Result<(AccessClaims, PrefetchedProfile), AuthenticateError> {
        let claims = self.genuine(bearer)?;
        match self
            .callers
            .lookup(claims.session_id, claims.user_id)
            .await?
        {
            CallerState::Revoked => Err(AuthenticateError::Revoked),
            CallerState::Live { cached_profile } => {
                let prefetched = PrefetchedProfile::new(claims.user_id, cached_profile);
                Ok((claims, prefetched))
            }
        }
    }

    /// The claims of `bearer` if it is genuine, unexpired and issued as we issue tokens; its
    /// session is not asked about.
    fn genuine(&self, bearer: &str) -> Result<AccessClaims, AuthenticateError> {
        let claims = self
            .tokens
            .verify(bearer)
            .map_err(|rejected| match rejected {
                TokenRejected::Expired => AuthenticateError::Expired,
                TokenRejected::Invalid => AuthenticateError::Invalid,
            })?;
        if !self.issued_as_we_issue(&claims, self.clock.now()) {
            return Err(AuthenticateError::Invalid);
        }
        Ok(claims)
    }

    /// Whether `claims` were issued no later than `now` (give or take the leeway) and for no
    /// longer than the configured lifetime: a token that claims a longer one would outlive
    /// revocations, which last as long as a token can.
    fn issued_as_we_issue(&self, claims: &AccessClaims, now: OffsetDateTime) -> bool {
        if claims.issued_at > now + AccessClaims::ISSUED_AT_LEEWAY {
            debug!("access token rejected: issued in the future");
            return false;
        }
        if claims.expires_at - claims.issued_at > self.access_ttl + WHOLE_SECOND_ROUNDING {
            debug!("access token rejected: lifetime longer than configured");
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use uuid::Uuid;

    use super::*;
    use crate::domain::{Email, Role, SessionId, UserId};
    use crate::usecases::testkit::{Mocks, NOW, policy};

    fn claims() -> AccessClaims {
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

    #[tokio::test]
    async fn a_token_of_a_revoked_session_is_rejected() {
        let mut mocks = Mocks::new();
        mocks.tokens.expect_verify().returning(|_| Ok(claims()));
        mocks
            .revocations
            .expect_is_revoked()
            .returning(|_| Ok(true));

        let result = Authenticate::new(&mocks.ports(), policy())
            .execute("jwt")
            .await;

        assert!(matches!(result, Err(AuthenticateError::Revoked)));
    }

    #[tokio::test]
    async fn a_profile_read_by_a_revoked_session_is_rejected_in_one_lookup() {
        let mut mocks = Mocks::new();
        mocks.tokens.expect_verify().returning(|_| Ok(claims()));
        mocks
            .callers
            .expect_lookup()
            .times(1)
            .returning(|_, _| Ok(CallerState::Revoked));

        let result = Authenticate::new(&mocks.ports(), policy())
            .execute_for_profile("jwt")
            .await;

        assert!(matches!(result, Err(AuthenticateError::Revoked)));
    }

    #[tokio::test]
    async fn a_profile_read_gets_the_cached_profile_with_the_revocation_check() {
        let genuine = claims();
        let (session, user) = (genuine.session_id, genuine.user_id);
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_verify()
            .returning(move |_| Ok(genuine.clone()));
        mocks
            .callers
            .expect_lookup()
            .withf(move |s, u| *s == session && *u == user)
            .times(1)
            .returning(|_, _| {
                Ok(CallerState::Live {
                    cached_profile: Ok(None),
                })
            });

        let (claims, prefetched) = Authenticate::new(&mocks.ports(), policy())
            .execute_for_profile("jwt")
            .await
            .unwrap();

        assert_eq!(claims.user_id, user);
        assert_eq!(prefetched.user(), user);
    }

    #[tokio::test]
    async fn a_profile_read_fails_when_revocation_cannot_be_told() {
        let mut mocks = Mocks::new();
        mocks.tokens.expect_verify().returning(|_| Ok(claims()));
        mocks
            .callers
            .expect_lookup()
            .returning(|_, _| Err(crate::ports::PortError::unavailable("redis down")));

        let result = Authenticate::new(&mocks.ports(), policy())
            .execute_for_profile("jwt")
            .await;

        assert!(matches!(result, Err(AuthenticateError::Unavailable(_))));
    }

    #[tokio::test]
    async fn a_valid_token_of_a_live_session_is_accepted() {
        let mut mocks = Mocks::new();
        mocks.tokens.expect_verify().returning(|_| Ok(claims()));
        mocks
            .revocations
            .expect_is_revoked()
            .returning(|_| Ok(false));

        assert!(
            Authenticate::new(&mocks.ports(), policy())
                .execute("jwt")
                .await
                .is_ok()
        );
    }

    /// The result of authenticating a genuine token of a live session with `claims`.
    async fn authenticate(claims: AccessClaims) -> Result<AccessClaims, AuthenticateError> {
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_verify()
            .returning(move |_| Ok(claims.clone()));
        mocks
            .revocations
            .expect_is_revoked()
            .returning(|_| Ok(false));
        Authenticate::new(&mocks.ports(), policy())
            .execute("jwt")
            .await
    }

    #[tokio::test]
    async fn a_token_issued_in_the_future_beyond_the_leeway_is_invalid() {
        let ahead = NOW + AccessClaims::ISSUED_AT_LEEWAY + Duration::seconds(1);
        let skewed = NOW + AccessClaims::ISSUED_AT_LEEWAY;

        let refused = authenticate(AccessClaims {
            issued_at: ahead,
            expires_at: ahead + Duration::minutes(15),
            ..claims()
        })
        .await;
        let accepted = authenticate(AccessClaims {
            issued_at: skewed,
            expires_at: skewed + Duration::minutes(15),
            ..claims()
        })
        .await;

        assert!(
            matches!(refused, Err(AuthenticateError::Invalid)),
            "{refused:?}"
        );
        assert!(accepted.is_ok(), "{accepted:?}");
    }

    #[tokio::test]
    async fn a_token_living_longer_than_the_configured_lifetime_is_invalid() {
        let result = authenticate(AccessClaims {
            expires_at: NOW + Duration::minutes(15) + Duration::seconds(2),
            ..claims()
        })
        .await;

        assert!(
            matches!(result, Err(AuthenticateError::Invalid)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_forged_token_is_invalid_without_a_revocation_lookup() {
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_verify()
            .returning(|_| Err(TokenRejected::Invalid));

        let result = Authenticate::new(&mocks.ports(), policy())
            .execute("jwt")
            .await;

        assert!(matches!(result, Err(AuthenticateError::Invalid)));
    }

    #[tokio::test]
    async fn an_expired_token_is_reported_as_expired_without_a_revocation_lookup() {
        let mut mocks = Mocks::new();
        mocks
            .tokens
            .expect_verify()
            .returning(|_| Err(TokenRejected::Expired));

        let result = Authenticate::new(&mocks.ports(), policy())
            .execute("jwt")
            .await;

        assert!(matches!(result, Err(AuthenticateError::Expired)));
    }
}
