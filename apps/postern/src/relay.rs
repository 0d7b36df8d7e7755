//! The outbox relay: a loop that moves committed outbox events to their publisher (the
//! in-process handlers, or the Redis streams) until stopped. Every API instance runs one; the
//! outbox's claims keep them from publishing the same event twice.
//!
//! Whatever is pending at a stop stays in the outbox and goes out at the next start, and an
//! unreachable publisher leaves events waiting in the outbox: nothing is lost. Such an outage
//! is logged when it starts and when it ends, not once per batch.

use std::time::Duration;

use postern_core::usecases::DeliverEvents;
use tokio::sync::watch;
use tracing::{info, warn};

/// How long the relay waits after finding the outbox empty.
const IDLE_PAUSE: Duration = Duration::from_millis(200);
/// How long the relay waits after the outbox could not be read or the publisher reached.
const FAILED_PAUSE: Duration = Duration::from_secs(1);

/// Relays batches until `stopped` turns true.
pub(crate) async fn run(delivery: DeliverEvents, mut stopped: watch::Receiver<bool>) {
    let mut blocked = false;
    while !*stopped.borrow() {
        let pause = match delivery.deliver_batch().await {
            Ok(report) => {
                if report.is_blocked() != blocked {
                    blocked = report.is_blocked();
                    log_transition(blocked, report.deferred);
                }
                if report.is_blocked() {
                    FAILED_PAUSE
                } else if report.is_idle() {
                    IDLE_PAUSE
                } else {
                    continue;
                }
            }
            Err(error) => {
                warn!(
                    error = &error as &dyn std::error::Error,
                    "event delivery could not read the outbox"
                );
                FAILED_PAUSE
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stopped.changed() => {}
        }
    }
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
