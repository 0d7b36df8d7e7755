//! The housekeeping job on real databases (issue 15's "Done when"): old rows of every kind
//! and newer ones, the job run twice at once in small batches, and then exactly the old rows
//! gone: none left behind, nothing newer deleted, each old row counted once.

use std::collections::BTreeSet;
use std::sync::Arc;

use postern_contract::ManualClock;
use postern_core::ports::{Clock, RetentionKind};
use postern_core::usecases::{Housekeeping, RetentionPolicy};
use postern_db::SeaRetention;
use postern_tests::db::{Backend, TestDb, fresh_database};
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

on_both_backends!(the_job_run_twice_at_once_prunes_exactly_the_rows_past_their_retention);

const NOW: OffsetDateTime = datetime!(2027-06-01 12:00 UTC);
/// How far on either side of a cutoff the seeded rows ended.
const MARGIN: Duration = Duration::minutes(1);
/// Old rows of each kind: several batches' worth, so that the two runs interleave.
const OLD: usize = 9;
const BATCH: u64 = 4;

type Row = Vec<SimpleExpr>;

async fn insert(db: &TestDb, table: &str, columns: &[&str], row: Row) {
    let insert = Query::insert()
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|c| Alias::new(*c)))
        .values_panic(row)
        .to_owned();
    db.execute(&insert).await.unwrap();
}

fn at(time: OffsetDateTime) -> SimpleExpr {
    time.into()
}

fn never() -> SimpleExpr {
    Option::<OffsetDateTime>::None.into()
}

/// What the seeding expects to survive, per table, by key.
#[derive(Default)]
struct Expected {
    survivors: Vec<(&'static str, Uuid)>,
    /// Rows the job deletes and counts.
    pruned: u64,
}

struct Seeder<'a> {
    db: &'a TestDb,
    user: Uuid,
    live_session: Uuid,
    expected: Expected,
}

impl Seeder<'_> {
    async fn outbox(&mut self, published_at: Option<OffsetDateTime>, dead: bool) -> Uuid {
        let id = Uuid::now_v7();
        let payload = json!({"id": id, "type": "user.profile_updated", "version": 1,
            "occurredAt": "2026-01-01T12:00:00Z", "userId": null, "data": {"name": null}});
        let long_ago = NOW - Duration::days(400);
        let columns = [
            "id",
            "event_type",
            "payload",
            "occurred_at",
            "attempts",
            "next_attempt_at",
            "published_at",
            "dead_lettered_at",
        ];
        let row = vec![
            id.into(),
            "user.profile_updated".into(),
            payload.into(),
            at(long_ago),
            0.into(),
            at(long_ago),
            published_at.into(),
            if dead { at(long_ago) } else { never() },
        ];
        insert(self.db, "outbox", &columns, row).await;
        id
    }

    async fn session(&mut self, revoked_at: Option<OffsetDateTime>) -> Uuid {
        let id = Uuid::now_v7();
        let long_ago = NOW - Duration::days(400);
        let columns = ["id", "user_id", "created_at", "last_used_at", "revoked_at"];
        let row = vec![
            id.into(),
            self.user.into(),
            at(long_ago),
            at(long_ago),
            revoked_at.into(),
        ];
        insert(self.db, "sessions", &columns, row).await;
        id
    }

    async fn refresh_token(
        &mut self,
        session: Uuid,
        used: Option<OffsetDateTime>,
        expires: OffsetDateTime,
    ) -> Uuid {
        let id = Uuid::now_v7();
        let columns = [
            "id",
            "session_id",
            "token_hash",
            "issued_at",
            "expires_at",
            "used_at",
        ];
        let row = vec![
            id.into(),
            session.into(),
            Uuid::new_v4().simple().to_string().into(),
            at(NOW - Duration::days(400)),
            at(expires),
            used.into(),
        ];
        insert(self.db, "refresh_tokens", &columns, row).await;
        id
    }

    async fn account_token(
        &mut self,
        used: Option<OffsetDateTime>,
        expires: OffsetDateTime,
    ) -> Uuid {
        let id = Uuid::now_v7();
        let columns = [
            "id",
            "user_id",
            "purpose",
            "token_hash",
            "created_at",
            "expires_at",
            "used_at",
        ];
        let row = vec![
            id.into(),
            self.user.into(),
            "verify_email".into(),
            format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple()).into(),
            at(NOW - Duration::days(400)),
            at(expires),
            used.into(),
        ];
        insert(self.db, "account_tokens", &columns, row).await;
        id
    }

    async fn handled(&mut self, handled_at: OffsetDateTime) -> Uuid {
        let event = Uuid::now_v7();
        let row = vec!["mail".into(), event.into(), at(handled_at)];
        insert(
            self.db,
            "handled_events",
            &["handler", "event_id", "handled_at"],
            row,
        )
        .await;
        event
    }

    async fn audit(&mut self, occurred_at: OffsetDateTime) -> Uuid {
        let id = Uuid::now_v7();
        let columns = [
            "id",
            "event_type",
            "user_id",
            "occurred_at",
            "payload",
            "recorded_at",
        ];
        let row = vec![
            id.into(),
            "user.profile_updated".into(),
            self.user.into(),
            at(occurred_at),
            json!({"id": id}).into(),
            at(occurred_at),
        ];
        insert(self.db, "audit_log", &columns, row).await;
        id
    }

    fn keeps(&mut self, table: &'static str, id: Uuid) {
        self.expected.survivors.push((table, id));
    }

    /// Rows of every kind: `OLD` that ended just before their cutoff (once for each way a row
    /// can end), and as many kinds of newer or unended rows that must stay.
    async fn seed(&mut self, policy: &RetentionPolicy) {
        let cutoff = |kind| NOW - policy.period(kind);
        let (outbox, sessions, accounts, handled, audit) = (
            cutoff(RetentionKind::PublishedEvents),
            cutoff(RetentionKind::EndedSessions),
            cutoff(RetentionKind::AccountTokens),
            cutoff(RetentionKind::HandledEvents),
            cutoff(RetentionKind::AuditEvents),
        );
        let future = NOW + Duration::days(1);
        let live = self.live_session;
        for _ in 0..OLD {
            self.outbox(Some(outbox - MARGIN), false).await;
            self.refresh_token(live, Some(sessions - MARGIN), future)
                .await;
            self.refresh_token(live, None, sessions - MARGIN).await;
            let ended = self.session(Some(sessions - MARGIN)).await;
            // Goes with its session, uncounted, although neither used nor expired.
            self.refresh_token(ended, None, future).await;
            self.account_token(Some(accounts - MARGIN), future).await;
            self.account_token(None, accounts - MARGIN).await;
            self.handled(handled - MARGIN).await;
            self.audit(audit - MARGIN).await;
            self.expected.pruned += 8;
        }
        let id = self.outbox(Some(outbox + MARGIN), false).await;
        self.keeps("outbox", id);
        let id = self.outbox(None, false).await;
        self.keeps("outbox", id);
        let id = self.outbox(None, true).await;
        self.keeps("outbox", id);
        let id = self
            .refresh_token(live, Some(sessions + MARGIN), future)
            .await;
        self.keeps("refresh_tokens", id);
        let id = self.refresh_token(live, None, sessions + MARGIN).await;
        self.keeps("refresh_tokens", id);
        let id = self.session(Some(sessions + MARGIN)).await;
        self.keeps("sessions", id);
        self.keeps("sessions", live);
        let id = self.account_token(Some(accounts + MARGIN), future).await;
        self.keeps("account_tokens", id);
        let id = self.account_token(None, accounts + MARGIN).await;
        self.keeps("account_tokens", id);
        let id = self.handled(handled + MARGIN).await;
        self.keeps("handled_events", id);
        let id = self.audit(audit + MARGIN).await;
        self.keeps("audit_log", id);
    }
}

