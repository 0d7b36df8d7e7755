//! Connecting to Redis so that an outage costs callers milliseconds, not seconds.
//!
//! Every client built here reconnects forever in the background (exponential backoff capped
//! at [`MAX_RECONNECT_DELAY_MS`]) and bounds every command by [`RedisSettings::command_timeout`].
//! The adapters of this module also send each command with fred's per-command `fail_fast`
//! option ([`fail_fast`]), so that a command issued while the connection is down fails at once
//! instead of waiting in fred's queue for a reconnection. Starting never waits for Redis
//! longer than [`RedisSettings::connect_timeout`]: a Redis that is down at start-up is a
//! degraded start, not a failed one.

use std::time::Duration;

use fred::clients::WithOptions;
use fred::prelude::{
    Builder, Client, ClientLike, Config, Error as FredError, Options, Pool, ReconnectPolicy,
};
use postern_core::ports::{PortError, PortResult};

/// The longest pause between two reconnection attempts, in milliseconds.
const MAX_RECONNECT_DELAY_MS: u32 = 2_000;

/// The first pause before reconnecting, in milliseconds; it doubles up to the maximum.
const MIN_RECONNECT_DELAY_MS: u32 = 100;

/// How to reach Redis and how long to wait for it.
#[derive(Clone, Debug)]
pub struct RedisSettings {
    /// `redis://[user:password@]host:port[/db]`, or any URL fred understands.
    pub url: String,
    /// The most any one command may take before it fails (default 1 s). A blocking command
    /// (`XREADGROUP … BLOCK`) needs a client with a longer timeout than its block time.
    pub command_timeout: Duration,
    /// How long start-up waits for the first connection before going on without it
    /// (default 2 s).
    pub connect_timeout: Duration,
    /// How many connections a [`Pool`] holds (default 4).
    pub pool_size: usize,
}

impl RedisSettings {
    /// The defaults for `url`: 1 s per command, 2 s to connect, 4 pooled connections.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            command_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(2),
            pool_size: 4,
        }
    }

    /// A fred builder with these settings, for a client this module does not build (e.g. a
    /// subscriber); it is not connected.
    ///
    /// # Errors
    /// [`PortError::Unexpected`] when the URL is invalid.
    pub fn builder(&self) -> PortResult<Builder> {
        let mut config = Config::from_url(&self.url).map_err(invalid_url)?;
        // Keep retrying a Redis that is down at start-up instead of failing the first connect.
        config.fail_fast = false;
        let mut builder = Builder::from_config(config);
        builder
            .set_policy(ReconnectPolicy::new_exponential(
                0,
                MIN_RECONNECT_DELAY_MS,
                MAX_RECONNECT_DELAY_MS,
                2,
            ))
            .with_performance_config(|performance| {
                performance.default_command_timeout = self.command_timeout;
            })
            .with_connection_config(|connection| {
                connection.connection_timeout = self.connect_timeout;
                connection.internal_command_timeout = self.connect_timeout;
                // fred leaves Nagle's algorithm on; a request/response client wants it off, or
                // a command larger than a segment (a batch of stream entries) may wait for the
                // server's delayed ACK.
                connection.tcp.nodelay = Some(true);
            });
        Ok(builder)
    }
}

/// A pool of [`RedisSettings::pool_size`] connections, connecting (and reconnecting forever)
/// in the background; it waits at most [`RedisSettings::connect_timeout`] for them.
///
/// # Errors
/// [`PortError::Unexpected`] when the URL is invalid. A Redis that does not answer is not an error:
/// it is logged, and commands fail fast until it answers.
pub async fn connect(settings: &RedisSettings) -> PortResult<Pool> {
    let pool = settings
        .builder()?
        .build_pool(settings.pool_size)
        .map_err(invalid_url)?;
    pool.connect();
    wait_for_connect(&pool, settings.connect_timeout).await;
    Ok(pool)
}

/// One fresh client of its own, like [`connect`]: for a consumer whose blocking reads must
/// not hold a pooled connection.
///
/// # Errors
/// As [`connect`].
pub async fn connect_client(settings: &RedisSettings) -> PortResult<Client> {
    let client = settings.builder()?.build().map_err(invalid_url)?;
    client.connect();
    wait_for_connect(&client, settings.connect_timeout).await;
    Ok(client)
}

/// Whether every connection of `pool` answers `PING`: the readiness of Redis.
///
/// # Errors
/// [`PortError::Unavailable`] when one does not.
pub async fn ping(pool: &Pool) -> PortResult<()> {
    for client in pool.clients() {
        let _: () = fail_fast(client).ping(None).await.map_err(redis_error)?;
    }
    Ok(())
}

/// `client` sending every command with fail-fast: it fails at once while disconnected.
pub(super) fn fail_fast<C: ClientLike>(client: &C) -> WithOptions<C> {
    client.with_options(&Options {
        fail_fast: true,
        ..Options::default()
    })
}

/// Maps a fred error to the domain's, in one place: whatever Redis or the connection to it
/// did wrong, the dependency is not serving.
pub(crate) fn redis_error(error: FredError) -> PortError {
    PortError::unavailable(error)
}

fn invalid_url(error: FredError) -> PortError {
    PortError::unexpected(error)
}

async fn wait_for_connect(client: &impl ClientLike, timeout: Duration) {
    match tokio::time::timeout(timeout, client.wait_for_connect()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, "Redis is not reachable; reconnecting in the background");
        }
        Err(_) => {
            tracing::warn!(
                ?timeout,
                "Redis did not answer in time; reconnecting in the background"
            );
        }
    }
}
