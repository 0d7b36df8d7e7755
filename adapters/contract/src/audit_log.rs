//! The audit log (docs/http-api.md §5): the [`EventHandler`](postern_core::ports::EventHandler)
//! named `audit` records each delivered event once, however often it arrives, alone or in a batch;
//! the [`AuditTrail`](postern_core::ports::AuditTrail) reads the records back newest first,
//! filtered and paged.

use postern_core::domain::{
    AuditQuery, AuditRecord, Event, EventData, EventId, PageKey, PageLimit, PageRequest, UserId,
};
use time::{Duration, OffsetDateTime};

use crate::Storage;
use crate::fixtures::T0;

/// The audit log's contract, as module `audit_log`, on the [`Storage`](crate::Storage) that
/// `$make().await` returns.
#[macro_export]
macro_rules! audit_log_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built audit_log, $make, audit_log: [
            an_event_delivered_twice_is_recorded_once,
            a_batch_is_recorded_once_per_event_beside_what_is_already_there,
            records_are_listed_newest_first_by_user_and_type,
            a_page_holds_one_record_more_than_its_limit_and_continues_after_its_key,
        ]);
    };
}

fn profile_updated(user: Option<UserId>, at: OffsetDateTime) -> Event {
    Event::new(EventData::ProfileUpdated { name: None }, user, at)
}

fn password_changed(user: Option<UserId>, at: OffsetDateTime) -> Event {
    let data = EventData::PasswordChanged {
        email: "ada@example.com".into(),
    };
    Event::new(data, user, at)
}

fn query(user: Option<UserId>, event_type: Option<&str>, limit: Option<i64>) -> AuditQuery {
    AuditQuery {
        user,
        event_type: event_type.map(str::to_owned),
        page: PageRequest {
            after: None,
            limit: PageLimit::parse(limit).unwrap(),
        },
    }
}

async fn listed(storage: &dyn Storage, query: &AuditQuery) -> Vec<EventId> {
    let records = storage.audit_trail().list(query).await.unwrap();
    records.iter().map(|r| r.id).collect()
}

async fn record_all(storage: &dyn Storage, events: &[&Event]) {
    for event in events {
        storage.audit_log().handle(event).await.unwrap();
    }
}

/// An event handled twice is one record, which says what the event was.
pub async fn an_event_delivered_twice_is_recorded_once(storage: &dyn Storage) {
    let handler = storage.audit_log();
    let user = UserId::generate();
    let event = profile_updated(Some(user), T0);

    handler.handle(&event).await.unwrap();
    handler.handle(&event).await.unwrap();

    assert_eq!(handler.name(), "audit");
    let records = storage
        .audit_trail()
        .list(&query(None, None, None))
        .await
        .unwrap();
    let [record]: [AuditRecord; 1] = records.try_into().unwrap();
    assert_eq!(record.id, event.event_id());
    assert_eq!(record.event_type, "user.profile_updated");
    assert_eq!(record.user_id, Some(user));
    assert_eq!(record.occurred_at, T0);
    assert!(record.event_json.contains(&event.id.to_string()));
}

/// A batch records each of its events once, beside an event of it already recorded.
pub async fn a_batch_is_recorded_once_per_event_beside_what_is_already_there(
    storage: &dyn Storage,
) {
    let handler = storage.audit_log();
    let events: Vec<Event> = (0..3).map(|_| profile_updated(None, T0)).collect();

    handler.handle(&events[1]).await.unwrap();
    handler.handle_batch(&events).await.unwrap();

    let mut recorded = listed(storage, &query(None, None, None)).await;
    let mut expected: Vec<EventId> = events.iter().map(Event::event_id).collect();
    recorded.sort_by_key(|id| id.as_uuid());
    expected.sort_by_key(|id| id.as_uuid());
    assert_eq!(recorded, expected);
}

/// Records come newest first, of one user or one event type when asked.
pub async fn records_are_listed_newest_first_by_user_and_type(storage: &dyn Storage) {
    let (ada, grace) = (UserId::generate(), UserId::generate());
    let old = profile_updated(Some(ada), T0);
    let new = password_changed(Some(ada), T0 + Duration::minutes(1));
    let theirs = profile_updated(Some(grace), T0 + Duration::minutes(2));
    let anonymous = password_changed(None, T0 + Duration::minutes(3));
    record_all(storage, &[&new, &anonymous, &old, &theirs]).await;

    let everything = listed(storage, &query(None, None, None)).await;
    let adas = listed(storage, &query(Some(ada), None, None)).await;
    let changes = listed(storage, &query(None, Some("user.password_changed"), None)).await;
    let adas_changes = listed(
        storage,
        &query(Some(ada), Some("user.password_changed"), None),
    )
    .await;

    let ids = |events: &[&Event]| events.iter().map(|e| e.event_id()).collect::<Vec<_>>();
    assert_eq!(everything, ids(&[&anonymous, &theirs, &new, &old]));
    assert_eq!(adas, ids(&[&new, &old]));
    assert_eq!(changes, ids(&[&anonymous, &new]));
    assert_eq!(adas_changes, ids(&[&new]));
}

/// A page holds one record beyond its limit, so the caller sees that more follow; the next
/// starts strictly after its key, by time and then by id for records of the same instant.
pub async fn a_page_holds_one_record_more_than_its_limit_and_continues_after_its_key(
    storage: &dyn Storage,
) {
    let older = profile_updated(None, T0);
    let twins = [
        profile_updated(None, T0 + Duration::minutes(1)),
        profile_updated(None, T0 + Duration::minutes(1)),
    ];
    record_all(storage, &[&older, &twins[0], &twins[1]]).await;
    let (high, low) = if twins[0].id > twins[1].id {
        (&twins[0], &twins[1])
    } else {
        (&twins[1], &twins[0])
    };
    let after = |event: &Event| AuditQuery {
        page: PageRequest {
            after: Some(PageKey {
                at: event.occurred_at,
                id: event.id,
            }),
            limit: PageLimit::parse(None).unwrap(),
        },
        ..query(None, None, None)
    };

    let first_page = listed(storage, &query(None, None, Some(1))).await;
    let after_high = listed(storage, &after(high)).await;
    let after_low = listed(storage, &after(low)).await;

    assert_eq!(first_page, [high.event_id(), low.event_id()]);
    assert_eq!(after_high, [low.event_id(), older.event_id()]);
    assert_eq!(after_low, [older.event_id()]);
}
