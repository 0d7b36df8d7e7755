//! Event delivery inside this process: [`InProcessPublisher`] hands each outbox event to the
//! handlers in turn (the embedded default, where no broker exists), and [`ConsoleMailer`] is
//! the handler that would send mail, writing it to the log instead when no SMTP server is
//! configured.
//!
//! Delivery is at least once: an event whose handler failed stays in the outbox and comes back
//! to every handler, so handlers deduplicate by event id.

mod mailer;
mod publisher;

pub use mailer::ConsoleMailer;
pub use publisher::InProcessPublisher;