async fn seeded(db: &TestDb, policy: &RetentionPolicy) -> Expected {
    let user = Uuid::now_v7();
    let long_ago = at(NOW - Duration::days(400));
    let columns = [
        "id",
        "email",
        "role",
        "email_verified",
        "password_hash",
        "created_at",
        "updated_at",
    ];
    let row = vec![
        user.into(),
        "ada@example.com".into(),
        "user".into(),
        true.into(),
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
        long_ago.clone(),
        long_ago,
    ];
    insert(db, "users", &columns, row).await;
    let mut seeder = Seeder {
        db,
        user,
        live_session: Uuid::nil(),
        expected: Expected::default(),
    };
    seeder.live_session = seeder.session(None).await;
    seeder.seed(policy).await;
    seeder.expected
}

/// The keys left in `table` (`handled_events` by event id).
async fn left(db: &TestDb, table: &str) -> BTreeSet<Uuid> {
    let key = if table == "handled_events" {
        "event_id"
    } else {
        "id"
    };
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT {key} AS k FROM {table}"),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get("", "k").unwrap())
        .collect()
}

/// Runs rounds until one fills no batch, and returns the rows it deleted.
async fn run_job(housekeeping: Housekeeping) -> u64 {
    let mut total = 0;
    loop {
        let report = housekeeping.prune_round().await.unwrap();
        total += report.total();
        if !report.more_due {
            return total;
        }
    }
}

async fn the_job_run_twice_at_once_prunes_exactly_the_rows_past_their_retention(backend: Backend) {
    let db = fresh_database(backend).await;
    let policy = RetentionPolicy::default();
    let expected = seeded(&db, &policy).await;
    let clock: Arc<dyn Clock> = ManualClock::at(NOW);
    let job = || {
        let retention = Arc::new(SeaRetention::new(db.connection()));
        Housekeeping::new(retention, Arc::clone(&clock), policy, BATCH)
    };

    let (first, second) = (tokio::spawn(run_job(job())), tokio::spawn(run_job(job())));
    let pruned = first.await.unwrap() + second.await.unwrap();

    assert_eq!(pruned, expected.pruned);
    for table in [
        "outbox",
        "refresh_tokens",
        "sessions",
        "account_tokens",
        "handled_events",
        "audit_log",
    ] {
        let survivors: BTreeSet<Uuid> = expected
            .survivors
            .iter()
            .filter(|(of, _)| *of == table)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(left(&db, table).await, survivors, "{table} on {backend}");
    }
}
