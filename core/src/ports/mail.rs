//! Outgoing mail: the port through which use cases send a [`Mail`], whatever carries it (an
//! SMTP server, or the log in development).

use async_trait::async_trait;

use super::PortResult;
use crate::domain::Mail;

/// Renders and delivers mail. Delivery happens while an outbox event is handled, so an error
/// sends the event back for another attempt: adapters must tell a passing failure from one that
/// will not pass.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one mail, returning once the server has accepted it.
    ///
    /// # Errors
    /// MUST return [`super::PortError::Unavailable`] only when no mail could pass: the mail
    /// server cannot be reached, does not answer in time, or closes the service (SMTP 421), so
    /// that the event waits for it without spending an attempt. MUST return
    /// [`super::PortError::Unexpected`], with the cause, when the server refuses this mail,
    /// for now or for good (any other 4xx or 5xx reply, such as a full mailbox or an unknown
    /// recipient), or the mail cannot be rendered: a failure of this event, retried with
    /// backoff and dead-lettered after the last attempt, which never holds back other mail.
    async fn send(&self, mail: &Mail) -> PortResult<()>;
}
