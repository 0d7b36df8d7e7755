//! The storage ports' contract (`postern-contract`) on the in-memory store, as the integration
//! tests run it on SQLite and PostgreSQL: the fake is held to the same rules as the databases.

use std::sync::Arc;

use async_trait::async_trait;
use postern_contract::{Delivery, OutboxSettings, Storage};
use postern_core::domain::EventId;
use postern_core::ports::{
    AccountTokens, AuditTrail, CeremonyStates, EventHandler, HandledEvents, IdentityRepo,
    MfaFactors, Outbox, Retention, SessionRepo, SignInGrants, SystemClock, UserRepo,
};

use super::MemoryStore;

/// A fresh store; its clock is the system's, as only an outbox reads one and each outbox
/// under test is given its own.
struct MemoryStorage(MemoryStore);

async fn memory_storage() -> MemoryStorage {
    MemoryStorage(MemoryStore::new(Arc::new(SystemClock)))
}

#[async_trait]
impl Storage for MemoryStorage {
    fn users(&self) -> Arc<dyn UserRepo> {
        Arc::new(self.0.clone())
    }

    fn sessions(&self) -> Arc<dyn SessionRepo> {
        Arc::new(self.0.clone())
    }

    fn account_tokens(&self) -> Arc<dyn AccountTokens> {
        Arc::new(self.0.clone())
    }

    fn identities(&self) -> Arc<dyn IdentityRepo> {
        Arc::new(self.0.clone())
    }

    fn grants(&self) -> Arc<dyn SignInGrants> {
        Arc::new(self.0.clone())
    }

    fn audit_log(&self) -> Arc<dyn EventHandler> {
        Arc::new(self.0.clone())
    }

    fn audit_trail(&self) -> Arc<dyn AuditTrail> {
        Arc::new(self.0.clone())
    }

    fn handled_events(&self) -> Arc<dyn HandledEvents> {
        Arc::new(self.0.clone())
    }

    fn retention(&self) -> Arc<dyn Retention> {
        Arc::new(self.0.clone())
    }

    fn mfa_factors(&self) -> Arc<dyn MfaFactors> {
        Arc::new(self.0.clone())
    }

    fn ceremonies(&self) -> Arc<dyn CeremonyStates> {
        Arc::new(self.0.clone())
    }

    fn outbox(&self, settings: OutboxSettings) -> Arc<dyn Outbox> {
        let store = MemoryStore {
            tables: Arc::clone(&self.0.tables),
            ..MemoryStore::new(settings.clock)
        };
        Arc::new(
            store
                .with_lease(settings.lease)
                .with_max_attempts(settings.max_attempts),
        )
    }

    async fn delivery(&self, event: EventId) -> Option<Delivery> {
        let last_error = self.0.last_error(event);
        let tables = self.0.lock();
        let row = tables
            .outbox
            .iter()
            .find(|row| row.event.event_id() == event)?;
        Some(Delivery {
            attempts: row.attempts,
            last_error,
            dead_lettered: row.dead_lettered_at.is_some(),
        })
    }
}

postern_contract::storage_contracts!(memory_storage);
