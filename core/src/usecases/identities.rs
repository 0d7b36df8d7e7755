//! The caller's linked identities: listing them, and unlinking one, never the account's last
//! way to sign in. Linking happens at the end of a provider's flow that the owner started.

use std::sync::Arc;

use tracing::instrument;

use crate::domain::{Event, EventData, IdentityId, UserId};
use crate::error::BoxError;
use crate::ports::{Clock, IdentityRepo, LinkedIdentity, PortResult, UnlinkIdentityError};

/// Lists the caller's linked identities, oldest link first.
pub struct ListIdentities {
    identities: Arc<dyn IdentityRepo>,
}

impl ListIdentities {
    /// Builds the use case from its port.
    pub fn new(identities: Arc<dyn IdentityRepo>) -> Self {
        Self { identities }
    }

    /// The identities linked to `user`.
    #[instrument(skip_all, name = "list_identities", fields(user_id = %user))]
    pub async fn execute(&self, user: UserId) -> PortResult<Vec<LinkedIdentity>> {
        self.identities.list(user).await
    }
}

/// Why an identity was not unlinked.
#[derive(Debug, thiserror::Error)]
pub enum UnlinkError {
    /// The caller has no identity with this id (unknown, or another account's).
    #[error("no such identity")]
    NotFound,
    /// It is the account's only way left to sign in (no password, no other identity).
    #[error("the last sign-in method cannot be removed")]
    LastSignInMethod,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

impl From<UnlinkIdentityError> for UnlinkError {
    fn from(error: UnlinkIdentityError) -> Self {
        match error {
            UnlinkIdentityError::NotFound => Self::NotFound,
            UnlinkIdentityError::LastSignInMethod => Self::LastSignInMethod,
            UnlinkIdentityError::Port(port) => port.into(),
        }
    }
}

/// Unlinks one of the caller's identities, with `user.identity_unlinked`.
pub struct UnlinkIdentity {
    identities: Arc<dyn IdentityRepo>,
    clock: Arc<dyn Clock>,
}

impl UnlinkIdentity {
    /// Builds the use case from its ports.
    pub fn new(identities: Arc<dyn IdentityRepo>, clock: Arc<dyn Clock>) -> Self {
        Self { identities, clock }
    }

    /// Unlinks `id` from `user` and returns it as it was. The repository checks that another
    /// sign-in method remains in the same step as it removes this one, so two unlinks at once
    /// cannot leave the account without one.
    #[instrument(skip_all, name = "unlink_identity", fields(user_id = %user, identity_id = %id))]
    pub async fn execute(
        &self,
        user: UserId,
        id: IdentityId,
    ) -> Result<LinkedIdentity, UnlinkError> {
        let provider = self
            .identities
            .list(user)
            .await?
            .into_iter()
            .find(|identity| identity.id == id)
            .ok_or(UnlinkError::NotFound)?
            .provider;
        let event = Event::new(
            EventData::IdentityUnlinked {
                identity_id: id,
                provider: provider.to_string(),
            },
            Some(user),
            self.clock.now(),
        );
        Ok(self.identities.unlink(user, id, &event).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClock, MockIdentityRepo, PortError, ProviderName, Subject};
    use crate::usecases::testkit::NOW;

    fn identity(user: UserId) -> LinkedIdentity {
        LinkedIdentity {
            id: IdentityId::generate(),
            provider: ProviderName::parse("google").unwrap(),
            subject: Subject::new("g-1"),
            user_id: user,
            email: None,
            linked_at: NOW,
        }
    }

    fn clock() -> Arc<dyn Clock> {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        Arc::new(clock)
    }

    /// A repository that lists `linked` for its owner.
    fn listing(linked: &LinkedIdentity) -> MockIdentityRepo {
        let mut repo = MockIdentityRepo::new();
        let (owner, listed) = (linked.user_id, linked.clone());
        repo.expect_list()
            .withf(move |user| *user == owner)
            .returning(move |_| Ok(vec![listed.clone()]));
        repo
    }

    #[tokio::test]
    async fn unlinking_writes_the_event_naming_the_identity_and_its_provider() {
        let user = UserId::generate();
        let google = identity(user);
        let mut repo = listing(&google);
        let (id, removed) = (google.id, google.clone());
        repo.expect_unlink()
            .withf(move |u, i, event| {
                *u == user
                    && *i == id
                    && event.user_id == Some(user.as_uuid())
                    && event.occurred_at == NOW
                    && matches!(&event.data, EventData::IdentityUnlinked { identity_id, provider }
                        if *identity_id == id && provider == "google")
            })
            .times(1)
            .returning(move |_, _, _| Ok(removed.clone()));
        let unlink = UnlinkIdentity::new(Arc::new(repo), clock());

        // Spawned, to prove the use case's future is Send.
        let unlinked = tokio::spawn(async move { unlink.execute(user, id).await })
            .await
            .unwrap()
            .unwrap();

        assert_eq!(unlinked, google);
    }

    #[tokio::test]
    async fn another_accounts_identity_is_not_found_and_nothing_is_removed() {
        let owner = UserId::generate();
        let google = identity(owner);
        let mut repo = MockIdentityRepo::new();
        repo.expect_list().returning(|_| Ok(Vec::new()));
        repo.expect_unlink().never();
        let unlink = UnlinkIdentity::new(Arc::new(repo), clock());

        let result = unlink.execute(UserId::generate(), google.id).await;

        assert!(matches!(result, Err(UnlinkError::NotFound)));
    }

    #[tokio::test]
    async fn the_last_sign_in_method_is_refused_as_the_repository_decides() {
        let user = UserId::generate();
        let google = identity(user);
        let mut repo = listing(&google);
        repo.expect_unlink()
            .returning(|_, _, _| Err(UnlinkIdentityError::LastSignInMethod));
        let unlink = UnlinkIdentity::new(Arc::new(repo), clock());

        let result = unlink.execute(user, google.id).await;

        assert!(matches!(result, Err(UnlinkError::LastSignInMethod)));
    }

    #[tokio::test]
    async fn an_unreachable_store_is_unavailable() {
        let mut repo = MockIdentityRepo::new();
        repo.expect_list()
            .returning(|_| Err(PortError::unavailable("down")));
        let unlink = UnlinkIdentity::new(Arc::new(repo), clock());

        let result = unlink
            .execute(UserId::generate(), IdentityId::generate())
            .await;

        assert!(matches!(result, Err(UnlinkError::Unavailable(_))));
    }

    #[tokio::test]
    async fn listing_returns_the_repositorys_identities_for_the_caller() {
        let user = UserId::generate();
        let google = identity(user);
        let list = ListIdentities::new(Arc::new(listing(&google)));

        let listed = list.execute(user).await.unwrap();

        assert_eq!(listed, vec![google]);
    }
}
