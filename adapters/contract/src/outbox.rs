//! [`Outbox`]: due events come out oldest first, published ones
//! never again, a failed one only after its backoff and a dead-lettered one not at all, a
//! claimed one to one relay at a time until its lease ends, and a released one at once.

use std::sync::Arc;

use postern_core::domain::{Event, EventData, UserId};
use postern_core::ports::Outbox;
use postern_core::ports::retry::{DEFAULT_LEASE, MAX_ERROR_CHARS};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::fixtures::T0;
use crate::{Delivery, ManualClock, OutboxSettings, Storage};

/// The [`Outbox`](postern_core::ports::Outbox) contract, as module `outbox`, on the
/// [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! outbox_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built outbox, $make, outbox: [
            claim_returns_due_events_in_time_order,
            appending_an_event_twice_stores_it_once,
            published_events_are_not_claimed,
            a_failed_event_waits_for_its_backoff,
            a_backoff_ends_in_time_order_not_text_order,
            an_event_that_fails_three_times_is_dead_lettered,
            max_attempts_sets_when_an_event_is_dead_lettered,
            a_failure_keeps_at_most_the_limit_of_its_reason,
            a_claimed_event_is_withheld_until_its_lease_ends,
            a_released_event_is_due_again_at_once_without_an_attempt,
            concurrent_relays_claim_every_event_exactly_once,
        ]);
    };
}

fn event_at(at: OffsetDateTime) -> Event {
    let data = EventData::ProfileUpdated {
        name: Some("Ada".into()),
    };
    Event::new(data, Some(UserId::generate()), at)
}

/// An outbox on a clock showing `now`, whose claims withhold nothing.
fn unleased(storage: &dyn Storage, now: OffsetDateTime) -> (Arc<dyn Outbox>, Arc<ManualClock>) {
    let clock = ManualClock::at(now);
    let outbox = storage.outbox(OutboxSettings::on(clock.clone()).unleased());
    (outbox, clock)
}

async fn delivery(storage: &dyn Storage, event: &Event) -> Delivery {
    storage.delivery(event.event_id()).await.unwrap()
}

/// Due events come oldest first, in time order (SQLite keeps these as `…:00.5Z`, `…:00Z`,
/// `…:01Z`, `…:00.25Z`), at most `limit` of them; an event occurring later is not due yet.
pub async fn claim_returns_due_events_in_time_order(storage: &dyn Storage) {
    let (outbox, _) = unleased(storage, T0 + Duration::seconds(2));
    let [half, whole, second, quarter, later] =
        [500, 0, 1000, 250, 3000].map(|ms| event_at(T0 + Duration::milliseconds(ms)));
    for event in [&half, &whole, &second, &quarter, &later] {
        outbox.append(event).await.unwrap();
    }

    let pending = outbox.claim(10).await.unwrap();

    assert_eq!(pending, vec![whole.clone(), quarter.clone(), half, second]);
    assert_eq!(outbox.claim(2).await.unwrap(), vec![whole, quarter]);
}

/// An event appended twice is one event.
pub async fn appending_an_event_twice_stores_it_once(storage: &dyn Storage) {
    let (outbox, _) = unleased(storage, T0);
    let event = event_at(T0);

    outbox.append(&event).await.unwrap();
    outbox.append(&event).await.unwrap();

    assert_eq!(outbox.claim(10).await.unwrap(), vec![event]);
}

/// A published event is never claimed again, however much later.
pub async fn published_events_are_not_claimed(storage: &dyn Storage) {
    let (outbox, clock) = unleased(storage, T0);
    let (first, second) = (event_at(T0), event_at(T0));
    outbox.append(&first).await.unwrap();
    outbox.append(&second).await.unwrap();

    outbox.mark_published(&[first.event_id()]).await.unwrap();
    outbox.mark_published(&[]).await.unwrap();

    assert_eq!(outbox.claim(10).await.unwrap(), vec![second.clone()]);
    clock.advance(Duration::hours(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![second]);
}

/// Records a failure of `event` with `reason`, then checks that it is due again `wait` later,
/// and not a millisecond earlier.
async fn fail_and_wait(
    outbox: &dyn Outbox,
    clock: &ManualClock,
    event: &Event,
    reason: &str,
    wait: Duration,
) {
    outbox
        .record_failure(event.event_id(), reason)
        .await
        .unwrap();
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(wait - Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![], "due before {wait}");
    clock.advance(Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![event.clone()]);
}

/// A failure makes an event wait 1 s, the next one 2 s; each failure is counted with its
/// reason.
pub async fn a_failed_event_waits_for_its_backoff(storage: &dyn Storage) {
    let (outbox, clock) = unleased(storage, T0 + Duration::seconds(10));
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    fail_and_wait(
        &*outbox,
        &clock,
        &event,
        "broker down",
        Duration::seconds(1),
    )
    .await;
    fail_and_wait(&*outbox, &clock, &event, "still down", Duration::seconds(2)).await;

    let expected = Delivery {
        attempts: 2,
        last_error: Some("still down".into()),
        dead_lettered: false,
    };
    assert_eq!(delivery(storage, &event).await, expected);
}

/// A backoff's end is compared as a time: due at `T0 + 1.5 s`, which SQLite keeps as
/// `…12:00:01.5Z`, while `…12:00:01Z` sorts after it as text.
pub async fn a_backoff_ends_in_time_order_not_text_order(storage: &dyn Storage) {
    let (outbox, clock) = unleased(storage, T0 + Duration::milliseconds(500));
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    outbox
        .record_failure(event.event_id(), "broker down")
        .await
        .unwrap();
    for step in [500, 400, 99] {
        clock.advance(Duration::milliseconds(step));
        assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    }
    clock.advance(Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![event.clone()]);
    clock.advance(Duration::milliseconds(500));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![event]);
}

