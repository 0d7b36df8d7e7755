//! The console mailer: renders each mail as the SMTP mailer would and writes it to the log
//! instead of sending it, so that development needs no SMTP server.
//!
//! The log shows the recipient, the subject and the plain-text body. In development the body is
//! whole, so that verification and reset can be tried without an SMTP server; otherwise every
//! link's token is replaced by `REDACTED`, since a production log line must never be enough to
//! verify an address or reset a password.

use async_trait::async_trait;
use postern_core::domain::Mail;
use postern_core::ports::Mailer;
use postern_core::ports::PortResult;
use tracing::info;

use super::AppUrl;
use super::render::{Tokens, render};

/// Logs, at info level, each mail it is asked to send.
#[derive(Clone, Debug)]
pub struct ConsoleMailer {
    app_url: AppUrl,
    tokens: Tokens,
}

impl ConsoleMailer {
    /// A console mailer whose links lead to pages under `app_url`, tokens redacted: for
    /// production, where the log is read by more people than the mail would be.
    pub fn redacting(app_url: AppUrl) -> Self {
        Self {
            app_url,
            tokens: Tokens::Redact,
        }
    }

    /// A console mailer that logs each mail whole, working links included: for development,
    /// where the console is the only inbox.
    pub fn showing_links(app_url: AppUrl) -> Self {
        Self {
            app_url,
            tokens: Tokens::Include,
        }
    }
}

#[async_trait]
impl Mailer for ConsoleMailer {
    async fn send(&self, mail: &Mail) -> PortResult<()> {
        let rendered = render(mail, &self.app_url, self.tokens)?;
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

    /// What `mailer` logs for a password-reset mail to ada@example.com.
    async fn log_of_a_reset_mail(mailer: ConsoleMailer) -> String {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let mail = Mail {
            to: Email::parse("ada@example.com").unwrap(),
            name: None,
            message: MailMessage::PasswordReset {
                reset_token: OpaqueToken::new(TOKEN.to_owned()),
                valid_for: time::Duration::minutes(30),
            },
        };

        mailer.send(&mail).await.unwrap();

        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    fn app_url() -> AppUrl {
        AppUrl::parse("https://accounts.example.com").unwrap()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn redacting_logs_recipient_subject_and_body_with_the_token_redacted() {
        let log = log_of_a_reset_mail(ConsoleMailer::redacting(app_url())).await;

        assert!(log.contains("ada@example.com"), "{log}");
        assert!(log.contains("Reset your Postern password"), "{log}");
        assert!(log.contains("reset-password?token=REDACTED"), "{log}");
        assert!(!log.contains(TOKEN), "{log}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn showing_links_logs_the_whole_link_with_its_token() {
        let log = log_of_a_reset_mail(ConsoleMailer::showing_links(app_url())).await;

        assert!(log.contains("Reset your Postern password"), "{log}");
        assert!(
            log.contains(&format!(
                "https://accounts.example.com/reset-password?token={TOKEN}"
            )),
            "{log}"
        );
    }
}
