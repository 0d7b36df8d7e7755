//! The outbox relay: a loop that moves committed outbox events to their publisher (the
//! in-process handlers, or the Redis streams) until stopped. Every API instance runs one; the
//! outbox's claims keep them from publishing the same event twice.
//!
//! Whatever is pending at a stop stays in the outbox and goes out at the next start, and an
//! unreachable publisher leaves events waiting in the outbox: nothing is lost. Such an outage
//! is logged when it starts and when it ends, not once per batch.

use std::time::Duration;

use postern_core::domain::EventId;
use postern_core::ports::PortError;
use postern_core::usecases::DeliverEvents;
use tokio::sync::watch;
use tracing::{info, warn};

/// How long the relay waits after finding the outbox empty.
const IDLE_PAUSE: Duration = Duration::from_millis(200);
/// How long the relay waits after the outbox could not be read or the publisher reached.
const FAILED_PAUSE: Duration = Duration::from_secs(1);

/// Relays batches until `stopped` turns true.
///
/// Each batch is marked published while the next one is claimed and published, so that the
/// mark's commit is not waited for on its own: the relay's pace is one claim and one
/// publication per batch. Publication stays in order; only the marks trail by one batch.
pub(crate) async fn run(delivery: DeliverEvents, mut stopped: watch::Receiver<bool>) {
    let mut blocked = false;
    let mut unmarked: Vec<EventId> = Vec::new();
    while !*stopped.borrow() {
        let (next, marked) =
            tokio::join!(delivery.publish_next(), delivery.mark_published(&unmarked));
        let marks_failed = match marked {
            Ok(()) => {
                unmarked.clear();
                false
            }
            Err(error) => {
                warn_unreadable(&error);
                true
            }
        };
        let pause = match next {
            Ok(batch) => {
                unmarked.extend(batch.unmarked);
                let report = batch.report;
                if report.is_blocked() != blocked {
                    blocked = report.is_blocked();
                    log_transition(blocked, report.deferred);
                }
                if report.is_blocked() || marks_failed {
                    FAILED_PAUSE
                } else if report.is_idle() {
                    IDLE_PAUSE
                } else {
                    continue;
                }
            }
            Err(error) => {
                warn_unreadable(&error);
                FAILED_PAUSE
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stopped.changed() => {}
        }
    }
    // What was published is marked before the stop, so that the next start sends none of it
    // again; failing that, the leases end and it goes out again, at least once as promised.
    if let Err(error) = delivery.mark_published(&unmarked).await {
        warn_unreadable(&error);
    }
}

fn warn_unreadable(error: &PortError) {
    warn!(
        error = error as &dyn std::error::Error,
        "event delivery could not read or update the outbox"
    );
}

fn log_transition(blocked: bool, waiting: usize) {
    if blocked {
        warn!(
            waiting,
            "event publisher unreachable; events wait in the outbox until it is back"
        );
    } else {
        info!("event publisher reachable again; delivering the events that waited");
    }
}
