//! One circuit breaker for every Redis adapter of the process, so that an outage is noticed,
//! logged and recovered from once, not per request or per adapter.
//!
//! The breaker has three phases:
//! - **Up**: the resilient adapters use Redis. The first call that fails with
//!   [`PortError::Unavailable`], or the first connection error fred reports (a closed connection is
//!   reported at once, before any command has to time out on it), moves every adapter to
//!   **Down** at once, logs one warning, and starts one background prober. A Redis that
//!   restarted between two commands is therefore noticed too, and re-synchronised.
//! - **Down**: no request waits for Redis; each adapter answers from its fallback. The prober
//!   pings every pooled connection each probe interval (1 s by default).
//! - **Recovering**: Redis answers again. Writes that remove state (cache invalidations,
//!   revocations) go to Redis again, while reads still use the fallbacks, and the registered
//!   re-synchronisations run (re-seed revocations, flush cached profiles). Writes resume
//!   *before* the re-synchronisations read their source, so a change that the re-seed misses
//!   reaches Redis by itself. When they all succeed and nothing failed meanwhile, the phase is
//!   **Up** again and one line is logged; any failure on the way is **Down** again, silently,
//!   and the prober tries again later.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fred::prelude::{EventInterface, Pool};
use postern_core::ports::{PortError, PortResult};
use postern_core::{BoxError, error_chain};
use tokio::sync::broadcast::error::RecvError;

use super::connect::ping;

/// A step that brings Redis back in line with the database before it is trusted again.
#[async_trait]
pub(super) trait Resync: Send + Sync {
    /// What it re-synchronises, for logs.
    fn what(&self) -> &'static str;

    /// Runs the step; an error keeps Redis out of use until the next attempt.
    async fn resync(&self) -> PortResult<()>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Up,
    Recovering,
    Down,
}

struct State {
    phase: Phase,
    /// Bumped at every fall to Down, so that a recovery overtaken by a failure cannot finish.
    epoch: u64,
    down_since: Instant,
    prober_running: bool,
}

/// Whether Redis can be used now; shared by the resilient adapters of one process.
pub struct RedisHealth {
    pool: Pool,
    probe_interval: Duration,
    state: Mutex<State>,
    resyncs: Mutex<Vec<Arc<dyn Resync>>>,
}

impl RedisHealth {
    /// How often a Down breaker pings Redis, by default.
    pub const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_secs(1);

    /// A breaker for `pool` that probes every [`Self::DEFAULT_PROBE_INTERVAL`]; it starts Up.
    pub fn new(pool: Pool) -> Arc<Self> {
        Self::with_probe_interval(pool, Self::DEFAULT_PROBE_INTERVAL)
    }

    /// A breaker for `pool` that probes every `probe_interval` while Redis is down. Called
    /// within a Tokio runtime, it also watches the pool's connections (see the module doc).
    pub fn with_probe_interval(pool: Pool, probe_interval: Duration) -> Arc<Self> {
        let health = Arc::new(Self {
            pool,
            probe_interval,
            state: Mutex::new(State {
                phase: Phase::Up,
                epoch: 0,
                down_since: Instant::now(),
                prober_running: false,
            }),
            resyncs: Mutex::new(Vec::new()),
        });
        health.watch_connections();
        health
    }

    /// Trips the breaker as soon as fred reports a connection error (a connection that
    /// closed, or a reconnection that failed), so that no request has to find out by waiting.
    fn watch_connections(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        for client in self.pool.clients() {
            let mut errors = client.error_rx();
            // Weak, so that the watchers do not keep the breaker alive; they end with it.
            let health = Arc::downgrade(self);
            runtime.spawn(async move {
                loop {
                    match errors.recv().await {
                        Ok((error, _server)) => match health.upgrade() {
                            Some(health) => health.trip(&BoxError::from(error)),
                            None => return,
                        },
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return,
                    }
                }
            });
        }
    }

    /// Whether the adapters use Redis now: false from a failure until Redis answers and has
    /// been re-synchronised. A readiness probe can report it without a round trip.
    pub fn is_up(&self) -> bool {
        self.lock().phase == Phase::Up
    }

    /// Whether reads (and optional writes, like caching a profile) may use Redis.
    pub(super) fn serves_reads(&self) -> bool {
        self.is_up()
    }

    /// Whether writes that remove state (invalidations, revocations) must go to Redis.
    pub(super) fn takes_writes(&self) -> bool {
        self.lock().phase != Phase::Down
    }

    /// Adds a step that must succeed before Redis is used again after an outage.
    pub(super) fn register(&self, resync: Arc<dyn Resync>) {
        self.resyncs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(resync);
    }

    /// The value of a Redis call, or `None` when Redis is unavailable, which trips the breaker
    /// so that the caller uses its fallback. Other errors pass through untouched.
    pub(super) fn guard<T>(self: &Arc<Self>, result: PortResult<T>) -> PortResult<Option<T>> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(PortError::Unavailable(cause)) => {
                self.trip(&cause);
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Moves to Down (logging only the first fall) and makes sure a prober runs.
    fn trip(self: &Arc<Self>, cause: &BoxError) {
        let mut state = self.lock();
        match state.phase {
            Phase::Down => return,
            Phase::Up => {
                tracing::warn!(
                    cause = %error_chain(cause.as_ref()),
                    "Redis is unavailable; using the fallbacks until it answers again"
                );
                state.down_since = Instant::now();
            }
            Phase::Recovering => {
                tracing::debug!(cause = %error_chain(cause.as_ref()), "Redis failed during recovery");
            }
        }
        state.phase = Phase::Down;
        state.epoch += 1;
        if !state.prober_running
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            state.prober_running = true;
            runtime.spawn(Arc::clone(self).probe());
        }
    }

    /// Pings until Redis answers and the re-synchronisations succeed, then moves to Up.
    async fn probe(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.probe_interval).await;
            if let Err(error) = ping(&self.pool).await {
                tracing::debug!(error = %error_chain(&error), "Redis still unavailable");
                continue;
            }
            let epoch = self.begin_recovery();
            match self.resync_all().await {
                Ok(()) if self.finish_recovery(epoch) => return,
                Ok(()) => {}
                Err(PortError::Unavailable(cause)) => self.trip(&cause),
                Err(error) => self.trip(&BoxError::from(error)),
            }
        }
    }

    /// Down → Recovering; returns the epoch the recovery belongs to.
    fn begin_recovery(&self) -> u64 {
        let mut state = self.lock();
        state.phase = Phase::Recovering;
        state.epoch
    }

    async fn resync_all(&self) -> PortResult<()> {
        let resyncs = self
            .resyncs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for resync in resyncs {
            resync.resync().await?;
            tracing::debug!(what = resync.what(), "re-synchronised Redis");
        }
        Ok(())
    }

    /// Recovering → Up, unless a failure overtook the recovery of `epoch`.
    fn finish_recovery(&self, epoch: u64) -> bool {
        let mut state = self.lock();
        if state.phase != Phase::Recovering || state.epoch != epoch {
            return false;
        }
        state.phase = Phase::Up;
        state.prober_running = false;
        tracing::info!(
            down_for = ?state.down_since.elapsed(),
            "Redis is back and re-synchronised; using it again"
        );
        true
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
