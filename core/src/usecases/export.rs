//! Data export (docs/http-api.md §4 `GET /user/export`): everything Postern holds about the
//! caller, in one answer: the account, its live sessions and every audit record about it. No
//! secret is part of any of these types (no hash, no token digest), so none can leak here.

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::profile::ProfileError;
use crate::domain::{
    AuditQuery, AuditRecord, PageKey, PageLimit, PageRequest, SessionSummary, User, UserId,
};
use crate::ports::{
    AuditTrail, Clock, IdentityRepo, LinkedIdentity, PortResult, SessionRepo, UserRepo,
};

/// What an export holds.
#[derive(Clone, Debug)]
pub struct AccountExport {
    /// The account.
    pub user: User,
    /// Its live sessions, most recently used first.
    pub sessions: Vec<SessionSummary>,
    /// Its identities at external providers, oldest link first.
    pub identities: Vec<LinkedIdentity>,
    /// Its confirmed second factors, oldest first; their credentials stay out of any view.
    pub factors: Vec<crate::domain::Factor>,
    /// Every audit record about it, newest first.
    pub events: Vec<AuditRecord>,
}

/// Exports the caller's data.
pub struct ExportAccount {
    users: Arc<dyn UserRepo>,
    sessions: Arc<dyn SessionRepo>,
    factors: Arc<dyn crate::ports::MfaFactors>,
    identities: Arc<dyn IdentityRepo>,
    trail: Arc<dyn AuditTrail>,
    clock: Arc<dyn Clock>,
}

impl ExportAccount {
    /// Builds the use case from `ports`, the linked identities and the audit log, `trail`.
    pub fn new(
        ports: &Ports,
        identities: Arc<dyn IdentityRepo>,
        trail: Arc<dyn AuditTrail>,
    ) -> Self {
        Self {
            users: ports.users.clone(),
            sessions: ports.sessions.clone(),
            factors: ports.factors.clone(),
            identities,
            trail,
            clock: ports.clock.clone(),
        }
    }

    /// The caller's account, live sessions, linked identities, confirmed factors and audit
    /// records, read from the database (never from the profile cache: an export is the
    /// record, not a copy).
    ///
    /// # Errors
    /// [`ProfileError::NotFound`] when the account is gone.
    #[instrument(skip_all, name = "export_account", fields(user_id = %user))]
    pub async fn execute(&self, user: UserId) -> Result<AccountExport, ProfileError> {
        let account = self
            .users
            .find_by_id(user)
            .await?
            .ok_or(ProfileError::NotFound)?;
        let sessions = self.sessions.list_live(user, self.clock.now()).await?;
        let identities = self.identities.list(user).await?;
        let mut factors = self.factors.list(user).await?;
        factors.retain(crate::domain::Factor::is_active);
        let events = self.events_about(user).await?;
        Ok(AccountExport {
            user: account,
            sessions,
            identities,
            factors,
            events,
        })
    }

    /// Every audit record about `user`, read a page at a time (the audit log's largest).
    async fn events_about(&self, user: UserId) -> PortResult<Vec<AuditRecord>> {
        let limit = PageLimit::parse(Some(100)).map_err(|e| {
            crate::ports::PortError::unexpected(format!("page limit: {}", e.message))
        })?;
        let mut events = Vec::new();
        let mut after = None;
        loop {
            let query = AuditQuery {
                user: Some(user),
                event_type: None,
                page: PageRequest { after, limit },
            };
            let mut page = self.trail.list(&query).await?;
            let more = page.len() > limit.get() as usize;
            page.truncate(limit.get() as usize);
            after = page.last().map(|r| PageKey {
                at: r.occurred_at,
                id: r.id.as_uuid(),
            });
            events.append(&mut page);
            if !more {
                return Ok(events);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventId;
    use crate::domain::IdentityId;
    use crate::ports::{MockAuditTrail, MockIdentityRepo, ProviderName, Subject};
    use crate::usecases::testkit::{Mocks, NOW, user};

    fn record(account: UserId, n: i64) -> AuditRecord {
        AuditRecord {
            id: EventId::generate(),
            event_type: "user.logged_in".into(),
            user_id: Some(account),
            occurred_at: NOW - time::Duration::seconds(n),
            event_json: "{}".into(),
        }
    }

    #[tokio::test]
    async fn an_export_holds_the_account_its_sessions_identities_and_every_page_of_its_events() {
        let account = user();
        let id = account.id;
        let mut mocks = Mocks::new();
        mocks
            .users
            .expect_find_by_id()
            .returning(move |_| Ok(Some(account.clone())));
        mocks
            .sessions
            .expect_list_live()
            .withf(move |u, now| *u == id && *now == NOW)
            .returning(|_, _| Ok(Vec::new()));
        mocks
            .factors
            .expect_list()
            .withf(move |u| *u == id)
            .returning(|_| Ok(Vec::new()));
        let all: Vec<AuditRecord> = (0..150).map(|n| record(id, n)).collect();
        let mut trail = MockAuditTrail::new();
        trail
            .expect_list()
            .withf(move |q| q.user == Some(id))
            .times(2)
            .returning(move |q| {
                let start = q.page.after.map_or(0, |_| 100);
                Ok(all.iter().skip(start).take(101).cloned().collect())
            });

        let google = LinkedIdentity {
            id: IdentityId::generate(),
            provider: ProviderName::parse("google").unwrap(),
            subject: Subject::new("g-1"),
            user_id: id,
            email: None,
            linked_at: NOW,
        };
        let mut identities = MockIdentityRepo::new();
        let listed = google.clone();
        identities
            .expect_list()
            .withf(move |u| *u == id)
            .returning(move |_| Ok(vec![listed.clone()]));

        let export = ExportAccount::new(&mocks.ports(), Arc::new(identities), Arc::new(trail))
            .execute(id)
            .await
            .unwrap();

        assert_eq!(export.user.id, id);
        assert_eq!(export.identities, vec![google]);
        assert_eq!(export.events.len(), 150);
    }

    #[tokio::test]
    async fn a_gone_account_is_not_found() {
        let mut mocks = Mocks::new();
        mocks.users.expect_find_by_id().returning(|_| Ok(None));

        let result = ExportAccount::new(
            &mocks.ports(),
            Arc::new(MockIdentityRepo::new()),
            Arc::new(MockAuditTrail::new()),
        )
        .execute(UserId::generate())
        .await;

        assert!(matches!(result, Err(ProfileError::NotFound)));
    }
}
