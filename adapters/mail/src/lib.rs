//! # postern-mail
//!
//! Outgoing mail: the adapters of the [`postern_core::ports::Mailer`] port.
//!
//! - [`SmtpMailer`] delivers through an SMTP server (lettre, over rustls), as multipart/alternative
//!   with a plain-text and an HTML part;
//! - [`ConsoleMailer`] writes each mail to the log instead, so that development needs no SMTP
//!   server: whole in development, with its links' tokens redacted in production, where the log
//!   must never hold a usable link.
//!
//! Both render the same askama templates (see `render`), so what the log shows is what would
//! have been sent. Configuration is checked when an adapter is built, not at the first mail.

mod console;
mod render;
mod smtp;

pub use console::ConsoleMailer;
pub use render::AppUrl;
pub use smtp::{SmtpConfig, SmtpMailer};

/// A mail setting that cannot be used. Each message names the setting, and none repeats its
/// value, since `SMTP_URL` may hold a password.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    /// The public base URL of links in mail is not an absolute http(s) URL.
    #[error(
        "APP_URL must be an absolute http(s) URL without query or fragment, e.g. \
         https://accounts.example.com"
    )]
    AppUrl,
    /// The SMTP server's URL cannot be used.
    #[error(
        "SMTP_URL must look like smtp://user:pass@host:port, smtps://user:pass@host:port, or \
         smtp://user:pass@host:port?tls=required (or tls=opportunistic)"
    )]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    /// The sender is not a mailbox.
    #[error(
        "MAIL_FROM must be a mailbox, e.g. no-reply@example.com or Postern <no-reply@example.com>"
    )]
    MailFrom(#[source] lettre::address::AddressError),
}
