//! A real SMTP server for tests: [`SmtpSink`] listens on a free loopback port, speaks SMTP with
//! the `mailin` protocol crate, and keeps every message it accepts, parsed, for the test to
//! read. It stops when dropped.
//!
//! Tests wait for mail with [`SmtpSink::wait_for`], which returns as soon as enough has arrived
//! and fails at a deadline, instead of sleeping.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder, response};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How the sink answers, beyond accepting everything.
#[derive(Clone, Debug, Default)]
pub struct SinkOptions {
    /// Offer `AUTH PLAIN` (over plain text, as a test may) and accept only this user and
    /// password; without it the sink offers no authentication.
    pub credentials: Option<(String, String)>,
    /// Answer `RCPT TO` with this code instead of 250: 450 refuses for now, 550 for good, 421
    /// closes the service.
    pub refuse_recipients_with: Option<u16>,
    /// Refuse only this recipient (with `refuse_recipients_with`), accepting every other.
    pub refused_recipient: Option<String>,
    /// Answer the `DATA` command with this code instead of 354, keeping nothing. (Not the end
    /// of the data: mailin stays in its data state after refusing there.)
    pub refuse_data_with: Option<u16>,
}

/// One accepted message: its envelope, and the parts of it tests look at.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`).
    pub envelope_from: String,
    /// The envelope recipients (`RCPT TO`).
    pub envelope_to: Vec<String>,
    /// The address in the `From` header.
    pub from: Option<String>,
    /// The address in the `To` header.
    pub to: Option<String>,
    /// The display name in the `To` header.
    pub to_name: Option<String>,
    /// The `Subject` header, decoded.
    pub subject: Option<String>,
    /// The top-level content type, e.g. `multipart/alternative`.
    pub content_type: Option<String>,
    /// The `text/plain` part, decoded.
    pub text: Option<String>,
    /// The `text/html` part, decoded.
    pub html: Option<String>,
    /// The message as received, after dot-unstuffing.
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    fn parse(envelope_from: String, envelope_to: Vec<String>, raw: Vec<u8>) -> Self {
        let message = MessageParser::default()
            .parse(&raw)
            .expect("the sink received a message it cannot parse");
        let from = message.from().and_then(|a| a.first());
        let to = message.to().and_then(|a| a.first());
        let part_of_type = |subtype: &str| {
            message
                .parts
                .iter()
                .find(|part| part.is_content_type("text", subtype))
                .and_then(|part| part.text_contents())
                .map(str::to_owned)
        };
        Self {
            from: from.and_then(|a| a.address()).map(str::to_owned),
            to: to.and_then(|a| a.address()).map(str::to_owned),
            to_name: to.and_then(|a| a.name()).map(str::to_owned),
            subject: message.subject().map(str::to_owned),
            content_type: message
                .content_type()
                .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default())),
            text: part_of_type("plain"),
            html: part_of_type("html"),
            envelope_from,
            envelope_to,
            raw,
        }
    }
}

/// A running SMTP server that keeps what it receives. Dropping it stops it.
pub struct SmtpSink {
    addr: SocketAddr,
    inbox: Arc<Inbox>,
    server: JoinHandle<()>,
}

/// The messages received so far, and a wake-up for those waiting on them.
#[derive(Default)]
struct Inbox {
    mail: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
}

impl SmtpSink {
    /// Starts a sink that accepts every message.
    pub async fn start() -> Self {
        Self::start_with(SinkOptions::default()).await
    }

    /// Starts a sink that answers as `options` say.
    pub async fn start_with(options: SinkOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let inbox = Arc::new(Inbox::default());
        let mut session = SessionBuilder::new("postern-test-sink");
        if options.credentials.is_some() {
            session
                .enable_auth(AuthMechanism::Plain)
                .insecure_enable_plaintext_auth();
        }
        let server = tokio::spawn(serve(listener, session, options, inbox.clone()));
        Self {
            addr,
            inbox,
            server,
        }
    }

    /// The URL to configure a mailer with: `smtp://127.0.0.1:<port>`, unencrypted.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The same, with credentials: `smtp://user:password@127.0.0.1:<port>`.
    pub fn url_with_login(&self, user: &str, password: &str) -> String {
        format!("smtp://{user}:{password}@{}", self.addr)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.inbox.mail.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages have arrived and returns them all; panics if they
    /// have not arrived within `deadline`.
    pub async fn wait_for(&self, count: usize, deadline: Duration) -> Vec<ReceivedMail> {
        let waiting = async {
            loop {
                let arrived = self.inbox.arrived.notified();
                let mail = self.received();
                if mail.len() >= count {
                    return mail;
                }
                arrived.await;
            }
        };
        match tokio::time::timeout(deadline, waiting).await {
            Ok(mail) => mail,
            Err(_) => panic!(
                "expected {count} mail within {deadline:?}, received {}",
                self.received().len()
            ),
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Accepts connections until aborted, one task per connection.
async fn serve(
    listener: TcpListener,
    session: SessionBuilder,
    options: SinkOptions,
    inbox: Arc<Inbox>,
) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, peer)) = listener.accept().await {
        let handler = Recorder {
            options: options.clone(),
            inbox: inbox.clone(),
            ..Recorder::default()
        };
        connections.spawn(converse(stream, session.build(peer.ip(), handler)));
    }
}

/// Runs one SMTP session: a line in, the session's reply out, until either side closes.
async fn converse(stream: TcpStream, mut session: mailin::Session<Recorder>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let reply = |response: Response| response.buffer().unwrap();
    if write.write_all(&reply(session.greeting())).await.is_err() {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response = session.process(&line);
        if response.action != Action::NoReply
            && write.write_all(&reply(response.clone())).await.is_err()
        {
            return;
        }
        if response.action == Action::Close {
            return;
        }
    }
}

/// The session's handler: records the envelope and data, answers as the options say.
#[derive(Default)]
struct Recorder {
    options: SinkOptions,
    inbox: Arc<Inbox>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Recorder {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_owned();
        self.to.clear();
        self.data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let refused = self
            .options
            .refused_recipient
            .as_deref()
            .is_none_or(|refused| to.trim_matches(['<', '>']).eq_ignore_ascii_case(refused));
        if let Some(code) = self.options.refuse_recipients_with.filter(|_| refused) {
            return Response::custom(code, "recipient refused by the test sink".to_owned());
        }
        self.to.push(to.to_owned());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        match self.options.refuse_data_with {
            Some(code) => Response::custom(code, "message refused by the test sink".to_owned()),
            None => response::OK,
        }
    }

    fn data_end(&mut self) -> Response {
        let mail = ReceivedMail::parse(
            std::mem::take(&mut self.from),
            std::mem::take(&mut self.to),
            std::mem::take(&mut self.data),
        );
        self.inbox.mail.lock().unwrap().push(mail);
        self.inbox.arrived.notify_waiters();
        response::OK
    }

    fn auth_plain(&mut self, _authorization_id: &str, user: &str, password: &str) -> Response {
        match &self.options.credentials {
            Some((u, p)) if u == user && p == password => response::AUTH_OK,
            _ => response::INVALID_CREDENTIALS,
        }
    }
}
