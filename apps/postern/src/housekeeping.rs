//! The housekeeping loop (docs/http-api.md §8, "Retention"): runs [`Housekeeping`] rounds until
//! nothing more is due, then waits `RETENTION_INTERVAL`, until stopped. `postern worker` and the
//! server without separate workers (the embedded default, `serve --with-workers`) run it; the
//! port keeps several of them from deleting a row twice or waiting on each other.
//!
//! A stop is honoured between rounds, so a round in hand finishes (each is a few short
//! statements). Rows deleted are counted per kind in `postern_retention_pruned_total`.

use std::time::Duration;

use postern_core::usecases::Housekeeping;
use postern_http::observability;
use tokio::sync::watch;
use tracing::{info, warn};

/// Prunes every `interval` until `stopped` turns true. The first run is at once, so that a
/// process started after a long pause catches up.
pub(crate) async fn run(
    housekeeping: Housekeeping,
    interval: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    while !*stopped.borrow() {
        prune_until_done(&housekeeping, &stopped).await;
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// Rounds until none fills a batch (or a stop, or a failure, which waits for the next run).
async fn prune_until_done(housekeeping: &Housekeeping, stopped: &watch::Receiver<bool>) {
    let mut total = 0;
    while !*stopped.borrow() {
        match housekeeping.prune_round().await {
            Ok(report) => {
                for (kind, count) in &report.pruned {
                    if *count > 0 {
                        observability::record_pruned(kind.name(), *count);
                    }
                }
                total += report.total();
                if !report.more_due {
                    break;
                }
            }
            Err(error) => {
                warn!(
                    error = &error as &dyn std::error::Error,
                    "housekeeping could not prune; trying again at its next run"
                );
                break;
            }
        }
    }
    if total > 0 {
        info!(
            rows = total,
            "housekeeping pruned rows past their retention"
        );
    }
}
