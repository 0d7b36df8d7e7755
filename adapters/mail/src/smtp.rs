//! The SMTP mailer: renders each mail and hands it to an SMTP server with lettre's async
//! transport (tokio, rustls), one connection per mail. Mail is rare here (signup, reset), so
//! lettre's connection pool is left out: it would start a background task when built and
//! panic when built or dropped outside a tokio runtime.
//!
//! Failures are sorted once, in [`classify`]: a server that cannot be reached, times out or
//! answers 421 (closing the connection, for every mail alike) is [`PortError::Unavailable`], an
//! outage that holds the queue until the server is back. Any other reply that refuses the mail,
//! 4xx (a full mailbox, greylisting, a recipient refused for now) or 5xx (an unknown recipient, a
//! refused sender, a failed login), is [`PortError::Unexpected`] with the server's reply as its
//! cause: a failure of this one mail, retried with backoff and dead-lettered in the end, so that
//! one recipient's trouble never keeps anyone else's mail from leaving.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use postern_core::domain::Mail;
use postern_core::ports::Mailer;
use postern_core::ports::{PortError, PortResult};
use secrecy::{ExposeSecret, SecretString};
use tracing::debug;

use super::render::{Tokens, render};
use super::{AppUrl, MailConfigError};

/// The settings of an [`SmtpMailer`], as the configuration reads them.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    /// `SMTP_URL`: `smtp://user:pass@host:port` (plain), `smtps://...` (TLS from the start) or
    /// `smtp://...?tls=required` (STARTTLS), as lettre's `from_url` reads it. Secret, since it
    /// may hold a password.
    pub url: SecretString,
    /// `MAIL_FROM`: the sender, e.g. `Postern <no-reply@example.com>`.
    pub from: String,
    /// `APP_URL`: the public base URL that links in mail lead to.
    pub app_url: String,
    /// The longest one mail may take to send, connection included.
    pub timeout: Duration,
}

impl SmtpConfig {
    /// A send timeout long enough for a slow server, short enough not to stall the outbox.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
}

/// A send that did not finish within the configured timeout.
#[derive(Debug, thiserror::Error)]
#[error("the SMTP server did not accept the mail within {0:?}")]
struct TimedOut(Duration);

/// Sends mail through an SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    app_url: AppUrl,
    timeout: Duration,
}

impl SmtpMailer {
    /// Checks `config` and prepares the transport. Connects to nothing: the first mail does.
    ///
    /// # Errors
    /// A [`MailConfigError`] naming the setting (`SMTP_URL`, `MAIL_FROM` or `APP_URL`) that
    /// cannot be used.
    pub fn new(config: &SmtpConfig) -> PortResult<Self, MailConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.url.expose_secret())
            .map_err(MailConfigError::SmtpUrl)?
            .timeout(Some(config.timeout))
            .build();
        let from = config
            .from
            .trim()
            .parse::<Mailbox>()
            .map_err(MailConfigError::MailFrom)?;
        Ok(Self {
            transport,
            from,
            app_url: AppUrl::parse(&config.app_url)?,
            timeout: config.timeout,
        })
    }

    /// The message for `mail`: rendered, addressed, as multipart/alternative.
    fn compose(&self, mail: &Mail) -> PortResult<Message> {
        let rendered = render(mail, &self.app_url, Tokens::Include)?;
        let address = mail
            .to
            .as_str()
            .parse::<Address>()
            .map_err(PortError::unexpected)?;
        let name = mail.name.as_ref().map(|name| name.as_str().to_owned());
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(rendered.subject)
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(PortError::unexpected)
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .field("app_url", &self.app_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> PortResult<()> {
        let message = self.compose(mail)?;
        // lettre's own timeout bounds each step; this one bounds the whole exchange.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => {
                debug!(
                    kind = mail.message.kind(),
                    "mail accepted by the SMTP server"
                );
                Ok(())
            }
            Ok(Err(err)) => Err(classify(err)),
            Err(_) => Err(PortError::unavailable(TimedOut(self.timeout))),
        }
    }
}

/// 421: the service is not available and the server is closing the connection.
const SERVICE_NOT_AVAILABLE: u16 = 421;

/// Maps a failed send into the port's contract: an outage only when no mail could have passed.
fn classify(err: lettre::transport::smtp::Error) -> PortError {
    match err.status().map(u16::from) {
        Some(SERVICE_NOT_AVAILABLE) => PortError::unavailable(err),
        Some(_) => PortError::unexpected(err),
        None if err.is_client() || err.is_response() => PortError::unexpected(err),
        None => PortError::unavailable(err),
    }
}
