//! The console mailer: composes the mail an event calls for and writes it to the log instead
//! of sending it, so that development needs no SMTP server.
//!
//! Mail carries only what the event carries. No event holds a password, hash or token, so none
//! can reach the log from here; a mail that needs a secret link will need its own handling of
//! that secret, not a log line.

use async_trait::async_trait;
use postern_core::domain::{Event, EventData};
use postern_core::ports::EventHandler;
use postern_core::{Error, Result};
use tracing::info;

/// Logs, at info level, the mail each mail-sending event would send.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsoleMailer;

/// A composed mail, reduced to what a log line shows.
#[derive(Debug, PartialEq, Eq)]
struct Mail {
    to: String,
    subject: &'static str,
    summary: String,
}

/// The cause inside an [`Error::Unexpected`] from this module.
#[derive(Debug, thiserror::Error)]
#[error("no mail template for {event_type}, although it sends mail")]
struct NoTemplate {
    event_type: &'static str,
}

/// The mail for an event. The match names every variant, so that a new event type forces a
/// decision here.
fn compose(data: &EventData) -> Option<Mail> {
    match data {
        EventData::SignedUp { email, name } => Some(Mail {
            to: email.clone(),
            subject: "Welcome to Postern",
            summary: format!(
                "Hi {}, your Postern account is ready.",
                name.as_deref().unwrap_or("there")
            ),
        }),
        EventData::PasswordChanged { email } => Some(Mail {
            to: email.clone(),
            subject: "Your Postern password was changed",
            summary: "The password of your Postern account was just changed, and your other \
                      sessions were signed out. If this was not you, reset your password now."
                .to_owned(),
        }),
        EventData::LoggedIn { .. }
        | EventData::LoginFailed { .. }
        | EventData::LoggedOut { .. }
        | EventData::ReuseDetected { .. }
        | EventData::ProfileUpdated { .. }
        | EventData::RoleChanged { .. }
        | EventData::Disabled { .. } => None,
    }
}

#[async_trait]
impl EventHandler for ConsoleMailer {
    fn name(&self) -> &'static str {
        "mail"
    }

    async fn handle(&self, event: &Event) -> Result<()> {
        if !event.data.sends_mail() {
            return Ok(());
        }
        let event_type = event.data.type_name();
        let mail =
            compose(&event.data).ok_or_else(|| Error::unexpected(NoTemplate { event_type }))?;
        info!(
            event_id = %event.id,
            event_type,
            to = %mail.to,
            subject = mail.subject,
            body = %mail.summary,
            "mail not sent (console mailer)"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use postern_core::domain::{LoginFailure, SessionId};
    use time::OffsetDateTime;

    use super::*;

    fn every_event_type() -> Vec<EventData> {
        let session_id = SessionId::generate();
        vec![
            EventData::SignedUp {
                email: "ada@example.com".into(),
                name: Some("Ada".into()),
            },
            EventData::LoggedIn {
                session_id,
                ip: None,
                user_agent: None,
            },
            EventData::LoginFailed {
                email: "ada@example.com".into(),
                reason: LoginFailure::WrongPassword,
                ip: None,
            },
            EventData::LoggedOut {
                session_ids: vec![session_id],
                all_sessions: false,
            },
            EventData::ReuseDetected {
                session_id,
                ip: None,
            },
            EventData::PasswordChanged {
                email: "ada@example.com".into(),
            },
            EventData::ProfileUpdated { name: None },
        ]
    }

    #[test]
    fn signup_composes_a_welcome_mail_to_the_new_address() {
        let mail = compose(&EventData::SignedUp {
            email: "ada@example.com".into(),
            name: Some("Ada".into()),
        });

        assert_eq!(
            mail,
            Some(Mail {
                to: "ada@example.com".into(),
                subject: "Welcome to Postern",
                summary: "Hi Ada, your Postern account is ready.".into(),
            })
        );
    }

    #[test]
    fn a_password_change_composes_a_notice_to_the_account() {
        let mail = compose(&EventData::PasswordChanged {
            email: "ada@example.com".into(),
        })
        .unwrap();

        assert_eq!(mail.to, "ada@example.com");
        assert_eq!(mail.subject, "Your Postern password was changed");
    }

    #[test]
    fn exactly_the_mail_sending_events_have_a_template() {
        for data in every_event_type() {
            assert_eq!(compose(&data).is_some(), data.sends_mail(), "{data:?}");
        }
    }

    #[tokio::test]
    async fn every_event_is_handled_without_error() {
        for data in every_event_type() {
            let event = Event::new(data, None, OffsetDateTime::UNIX_EPOCH);

            assert!(ConsoleMailer.handle(&event).await.is_ok());
        }
    }
}
