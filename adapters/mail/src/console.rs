//! The console mailer: renders each mail as the SMTP mailer would and writes it to the log
//! instead of sending it, so that development needs no SMTP server.
//!
//! The log shows the recipient, the subject and the plain-text body, with every link's token
//! replaced by `REDACTED`: a log line must never be enough to verify an address or reset a
//! password.

use async_trait::async_trait;
use postern_core::domain::Mail;
use postern_core::ports::Mailer;
use postern_core::ports::PortResult;
use tracing::info;

use super::AppUrl;
use super::render::{Tokens, render};

/// Logs, at info level, each mail it is asked to send, tokens redacted.
#[derive(Clone, Debug)]
pub struct ConsoleMailer {
    app_url: AppUrl,
}

impl ConsoleMailer {
    /// A console mailer whose (redacted) links lead to pages under `app_url`.
    pub fn new(app_url: AppUrl) -> Self {
        Self { app_url }
    }
}

#[async_trait]
impl Mailer for ConsoleMailer {
    async fn send(&self, mail: &Mail) -> PortResult<()> {
        let rendered = render(mail, &self.app_url, Tokens::Redact)?;
        info!(
            to = %mail.to,
            kind = mail.message.kind(),
            subject = rendered.subject,
            body = %rendered.text,
            "mail not sent (console mailer)"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use postern_core::domain::{Email, MailMessage, OpaqueToken};
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    const TOKEN: &str = "secret-reset-token";

    /// Collects everything the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;

        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn logs_recipient_subject_and_body_with_the_token_redacted() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let mailer = ConsoleMailer::new(AppUrl::parse("https://accounts.example.com").unwrap());
        let mail = Mail {
            to: Email::parse("ada@example.com").unwrap(),
            name: None,
            message: MailMessage::PasswordReset {
                reset_token: OpaqueToken::new(TOKEN.to_owned()),
                valid_for: time::Duration::minutes(30),
            },
        };

        mailer.send(&mail).await.unwrap();

        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("ada@example.com"), "{log}");
        assert!(log.contains("Reset your Postern password"), "{log}");
        assert!(log.contains("reset-password?token=REDACTED"), "{log}");
        assert!(!log.contains(TOKEN), "{log}");
    }
}
