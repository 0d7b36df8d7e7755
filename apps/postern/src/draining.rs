//! A TCP acceptor that stops without dropping connections. The server drops its acceptor the
//! moment shutdown begins, and the kernel resets every connection still waiting in the listen
//! backlog: a client that had connected and sent its request loses it, though the server never
//! saw it. This acceptor, once told to stop, takes everything in the backlog, closes the
//! listening socket (new clients are refused, so they know nothing was sent), hands the taken
//! connections over, and only then reports itself drained, which is what ends the server's
//! accept loop (see `http_server`).
//!
//! It reports that a moment later, not at once, so that the connections accepted last have
//! their requests read before shutdown begins; each is then served to the end.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How long the connections accepted last get to have their requests read before shutdown.
const LINGER: Duration = Duration::from_millis(100);

/// Accepts until `stop` turns true, then drains; see the module documentation.
pub(crate) struct DrainingAcceptor {
    listener: Option<TcpListener>,
    local_addr: SocketAddr,
    stop: watch::Receiver<bool>,
    taken: VecDeque<TcpStream>,
    drained: watch::Sender<bool>,
}

impl DrainingAcceptor {
    /// Listens on `addr`; returns the acceptor and a receiver that turns true once it has
    /// handed over the last connection, for the server's shutdown signal.
    pub(crate) async fn bind(
        addr: SocketAddr,
        stop: watch::Receiver<bool>,
    ) -> io::Result<(Self, watch::Receiver<bool>)> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (drained, drained_signal) = watch::channel(false);
        let acceptor = Self {
            listener: Some(listener),
            local_addr,
            stop,
            taken: VecDeque::new(),
            drained,
        };
        Ok((acceptor, drained_signal))
    }

    /// The address it listens on (port 0 becomes the port the system picked).
    pub(crate) fn local_socket_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Takes every connection the kernel has completed, then closes the listening socket.
    fn drain_backlog(&mut self) -> io::Result<()> {
        let Some(listener) = self.listener.take() else {
            return Ok(());
        };
        // A real accept(2) per connection: Tokio's readiness may lag behind the kernel.
        let listener = listener.into_std()?;
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    // accept(2) does not pass the listener's non-blocking mode on.
                    stream.set_nonblocking(true)?;
                    self.taken.push_back(TcpStream::from_std(stream)?);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                // A client that gave up while queued; the others still count.
                Err(error) if error.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(error) => return Err(error),
            }
        }
    }

    fn accepted(&self, stream: TcpStream, peer: SocketAddr) -> Accepted {
        (
            stream,
            LocalAddr(self.local_addr.into()),
            RemoteAddr(peer.into()),
            Scheme::HTTP,
        )
    }
}

type Accepted = (TcpStream, LocalAddr, RemoteAddr, Scheme);

impl Acceptor for DrainingAcceptor {
    type Io = TcpStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        vec![LocalAddr(self.local_addr.into())]
    }

    async fn accept(&mut self) -> io::Result<Accepted> {
        loop {
            while let Some(stream) = self.taken.pop_front() {
                // A connection reset while it waited has no peer left to answer.
                if let Ok(peer) = stream.peer_addr() {
                    return Ok(self.accepted(stream, peer));
                }
            }
            let Some(listener) = &self.listener else {
                tokio::time::sleep(LINGER).await;
                self.drained.send_replace(true);
                return std::future::pending().await;
            };
            if *self.stop.borrow_and_update() {
                self.drain_backlog()?;
                continue;
            }
            let orphaned = tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = accepted?;
                    return Ok(self.accepted(stream, peer));
                }
                changed = self.stop.changed() => changed.is_err(),
            };
            if orphaned {
                // Whoever could stop us is gone: stop as if told to.
                self.drain_backlog()?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn acceptor() -> (DrainingAcceptor, watch::Sender<bool>, watch::Receiver<bool>) {
        let (stop, stopped) = watch::channel(false);
        let (acceptor, drained) = DrainingAcceptor::bind(([127, 0, 0, 1], 0).into(), stopped)
            .await
            .unwrap();
        (acceptor, stop, drained)
    }

    #[tokio::test]
    async fn connections_waiting_in_the_backlog_at_stop_are_handed_over_then_new_ones_refused() {
        let (mut acceptor, stop, drained) = acceptor().await;
        let addr = acceptor.local_socket_addr();
        let mut clients = Vec::new();
        for _ in 0..3 {
            // The kernel completes these; nobody has accepted them yet.
            clients.push(TcpStream::connect(addr).await.unwrap());
        }

        stop.send_replace(true);
        let mut peers = Vec::new();
        for _ in 0..3 {
            let taken = tokio::time::timeout(Duration::from_secs(5), acceptor.accept());
            let (_, _, remote, _) = taken.await.expect("a queued connection").unwrap();
            peers.push(remote.as_socket_addr().copied().unwrap());
        }

        let mut expected: Vec<SocketAddr> =
            clients.iter().map(|c| c.local_addr().unwrap()).collect();
        expected.sort();
        peers.sort();
        assert_eq!(peers, expected);
        assert!(
            !*drained.borrow(),
            "drained before the last accept returned"
        );
        let more = tokio::time::timeout(LINGER * 3, acceptor.accept()).await;
        assert!(more.is_err(), "nothing more to accept");
        assert!(*drained.borrow());
        let refused = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[tokio::test]
    async fn until_stopped_it_accepts_as_usual() {
        let (mut acceptor, _stop, drained) = acceptor().await;
        let client = TcpStream::connect(acceptor.local_socket_addr())
            .await
            .unwrap();

        let (_, _, remote, scheme) = acceptor.accept().await.unwrap();

        assert_eq!(
            remote.as_socket_addr().copied(),
            Some(client.local_addr().unwrap())
        );
        assert_eq!(scheme, Scheme::HTTP);
        assert!(!*drained.borrow());
    }
}
