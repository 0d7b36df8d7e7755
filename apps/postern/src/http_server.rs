//! The HTTP/1.1 server under Poem's application. Poem's own server offers no header-read
//! timeout, no connection cap and no way to size hyper's head buffer, so connections are served
//! here, with hyper directly:
//!
//! - a request's line and headers must arrive within `HTTP_HEADER_TIMEOUT` of the server
//!   waiting for them, which also closes keep-alive connections left idle that long;
//! - a connection that moves no byte for `HTTP_IDLE_TIMEOUT` is closed ([`IdleTimeout`]);
//! - at most `HTTP_MAX_CONNECTIONS` are open at once: past that, nothing more is accepted and new
//!   clients wait in the listen backlog, so descriptors never run out for the ones served;
//! - the head buffer holds [`MAX_HEAD_BUFFER`], so that a head over the application's
//!   [`postern_http::MAX_HEAD_BYTES`] reaches it and is refused in the envelope; only heads
//!   larger than the buffer get hyper's bare 431.
//!
//! Shutdown is Poem's: when the signal comes, each connection finishes the request it is
//! serving and closes, and after the grace period whatever is left is dropped.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use poem::endpoint::{DynEndpoint, ToDynEndpoint};
use poem::listener::Acceptor;
use poem::{Endpoint, EndpointExt, Response};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tracing::{debug, warn};

use crate::config::ConnectionLimits;
use crate::draining::DrainingAcceptor;
use crate::idle::IdleTimeout;

/// hyper's read buffer, the largest head it can parse: 1 MiB and a margin, so that the
/// oversized `Authorization` headers clients do send are answered in the envelope.
pub(crate) const MAX_HEAD_BUFFER: usize = 1024 * 1024 + 64 * 1024;

/// How long to wait before accepting again after an accept failed (out of descriptors, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

type Body = http_body_util::combinators::BoxBody<Bytes, io::Error>;
type App = Arc<dyn DynEndpoint<Output = Response>>;

/// Where the server is in its life; each connection watches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Serving,
    /// Finish the request in hand, then close.
    Closing,
    /// The grace period is over: drop the connection.
    Dropping,
}

/// Serves `app` on the connections `acceptor` hands over, within `limits`, until `signal`;
/// then lets connections finish for at most `grace`.
///
/// # Errors
/// Only if the connection slots were closed, which nothing does.
pub(crate) async fn serve(
    mut acceptor: DrainingAcceptor,
    app: impl Endpoint + 'static,
    limits: ConnectionLimits,
    signal: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()> {
    let app: App = Arc::new(ToDynEndpoint(app.map_to_response()));
    let max = limits.max_connections.get();
    let slots = Arc::new(Semaphore::new(max as usize));
    let (stage, watched) = watch::channel(Stage::Serving);
    tokio::pin!(signal);
    loop {
        let slot = tokio::select! {
            () = &mut signal => break,
            slot = slots.clone().acquire_owned() => slot.map_err(io::Error::other)?,
        };
        let accepted = tokio::select! {
            () = &mut signal => break,
            accepted = acceptor.accept() => accepted,
        };
        match accepted {
            Ok((stream, local, remote, scheme)) => {
                let connection = Connection {
                    app: app.clone(),
                    local,
                    remote,
                    scheme,
                    limits,
                    stage: watched.clone(),
                    _slot: slot,
                };
                tokio::spawn(connection.serve(stream));
            }
            Err(error) => {
                warn!(
                    error = &error as &dyn std::error::Error,
                    "accepting a connection failed"
                );
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
    drop(acceptor);
    stage.send_replace(Stage::Closing);
    // Every connection holds a slot until it ends: all slots back means all connections ended.
    if tokio::time::timeout(grace, slots.acquire_many(max))
        .await
        .is_err()
    {
        debug!("grace period over; dropping the connections still open");
        stage.send_replace(Stage::Dropping);
    }
    Ok(())
}

/// One accepted connection and what serving it needs.
struct Connection {
    app: App,
    local: poem::web::LocalAddr,
    remote: poem::web::RemoteAddr,
    scheme: poem::http::uri::Scheme,
    limits: ConnectionLimits,
    stage: watch::Receiver<Stage>,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve(mut self, stream: TcpStream) {
        let (app, local, remote, scheme) = (self.app, self.local, self.remote, self.scheme);
        let service = service_fn(move |request: hyper::Request<Incoming>| {
            let (app, local, remote, scheme) =
                (app.clone(), local.clone(), remote.clone(), scheme.clone());
            async move {
                let response = app
                    .get_response((request, local, remote, scheme).into())
                    .await;
                Ok::<_, Infallible>(hyper::Response::<Body>::from(response))
            }
        });
        let io = TokioIo::new(IdleTimeout::new(stream, self.limits.idle_timeout));
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout)
            .max_buf_size(MAX_HEAD_BUFFER)
            .serve_connection(io, service);
        tokio::pin!(connection);
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = self.stage.wait_for(|s| *s != Stage::Serving) => {}
        }
        connection.as_mut().graceful_shutdown();
        tokio::select! {
            _ = connection => {}
            _ = self.stage.wait_for(|s| *s == Stage::Dropping) => {}
        }
    }
}
