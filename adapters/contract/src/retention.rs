//! The [`Retention`] contract: a prune deletes, up to its limit, exactly the
//! rows of its kind that ended strictly before the cutoff, and concurrent prunes delete each row
//! once.

use std::sync::Arc;

use postern_core::domain::{
    AuditQuery, Event, EventData, EventId, NewAccountToken, PageLimit, PageRequest, SessionId,
    TokenPurpose, UserId,
};
use postern_core::ports::{Retention, RetentionKind};
use time::{Duration, OffsetDateTime};

use crate::fixtures::{T0, logged_out, new_session, rotation_of, unique_digest};
use crate::storage::{add_user_id, start, written_events};
use crate::{ManualClock, OutboxSettings, Storage};

/// The [`Retention`](postern_core::ports::Retention) contract, as module `retention`, on the
/// [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! retention_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built retention, $make, retention: [
            published_events_go_once_published_before_the_cutoff_and_pending_ones_stay,
            refresh_tokens_go_once_used_or_expired_before_the_cutoff,
            ended_sessions_go_with_their_tokens_and_live_ones_stay,
            account_tokens_go_once_expired_before_the_cutoff,
            handled_event_records_go_once_handled_before_the_cutoff,
            audit_events_go_once_they_occurred_before_the_cutoff,
            concurrent_prunes_delete_each_row_once,
        ]);
    };
}

const MS: Duration = Duration::milliseconds(1);
const FOREVER: Duration = Duration::days(36_500);

/// Prunes `kind` before `before`, at most `limit` rows.
async fn prune(
    storage: &dyn Storage,
    kind: RetentionKind,
    before: OffsetDateTime,
    limit: u64,
) -> u64 {
    storage
        .retention()
        .prune(kind, before, limit)
        .await
        .unwrap()
}

fn event_at(at: OffsetDateTime) -> Event {
    Event::new(
        EventData::ProfileUpdated { name: None },
        Some(UserId::generate()),
        at,
    )
}

/// Three events published at [`T0`] go, at most `limit` at a time, once the cutoff is past
/// [`T0`]; an event still pending stays whatever the cutoff.
pub async fn published_events_go_once_published_before_the_cutoff_and_pending_ones_stay(
    storage: &dyn Storage,
) {
    let outbox = storage.outbox(OutboxSettings::on(ManualClock::at(T0)));
    for _ in 0..3 {
        outbox.append(&event_at(T0)).await.unwrap();
    }
    let published: Vec<EventId> = outbox
        .claim(10)
        .await
        .unwrap()
        .iter()
        .map(Event::event_id)
        .collect();
    outbox.mark_published(&published).await.unwrap();
    let pending = event_at(T0);
    outbox.append(&pending).await.unwrap();
    let kind = RetentionKind::PublishedEvents;

    assert_eq!(prune(storage, kind, T0, 10).await, 0);
    assert_eq!(prune(storage, kind, T0 + MS, 2).await, 2);
    assert_eq!(prune(storage, kind, T0 + MS, 10).await, 1);
    assert_eq!(prune(storage, kind, T0 + FOREVER, 10).await, 0);
    let left: Vec<EventId> = written_events(storage)
        .await
        .iter()
        .map(Event::event_id)
        .collect();
    assert_eq!(left, vec![pending.event_id()]);
}

/// A token used an hour after [`T0`] goes once the cutoff passes its use; its successor only
/// once the cutoff passes its expiry.
pub async fn refresh_tokens_go_once_used_or_expired_before_the_cutoff(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let session = start(storage, new_session(user)).await;
    let used_at = T0 + Duration::hours(1);
    let rotation = rotation_of(&session, used_at);
    assert!(storage.sessions().rotate(&rotation).await.unwrap());
    let kind = RetentionKind::RefreshTokens;
    let found = |digest| async move {
        storage
            .sessions()
            .find_refresh_token(digest)
            .await
            .unwrap()
            .is_some()
    };

    assert_eq!(prune(storage, kind, used_at, 10).await, 0);
    assert_eq!(prune(storage, kind, used_at + MS, 10).await, 1);
    assert!(!found(&session.refresh_token.digest).await);
    assert!(found(&rotation.successor.digest).await);
    let expiry = rotation.successor.expires_at;
    assert_eq!(prune(storage, kind, expiry, 10).await, 0);
    assert_eq!(prune(storage, kind, expiry + MS, 10).await, 1);
    assert!(!found(&rotation.successor.digest).await);
}

