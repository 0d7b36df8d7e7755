//! Starting and stopping the server. `main` and the tests share [`start`], which binds (port 0
//! picks a free port), reports the real address, and runs until told to stop.

use std::net::SocketAddr;

use anyhow::Context;
use postern_redis::streams::EventStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::config::Config;
use crate::draining::DrainingAcceptor;
use crate::housekeeping;
use crate::http_server;
use crate::relay;
use crate::revocation_seed;
use crate::sampler;
use crate::shutdown;
use crate::wiring;
use crate::workers::RunningWorkers;

/// A server that is listening.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    delivery: JoinHandle<()>,
    sampler: JoinHandle<()>,
    /// The housekeeping job, when no worker process runs it: in the embedded default.
    housekeeping: Option<JoinHandle<()>>,
    workers: Option<RunningWorkers>,
}

/// What runs beside the HTTP server.
#[derive(Clone, Copy, Debug, Default)]
pub struct ServeOptions {
    /// Run the stream workers in this process too (`serve --with-workers`), for deployments
    /// too small for worker processes of their own. Needs Redis.
    pub with_workers: bool,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, stops event delivery, and waits.
    ///
    /// # Errors
    /// When the server ended with an I/O error.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.server.await.context("server task")??;
        self.delivery.await.context("event delivery task")?;
        self.sampler.await.context("metrics sampler task")?;
        if let Some(housekeeping) = self.housekeeping {
            housekeeping.await.context("housekeeping task")?;
        }
        if let Some(workers) = self.workers {
            workers.stop().await?;
        }
        Ok(())
    }

    /// Runs until SIGINT or SIGTERM, then stops gracefully.
    ///
    /// # Errors
    /// When the server ended with an I/O error.
    pub async fn run_until_signalled(mut self) -> anyhow::Result<()> {
        tokio::select! {
            () = shutdown::signal() => info!("shutting down"),
            ended = &mut self.server => {
                // The server stopped on its own: report it rather than linger half-alive.
                let _ = self.stop.send(true);
                self.delivery.await.context("event delivery task")?;
                ended.context("server task")??;
                anyhow::bail!("the server stopped unexpectedly");
            }
        }
        self.stop().await
    }
}

/// Wires the application from `config`, binds, and starts serving and delivering events.
///
/// # Errors
/// When the database, an adapter or the listen address cannot be set up.
pub async fn start(config: &Config) -> anyhow::Result<RunningServer> {
    start_with(config, ServeOptions::default()).await
}

/// [`start`], with what else runs beside the server.
///
/// # Errors
/// As [`start`]; also when workers are asked for without Redis.
pub async fn start_with(config: &Config, options: ServeOptions) -> anyhow::Result<RunningServer> {
    // Bound first: links in mail lead to the bound address unless APP_URL is set, and with
    // PORT=0 that address is known only now. Nothing is accepted before the server runs.
    let (stop, stopped) = watch::channel(false);
    let (acceptor, mut drained) =
        DrainingAcceptor::bind(SocketAddr::new(config.host, config.port), stopped.clone())
            .await
            .with_context(|| {
                format!("listening on {}:{} (HOST, PORT)", config.host, config.port)
            })?;
    let addr = acceptor.local_socket_addr();
    let config = &config.listening_on(addr);
    let db = wiring::database(config).await?;
    let workers = if options.with_workers {
        let consumers = wiring::consumers(config, &db, &EventStream::ALL).await?;
        Some(
            RunningWorkers::spawn(consumers, config.shutdown_timeout)
                .with_housekeeping(config, &db),
        )
    } else {
        None
    };
    // With Redis and no `--with-workers`, `postern worker` processes run it.
    let housekeeping = config.redis.is_none().then(|| {
        let job = wiring::housekeeping(config, &db);
        tokio::spawn(housekeeping::run(
            job,
            config.retention.interval,
            stopped.clone(),
        ))
    });
    let providers = wiring::identity_providers(config).await?;
    let components = wiring::assemble(config, db.clone(), providers).await?;
    components.seed_revocations().await?;
    let reseeder = components.revocation_seeder.clone();
    let sampled = components.state.clone();
    let app = postern_http::app(components.state);
    let grace = config.shutdown_timeout;
    let limits = config.connections;
    let server = tokio::spawn(async move {
        let drained = async move {
            let _ = drained.wait_for(|d| *d).await;
        };
        http_server::serve(acceptor, app, limits, drained, grace).await
    });
    // Detached: it ends when `stopped` turns, and holds nothing a shutdown must wait for.
    tokio::spawn(reseeder.reseed_until_stopped(revocation_seed::RESEED_INTERVAL, stopped.clone()));
    let sampler_stop = stopped.clone();
    let sampler = tokio::spawn(async move {
        sampler::sample_until_stopped(&sampled.queues, &db, sampler_stop).await;
    });
    let delivery = tokio::spawn(relay::run(components.delivery, stopped));
    info!(%addr, docs = %format!("http://{addr}/docs"), "Postern is listening");
    Ok(RunningServer {
        addr,
        stop,
        server,
        delivery,
        sampler,
        housekeeping,
        workers,
    })
}
