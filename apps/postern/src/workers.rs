//! Stream workers: loops that run [`StreamConsumer`]s until stopped, as `postern worker` or
//! inside `postern serve --with-workers`, beside the housekeeping job.
//!
//! A stop is honoured between batches, so what is in hand is finished and acknowledged first;
//! what a killed worker left unacknowledged is claimed by another after the visibility
//! timeout. A Redis outage is logged when it starts and when it ends, not once per batch.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use poem::listener::{Listener as _, TcpListener};
use postern_redis::streams::{EventStream, StreamConsumer};
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::config::Config;
use postern_http::observability;

use crate::{housekeeping, shutdown, wiring};

/// How long a worker waits after Redis failed it before trying again.
const FAILED_PAUSE: Duration = Duration::from_secs(1);
/// How often a worker trims its stream.
const TRIM_EVERY: Duration = Duration::from_secs(60);

/// Which streams a worker process consumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkerKind {
    /// `email-events`: sends mail.
    Email,
    /// `audit-events`: writes the audit log.
    Audit,
    /// Both `email-events` and `audit-events`.
    All,
}

impl WorkerKind {
    /// The streams this kind consumes.
    pub fn streams(self) -> &'static [EventStream] {
        match self {
            Self::Email => &[EventStream::Email],
            Self::Audit => &[EventStream::Audit],
            Self::All => &EventStream::ALL,
        }
    }
}

/// Worker loops that are running.
pub struct RunningWorkers {
    stop: watch::Sender<bool>,
    loops: Vec<JoinHandle<()>>,
    deadline: Duration,
    /// The `/metrics` listener of a `postern worker` process, if it has one.
    metrics: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningWorkers {
    /// Starts one loop per consumer; they stop when `stop` turns true, and are abandoned
    /// (their entries in hand are claimed again later) when that takes longer than `deadline`.
    pub(crate) fn spawn(consumers: Vec<StreamConsumer>, deadline: Duration) -> Self {
        let (stop, stopped) = watch::channel(false);
        let loops = consumers
            .into_iter()
            .map(|consumer| tokio::spawn(run(consumer, stopped.clone())))
            .collect();
        Self {
            stop,
            loops,
            deadline,
            metrics: None,
        }
    }

    /// Also runs the housekeeping job on `db`, stopped with the workers.
    pub(crate) fn with_housekeeping(mut self, config: &Config, db: &DatabaseConnection) -> Self {
        let job = housekeeping::run(
            wiring::housekeeping(config, db),
            config.retention.interval,
            self.stop.subscribe(),
        );
        self.loops.push(tokio::spawn(job));
        self
    }

    /// Asks every loop to stop after its batch in hand, and waits for them.
    ///
    /// # Errors
    /// When a loop panicked.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        if let Some(metrics) = &self.metrics {
            metrics.abort();
        }
        let all = async {
            for worker in self.loops {
                worker.await.context("stream worker task")?;
            }
            anyhow::Ok(())
        };
        match tokio::time::timeout(self.deadline, all).await {
            Ok(stopped) => stopped,
            Err(_) => {
                warn!(deadline = ?self.deadline, "workers did not stop in time (SHUTDOWN_TIMEOUT); their entries in hand will be claimed again");
                Ok(())
            }
        }
    }

    /// Runs until SIGINT or SIGTERM, then stops gracefully.
    ///
    /// # Errors
    /// When a loop panicked.
    pub async fn run_until_signalled(self) -> anyhow::Result<()> {
        shutdown::signal().await;
        info!("stopping workers after the entries in hand");
        self.stop().await
    }
}

/// Starts the workers of `kind` for `config`: `postern worker <kind>`.
///
/// # Errors
/// When Redis is not configured, or the database cannot be set up.
pub async fn start(config: &Config, kind: WorkerKind) -> anyhow::Result<RunningWorkers> {
    // Installed before the first batch, so that nothing is counted into a no-op recorder.
    observability::handle();
    let db = wiring::database(config).await?;
    let consumers = wiring::consumers(config, &db, kind.streams()).await?;
    let mut workers =
        RunningWorkers::spawn(consumers, config.shutdown_timeout).with_housekeeping(config, &db);
    if let Some(port) = config.worker_metrics_port {
        workers.metrics = Some(serve_metrics(SocketAddr::new(config.host, port)).await?);
    }
    info!(?kind, "workers started");
    Ok(workers)
}

/// Serves `GET /metrics` for a worker process, which has no API server to carry it.
async fn serve_metrics(addr: SocketAddr) -> anyhow::Result<JoinHandle<std::io::Result<()>>> {
    let acceptor = TcpListener::bind(addr)
        .into_acceptor()
        .await
        .with_context(|| format!("listening on {addr} (HOST, WORKER_METRICS_PORT)"))?;
    let app = poem::Route::new().at("/metrics", poem::get(postern_http::metrics));
    info!(%addr, "worker metrics at /metrics");
    Ok(tokio::spawn(
        poem::Server::new_with_acceptor(acceptor).run(app),
    ))
}

async fn run(consumer: StreamConsumer, mut stopped: watch::Receiver<bool>) {
    let stream = consumer.stream();
    let mut failing = false;
    let mut joined = false;
    let mut last_trim: Option<Instant> = None;
    while !*stopped.borrow() {
        let outcome = async {
            if !joined {
                consumer.join_group().await?;
                joined = true;
            }
            if last_trim.is_none_or(|at| at.elapsed() >= TRIM_EVERY) {
                let trimmed = consumer.trim().await?;
                if trimmed > 0 {
                    info!(%stream, trimmed, "trimmed acknowledged entries past the retention");
                }
                last_trim = Some(Instant::now());
            }
            consumer.process_batch().await
        }
        .await;
        if let Ok(report) = &outcome {
            observability::record_worker_batch(
                stream.name(),
                report.handled,
                report.dead_lettered,
                report.deferred,
                report.claimed,
            );
        }
        match outcome {
            Ok(_) if failing => {
                failing = false;
                info!(%stream, "worker reaches Redis again");
            }
            Ok(_) => {}
            Err(error) => {
                observability::record_worker_failure(stream.name());
                // A Redis that came back empty has lost the group too: join it again.
                joined = false;
                if !failing {
                    warn!(%stream, error = &error as &dyn std::error::Error, "worker cannot reach Redis; retrying every second");
                }
                failing = true;
                tokio::select! {
                    () = tokio::time::sleep(FAILED_PAUSE) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
    }
}
