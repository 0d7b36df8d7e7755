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
    /// MUST return [`super::PortError::Unavailable`] when the mail server cannot be reached, does
    /// not answer in time, or refuses the mail for now (a 4xx reply), so that the event is
    /// retried; and [`super::PortError::Unexpected`], with the cause, when it rejects the mail for
    /// good (a 5xx reply such as an unknown recipient) or the mail cannot be rendered.
    async fn send(&self, mail: &Mail) -> PortResult<()>;
}
