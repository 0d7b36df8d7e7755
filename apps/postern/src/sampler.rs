//! Gauges that are sampled rather than counted: the event queues (the outbox backlog, stream
//! length, pending entries and dead letters) and the database pool. One loop per server reads
//! them every few seconds; reading them per scrape would let scrapers load the database.

use std::time::Duration;

use metrics::gauge;
use postern_core::usecases::QueueAdmin;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use tokio::sync::watch;
use tracing::debug;

/// How often the gauges are refreshed.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Samples `queues` and the pool of `db` until `stopped` turns true.
pub async fn sample_until_stopped(
    queues: &QueueAdmin,
    db: &DatabaseConnection,
    mut stopped: watch::Receiver<bool>,
) {
    while !*stopped.borrow() {
        sample(queues, db).await;
        if let Some(handle) = postern_http::observability::handle() {
            handle.run_upkeep();
        }
        tokio::select! {
            () = tokio::time::sleep(SAMPLE_EVERY) => {}
            _ = stopped.changed() => {}
        }
    }
}

async fn sample(queues: &QueueAdmin, db: &DatabaseConnection) {
    match queues.stats().await {
        Ok(stats) => {
            for queue in stats {
                let name = queue.name;
                gauge!("postern_queue_length", "queue" => name.clone()).set(queue.length as f64);
                gauge!("postern_queue_pending", "queue" => name.clone()).set(queue.pending as f64);
                gauge!("postern_queue_dead_letters", "queue" => name)
                    .set(queue.dead_letters as f64);
            }
        }
        // An outage is reported by /ready and the relay; the gauges keep their last values.
        Err(error) => debug!(
            error = &error as &dyn std::error::Error,
            "queue figures unavailable"
        ),
    }
    let (size, idle) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    gauge!("postern_db_pool_connections", "state" => "in_use").set(f64::from(size - idle));
    gauge!("postern_db_pool_connections", "state" => "idle").set(f64::from(idle));
}