/// Two sessions revoked an hour after [`T0`] go with their refresh tokens, at most `limit` at
/// a time, once the cutoff passes the revocation; a live session stays whatever the cutoff.
pub async fn ended_sessions_go_with_their_tokens_and_live_ones_stay(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let ended = [
        start(storage, new_session(user)).await,
        start(storage, new_session(user)).await,
    ];
    let live = start(storage, new_session(user)).await;
    let revoked_at = T0 + Duration::hours(1);
    let ids: Vec<SessionId> = ended.iter().map(|session| session.id).collect();
    let event = logged_out(user, &ids, revoked_at);
    for id in &ids {
        assert!(
            storage
                .sessions()
                .revoke(user, *id, revoked_at, &event)
                .await
                .unwrap()
        );
    }
    let kind = RetentionKind::EndedSessions;

    assert_eq!(prune(storage, kind, revoked_at, 10).await, 0);
    assert_eq!(prune(storage, kind, revoked_at + MS, 1).await, 1);
    assert_eq!(prune(storage, kind, revoked_at + MS, 10).await, 1);
    assert_eq!(prune(storage, kind, T0 + FOREVER, 10).await, 0);
    let sessions = storage.sessions();
    for session in &ended {
        let token = sessions
            .find_refresh_token(&session.refresh_token.digest)
            .await
            .unwrap();
        assert!(token.is_none(), "a pruned session's token is left");
    }
    assert!(!sessions.is_revoked(live.id).await.unwrap());
    assert!(
        sessions
            .find_refresh_token(&live.refresh_token.digest)
            .await
            .unwrap()
            .is_some()
    );
}

/// Of two tokens, the one that expired before the cutoff goes; the other stays.
pub async fn account_tokens_go_once_expired_before_the_cutoff(storage: &dyn Storage) {
    let user = add_user_id(storage, "ada@example.com").await;
    let purpose = TokenPurpose::VerifyEmail;
    let early = NewAccountToken::new(user, purpose, unique_digest(), T0);
    let late = NewAccountToken::new(user, purpose, unique_digest(), T0 + Duration::days(1));
    for token in [&early, &late] {
        storage.account_tokens().issue(token).await.unwrap();
    }
    let kind = RetentionKind::AccountTokens;
    let found = |token: &NewAccountToken| {
        let digest = token.digest.clone();
        async move {
            let tokens = storage.account_tokens();
            tokens.find(purpose, &digest).await.unwrap().is_some()
        }
    };

    assert_eq!(prune(storage, kind, early.expires_at, 10).await, 0);
    assert_eq!(prune(storage, kind, early.expires_at + MS, 10).await, 1);
    assert!(!found(&early).await);
    assert!(found(&late).await);
}

/// A record of a handled event goes once the cutoff passes the moment it was recorded (the
/// store's own time: a few seconds' margin either side).
pub async fn handled_event_records_go_once_handled_before_the_cutoff(storage: &dyn Storage) {
    let handled = storage.handled_events();
    let event = EventId::generate();
    handled.record_handled("mail", event).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let kind = RetentionKind::HandledEvents;

    assert_eq!(
        prune(storage, kind, now - Duration::minutes(1), 10).await,
        0
    );
    assert!(handled.was_handled("mail", event).await.unwrap());
    assert_eq!(
        prune(storage, kind, now + Duration::minutes(1), 10).await,
        1
    );
    assert!(!handled.was_handled("mail", event).await.unwrap());
}

/// Of two audit events, the one that occurred before the cutoff goes.
pub async fn audit_events_go_once_they_occurred_before_the_cutoff(storage: &dyn Storage) {
    let (old, new) = (event_at(T0), event_at(T0 + Duration::days(1)));
    for event in [&old, &new] {
        storage.audit_log().handle(event).await.unwrap();
    }

    assert_eq!(prune(storage, RetentionKind::AuditEvents, T0, 10).await, 0);
    assert_eq!(
        prune(storage, RetentionKind::AuditEvents, T0 + MS, 10).await,
        1
    );
    let query = AuditQuery {
        user: None,
        event_type: None,
        page: PageRequest {
            after: None,
            limit: PageLimit::parse(Some(10)).unwrap(),
        },
    };
    let left: Vec<EventId> = storage
        .audit_trail()
        .list(&query)
        .await
        .unwrap()
        .iter()
        .map(|record| record.id)
        .collect();
    assert_eq!(left, vec![new.event_id()]);
}

/// Four pruners racing over 40 rows in batches of 3 delete 40 in all.
pub async fn concurrent_prunes_delete_each_row_once(storage: &dyn Storage) {
    for _ in 0..40 {
        storage.audit_log().handle(&event_at(T0)).await.unwrap();
    }
    let pruners: Vec<_> = (0..4)
        .map(|_| {
            let retention: Arc<dyn Retention> = storage.retention();
            tokio::spawn(async move {
                let mut deleted = 0;
                loop {
                    let batch = retention
                        .prune(RetentionKind::AuditEvents, T0 + MS, 3)
                        .await
                        .unwrap();
                    if batch == 0 {
                        return deleted;
                    }
                    deleted += batch;
                }
            })
        })
        .collect();

    let mut total = 0;
    for pruner in pruners {
        total += pruner.await.unwrap();
    }

    assert_eq!(total, 40);
    assert_eq!(
        prune(storage, RetentionKind::AuditEvents, T0 + FOREVER, 10).await,
        0
    );
}
