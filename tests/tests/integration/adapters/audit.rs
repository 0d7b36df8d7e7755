//! `AuditLogHandler`: each event is recorded once, however often it is delivered, alone or in
//! a batch.

use postern_core::domain::{Event, EventData, UserId};
use postern_core::ports::EventHandler;
use postern_db::AuditLogHandler;
use postern_tests::db::{Backend, fresh_database};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use super::fixtures::T0;

on_both_backends!(
    an_event_delivered_twice_is_recorded_once,
    a_batch_is_recorded_once_per_event_beside_what_is_already_there
);

async fn an_event_delivered_twice_is_recorded_once(backend: Backend) {
    let db = fresh_database(backend).await;
    let handler = AuditLogHandler::new(db.connection());
    let user = UserId::generate();
    let event = Event::new(EventData::ProfileUpdated { name: None }, Some(user), T0);

    handler.handle(&event).await.unwrap();
    handler.handle(&event).await.unwrap();

    assert_eq!(handler.name(), "audit");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, event_type, user_id FROM audit_log",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].try_get::<Uuid>("", "id").unwrap(), event.id);
    assert_eq!(
        rows[0].try_get::<String>("", "event_type").unwrap(),
        "user.profile_updated"
    );
    assert_eq!(
        rows[0].try_get::<Option<Uuid>>("", "user_id").unwrap(),
        Some(user.as_uuid())
    );
}

async fn a_batch_is_recorded_once_per_event_beside_what_is_already_there(backend: Backend) {
    let db = fresh_database(backend).await;
    let handler = AuditLogHandler::new(db.connection());
    let events: Vec<Event> = (0..3)
        .map(|_| Event::new(EventData::ProfileUpdated { name: None }, None, T0))
        .collect();

    handler.handle(&events[1]).await.unwrap();
    handler.handle_batch(&events).await.unwrap();

    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM audit_log",
        ))
        .await
        .unwrap();
    let mut recorded: Vec<Uuid> = rows
        .iter()
        .map(|row| row.try_get::<Uuid>("", "id").unwrap())
        .collect();
    let mut expected: Vec<Uuid> = events.iter().map(|event| event.id).collect();
    recorded.sort();
    expected.sort();
    assert_eq!(recorded, expected);
}
