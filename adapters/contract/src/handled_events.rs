//! [`HandledEvents`](postern_core::ports::HandledEvents): a handled event is remembered for its
//! handler only, and recording it again is harmless.

use postern_core::domain::EventId;

use crate::Storage;

/// The [`HandledEvents`](postern_core::ports::HandledEvents) contract, as module
/// `handled_events`, on the [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! handled_events_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built handled_events, $make, handled_events: [
            an_event_is_handled_once_recorded_and_for_its_handler_only,
            recording_an_event_twice_is_not_an_error,
        ]);
    };
}

/// Nothing is handled until recorded; a record names one handler and one event.
pub async fn an_event_is_handled_once_recorded_and_for_its_handler_only(storage: &dyn Storage) {
    let handled = storage.handled_events();
    let (event, other) = (EventId::generate(), EventId::generate());
    let before = handled.was_handled("mail", event).await.unwrap();

    handled.record_handled("mail", event).await.unwrap();

    assert!(!before);
    assert!(handled.was_handled("mail", event).await.unwrap());
    assert!(!handled.was_handled("audit", event).await.unwrap());
    assert!(!handled.was_handled("mail", other).await.unwrap());
}

/// A second record of the same handler and event succeeds and changes nothing.
pub async fn recording_an_event_twice_is_not_an_error(storage: &dyn Storage) {
    let handled = storage.handled_events();
    let event = EventId::generate();

    handled.record_handled("mail", event).await.unwrap();
    handled.record_handled("mail", event).await.unwrap();

    assert!(handled.was_handled("mail", event).await.unwrap());
}