/// The third failure dead-letters an event: never due again, kept with its last error, and a
/// failure reported later changes nothing.
pub async fn an_event_that_fails_three_times_is_dead_lettered(storage: &dyn Storage) {
    let (outbox, clock) = unleased(storage, T0);
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    for attempt in 1..=3 {
        assert_eq!(outbox.claim(10).await.unwrap(), vec![event.clone()]);
        outbox
            .record_failure(event.event_id(), &format!("failure {attempt}"))
            .await
            .unwrap();
        clock.advance(Duration::seconds(1 << (attempt - 1)));
    }

    clock.advance(Duration::days(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    let dead = Delivery {
        attempts: 3,
        last_error: Some("failure 3".into()),
        dead_lettered: true,
    };
    assert_eq!(delivery(storage, &event).await, dead);
    outbox
        .record_failure(event.event_id(), "late failure")
        .await
        .unwrap();
    assert_eq!(delivery(storage, &event).await, dead);
}

/// The adapter's maximum of attempts decides when an event is dead-lettered.
pub async fn max_attempts_sets_when_an_event_is_dead_lettered(storage: &dyn Storage) {
    let clock = ManualClock::at(T0);
    let settings = OutboxSettings {
        max_attempts: 1,
        ..OutboxSettings::on(clock.clone()).unleased()
    };
    let outbox = storage.outbox(settings);
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    outbox
        .record_failure(event.event_id(), "broker down")
        .await
        .unwrap();

    clock.advance(Duration::days(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    assert!(delivery(storage, &event).await.dead_lettered);
}

/// A failure's reason is kept up to the outbox's limit, in characters.
pub async fn a_failure_keeps_at_most_the_limit_of_its_reason(storage: &dyn Storage) {
    let (outbox, _) = unleased(storage, T0);
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();
    let reason = "é".repeat(MAX_ERROR_CHARS + 5);

    outbox
        .record_failure(event.event_id(), &reason)
        .await
        .unwrap();

    let kept = delivery(storage, &event).await.last_error.unwrap();
    assert_eq!(kept, "é".repeat(MAX_ERROR_CHARS));
}

/// A claimed event is handed to no relay until its lease ends, and comes back then without an
/// attempt counted.
pub async fn a_claimed_event_is_withheld_until_its_lease_ends(storage: &dyn Storage) {
    let clock = ManualClock::at(T0);
    let outbox = storage.outbox(OutboxSettings::on(clock.clone()));
    let event = event_at(T0);
    outbox.append(&event).await.unwrap();

    assert_eq!(outbox.claim(10).await.unwrap(), vec![event.clone()]);
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(DEFAULT_LEASE - Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![]);
    clock.advance(Duration::milliseconds(1));
    assert_eq!(outbox.claim(10).await.unwrap(), vec![event.clone()]);
    assert_eq!(delivery(storage, &event).await.attempts, 0);
}

/// A released event is due again at once, without an attempt counted; the others stay
/// claimed.
pub async fn a_released_event_is_due_again_at_once_without_an_attempt(storage: &dyn Storage) {
    let clock = ManualClock::at(T0 + Duration::seconds(1));
    let outbox = storage.outbox(OutboxSettings::on(clock));
    let (first, second) = (event_at(T0), event_at(T0 + Duration::milliseconds(1)));
    outbox.append(&first).await.unwrap();
    outbox.append(&second).await.unwrap();
    assert_eq!(outbox.claim(10).await.unwrap().len(), 2);

    outbox.release(&[second.event_id()]).await.unwrap();

    assert_eq!(outbox.claim(10).await.unwrap(), vec![second.clone()]);
    assert_eq!(delivery(storage, &second).await.attempts, 0);
}

/// Four relays claiming small batches at once hand out every event exactly once.
pub async fn concurrent_relays_claim_every_event_exactly_once(storage: &dyn Storage) {
    let clock = ManualClock::at(T0 + Duration::seconds(1));
    let mut appended = Vec::new();
    let writer = storage.outbox(OutboxSettings::on(clock.clone()));
    for n in 0..200 {
        let event = event_at(T0 + Duration::milliseconds(n));
        writer.append(&event).await.unwrap();
        appended.push(event.id);
    }

    let relays: Vec<_> = (0..4)
        .map(|_| {
            let outbox = storage.outbox(OutboxSettings::on(clock.clone()));
            tokio::spawn(async move {
                let mut claimed = Vec::new();
                loop {
                    let batch = outbox.claim(7).await.unwrap();
                    if batch.is_empty() {
                        return claimed;
                    }
                    claimed.extend(batch.iter().map(|event| event.id));
                }
            })
        })
        .collect();
    let mut claimed: Vec<Uuid> = Vec::new();
    for relay in relays {
        claimed.extend(relay.await.unwrap());
    }

    claimed.sort();
    appended.sort();
    assert_eq!(claimed, appended, "every event claimed once, none twice");
}
