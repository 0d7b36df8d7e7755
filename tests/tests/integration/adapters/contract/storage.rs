//! The storage ports on SeaORM: every rule on a fresh PostgreSQL schema and on a fresh SQLite
//! file (see `postern_tests::db`).

use std::sync::Arc;

use async_trait::async_trait;
use postern_contract::{Delivery, OutboxSettings, Storage};
use postern_core::domain::EventId;
use postern_core::ports::{
    AccountTokens, AuditTrail, CeremonyStates, EventHandler, HandledEvents, IdentityRepo,
    MfaFactors, Outbox, Retention, SessionRepo, SignInGrants, UserRepo,
};
use postern_db::{
    AuditLogHandler, SeaAccountTokens, SeaAuditTrail, SeaCeremonyStates, SeaHandledEvents,
    SeaIdentityRepo, SeaMfaFactors, SeaOutbox, SeaRetention, SeaSessionRepo, SeaSignInGrants,
    SeaUserRepo,
};
use postern_tests::db::{Backend, TestDb, fresh_database};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

/// A fresh, migrated database; dropping it removes the database.
struct SeaStorage(TestDb);

async fn postgres() -> SeaStorage {
    SeaStorage(fresh_database(Backend::Postgres).await)
}

async fn sqlite() -> SeaStorage {
    SeaStorage(fresh_database(Backend::Sqlite).await)
}

mod on_postgres {
    use super::*;

    postern_contract::storage_contracts!(postgres);
}

mod on_sqlite {
    use super::*;

    postern_contract::storage_contracts!(sqlite);
}

#[async_trait]
impl Storage for SeaStorage {
    fn users(&self) -> Arc<dyn UserRepo> {
        Arc::new(SeaUserRepo::new(self.0.connection()))
    }

    fn sessions(&self) -> Arc<dyn SessionRepo> {
        Arc::new(SeaSessionRepo::new(self.0.connection()))
    }

    fn account_tokens(&self) -> Arc<dyn AccountTokens> {
        Arc::new(SeaAccountTokens::new(self.0.connection()))
    }

    fn identities(&self) -> Arc<dyn IdentityRepo> {
        Arc::new(SeaIdentityRepo::new(self.0.connection()))
    }

    fn grants(&self) -> Arc<dyn SignInGrants> {
        Arc::new(SeaSignInGrants::new(self.0.connection()))
    }

    fn audit_log(&self) -> Arc<dyn EventHandler> {
        Arc::new(AuditLogHandler::new(self.0.connection()))
    }

    fn audit_trail(&self) -> Arc<dyn AuditTrail> {
        Arc::new(SeaAuditTrail::new(self.0.connection()))
    }

    fn handled_events(&self) -> Arc<dyn HandledEvents> {
        Arc::new(SeaHandledEvents::new(self.0.connection()))
    }

    fn retention(&self) -> Arc<dyn Retention> {
        Arc::new(SeaRetention::new(self.0.connection()))
    }

    fn mfa_factors(&self) -> Arc<dyn MfaFactors> {
        Arc::new(SeaMfaFactors::new(self.0.connection()))
    }

    fn ceremonies(&self) -> Arc<dyn CeremonyStates> {
        Arc::new(SeaCeremonyStates::new(self.0.connection()))
    }

    fn outbox(&self, settings: OutboxSettings) -> Arc<dyn Outbox> {
        let outbox = SeaOutbox::with_clock(self.0.connection(), settings.clock)
            .with_lease(settings.lease)
            .with_max_attempts(settings.max_attempts);
        Arc::new(outbox)
    }

    async fn delivery(&self, event: EventId) -> Option<Delivery> {
        let select = Query::select()
            .columns([Alias::new("attempts"), Alias::new("last_error")])
            .expr_as(
                Expr::cust("CASE WHEN dead_lettered_at IS NULL THEN 0 ELSE 1 END"),
                Alias::new("dead_lettered"),
            )
            .from(Alias::new("outbox"))
            .and_where(Expr::col(Alias::new("id")).eq(event.as_uuid()))
            .to_owned();
        let row = self.0.query_one(&select).await.unwrap()?;
        Some(Delivery {
            attempts: row
                .try_get::<i32>("", "attempts")
                .unwrap()
                .try_into()
                .unwrap(),
            last_error: row.try_get("", "last_error").unwrap(),
            dead_lettered: row.try_get::<i32>("", "dead_lettered").unwrap() == 1,
        })
    }
}
