//! The mail handler: turns the events that send mail into [`Mail`] and hands it to the
//! [`Mailer`]. Verification and reset tokens are issued here, at sending time, and stored only
//! as digests: the raw token exists in this handler's memory and in the mail, never in an
//! event, the outbox, a stream or the audit log.
//!
//! A retried event issues a fresh token; the earlier one stays valid until it expires, known to
//! nobody. Deduplication by event id (see [`super::Deduplicated`]) keeps a redelivered event
//! from mailing twice.

use std::sync::Arc;

use async_trait::async_trait;
use tracing::instrument;

use crate::domain::{
    Email, Event, EventData, Mail, MailMessage, MfaChange, NewAccountToken, OpaqueToken,
    TokenPurpose, UserId,
};
use crate::ports::{
    AccountTokens, Clock, EventHandler, Mailer, OpaqueTokens, PortError, PortResult,
};

/// Sends the mail each mail-sending event calls for.
pub struct SendMail {
    mailer: Arc<dyn Mailer>,
    tokens: Arc<dyn AccountTokens>,
    secrets: Arc<dyn OpaqueTokens>,
    clock: Arc<dyn Clock>,
}

impl SendMail {
    /// Sends through `mailer`, issuing tokens made by `secrets` into `tokens`, timed by
    /// `clock`. It takes these ports alone, not [`super::Ports`], because worker processes,
    /// which send mail, have none of the others.
    pub fn new(
        mailer: Arc<dyn Mailer>,
        tokens: Arc<dyn AccountTokens>,
        secrets: Arc<dyn OpaqueTokens>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            mailer,
            tokens,
            secrets,
            clock,
        }
    }

    /// A fresh token of `purpose` for `user`, stored by digest.
    async fn issue(&self, user: UserId, purpose: TokenPurpose) -> PortResult<OpaqueToken> {
        let token = self.secrets.generate();
        let digest = self.secrets.digest(&token);
        self.tokens
            .issue(&NewAccountToken::new(
                user,
                purpose,
                digest,
                self.clock.now(),
            ))
            .await?;
        Ok(token)
    }

    /// A fresh email-change token moving `user` to `new_email`, stored by digest.
    async fn issue_change(&self, user: UserId, new_email: Email) -> PortResult<OpaqueToken> {
        let token = self.secrets.generate();
        let digest = self.secrets.digest(&token);
        self.tokens
            .issue(&NewAccountToken::change_email(
                user,
                new_email,
                digest,
                self.clock.now(),
            ))
            .await?;
        Ok(token)
    }

    /// The mails `event` sends: none, one, or (an email change) a link to the new address and a
    /// notice to the current one.
    async fn compose(&self, event: &Event) -> PortResult<Vec<Mail>> {
        // An event stored before its account was deleted lost its address (docs/adr/0016).
        if event.data.is_erased() {
            return Ok(Vec::new());
        }
        let user = || {
            event
                .user_id
                .map(UserId::from_uuid)
                .ok_or_else(|| PortError::unexpected(NoUser(event.data.type_name())))
        };
        let (email, message) = match &event.data {
            EventData::SignedUp { email, .. } => {
                let verification_token = self.issue(user()?, TokenPurpose::VerifyEmail).await?;
                (email, MailMessage::Welcome { verification_token })
            }
            EventData::EmailVerificationRequested { email } => {
                let verification_token = self.issue(user()?, TokenPurpose::VerifyEmail).await?;
                (email, MailMessage::VerifyEmail { verification_token })
            }
            // A request for an address with no account is written all the same, so that both
            // answers take the same work; it sends nothing.
            EventData::PasswordResetRequested { .. } if event.user_id.is_none() => {
                return Ok(Vec::new());
            }
            EventData::PasswordResetRequested { email } => {
                let reset_token = self.issue(user()?, TokenPurpose::ResetPassword).await?;
                let valid_for = TokenPurpose::ResetPassword.lifetime();
                (
                    email,
                    MailMessage::PasswordReset {
                        reset_token,
                        valid_for,
                    },
                )
            }
            EventData::PasswordChanged { email } => (email, MailMessage::PasswordChanged),
            EventData::DeletionNotice { email } => (email, MailMessage::AccountDeleted),
            EventData::MfaEnabled { email, .. } => {
                (email, MailMessage::MfaNotice(MfaChange::Enabled))
            }
            EventData::MfaDisabled { email, .. } => {
                (email, MailMessage::MfaNotice(MfaChange::Disabled))
            }
            EventData::RecoveryCodeUsed { email } => {
                (email, MailMessage::MfaNotice(MfaChange::RecoveryCodeUsed))
            }
            EventData::EmailChangeRequested {
                email,
                previous_email,
            } => {
                let change_token = self.issue_change(user()?, address(email)?).await?;
                return Ok(vec![
                    to(email, MailMessage::ChangeEmail { change_token })?,
                    to(previous_email, MailMessage::EmailChangeNotice)?,
                ]);
            }
            EventData::LoggedIn { .. }
            | EventData::LoginFailed { .. }
            | EventData::LoggedOut { .. }
            | EventData::ReuseDetected { .. }
            | EventData::EmailVerified { .. }
            | EventData::ProfileUpdated { .. }
            | EventData::RoleChanged { .. }
            | EventData::Disabled { .. }
            | EventData::EmailChanged { .. }
            | EventData::Deleted { .. }
            | EventData::IdentityLinked { .. }
            | EventData::IdentityUnlinked { .. } => return Ok(Vec::new()),
        };
        Ok(vec![to(email, message)?])
    }
}

/// An address from an event, which was valid when the event was written.
fn address(email: &str) -> PortResult<Email> {
    Email::parse(email).map_err(|e| PortError::unexpected(e.message))
}

/// `message` to `email`.
fn to(email: &str, message: MailMessage) -> PortResult<Mail> {
    Ok(Mail {
        to: address(email)?,
        // The name is whatever the person who signed up typed, and nobody has shown that they
        // own the address: in a welcome it would put a stranger's words in the greeting of a
        // mail from us. No other message carries one.
        name: None,
        message,
    })
}

/// The cause inside a [`PortError::Unexpected`]: a mail-sending event about nobody.
#[derive(Debug, thiserror::Error)]
#[error("{0} carries no user id, so no token can be issued for it")]
struct NoUser(&'static str);

#[async_trait]
impl EventHandler for SendMail {
    fn name(&self) -> &'static str {
        "mail"
    }

    fn handles(&self, event: &Event) -> bool {
        event.data.sends_mail()
    }

    #[instrument(skip_all, name = "send_mail", fields(event_id = %event.id, event_type = event.data.type_name()))]
    async fn handle(&self, event: &Event) -> PortResult<()> {
        for mail in self.compose(event).await? {
            self.mailer.send(&mail).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TokenDigest;
    use crate::ports::MockMailer;
    use crate::usecases::testkit::{Mocks, NOW};

    fn handler(mut mocks: Mocks, mailer: MockMailer) -> SendMail {
        mocks
            .secrets
            .expect_generate()
            .returning(|| OpaqueToken::new("raw-token".into()));
        mocks
            .secrets
            .expect_digest()
            .returning(|t| TokenDigest::new(format!("digest:{}", t.expose())));
        let ports = mocks.ports();
        SendMail::new(
            Arc::new(mailer),
            ports.account_tokens,
            ports.secrets,
            ports.clock,
        )
    }

    fn event(data: EventData) -> Event {
        Event::new(data, Some(UserId::generate()), NOW)
    }

    #[tokio::test]
    async fn a_signup_sends_the_welcome_with_a_verification_token_and_no_unverified_name() {
        let mut mocks = Mocks::new();
        mocks
            .account_tokens
            .expect_issue()
            .withf(|token| {
                token.purpose == TokenPurpose::VerifyEmail
                    && token.digest.as_str() == "digest:raw-token"
                    && token.expires_at == NOW + time::Duration::hours(24)
            })
            .times(1)
            .returning(|_| Ok(()));
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .withf(|mail| {
                mail.to.as_str() == "ada@example.com"
                    && mail.name.is_none()
                    && matches!(&mail.message, MailMessage::Welcome { verification_token } if verification_token.expose() == "raw-token")
            })
            .times(1)
            .returning(|_| Ok(()));

        tokio::spawn(async move {
            handler(mocks, mailer)
                .handle(&event(EventData::SignedUp {
                    email: "ada@example.com".into(),
                    name: Some("Ada".into()),
                }))
                .await
        })
        .await
        .unwrap()
        .unwrap();
    }

    #[tokio::test]
    async fn a_reset_request_issues_a_thirty_minute_token() {
        let mut mocks = Mocks::new();
        mocks
            .account_tokens
            .expect_issue()
            .withf(|token| {
                token.purpose == TokenPurpose::ResetPassword
                    && token.expires_at == NOW + time::Duration::minutes(30)
            })
            .times(1)
            .returning(|_| Ok(()));
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .withf(|mail| matches!(mail.message, MailMessage::PasswordReset { .. }))
            .times(1)
            .returning(|_| Ok(()));

        handler(mocks, mailer)
            .handle(&event(EventData::PasswordResetRequested {
                email: "ada@example.com".into(),
            }))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_reset_request_for_an_address_without_an_account_sends_nothing() {
        let mut mocks = Mocks::new();
        mocks.account_tokens.expect_issue().never();
        let mut mailer = MockMailer::new();
        mailer.expect_send().never();
        let mut request = event(EventData::PasswordResetRequested {
            email: "nobody@example.com".into(),
        });
        request.user_id = None;

        let mail = handler(mocks, mailer).handle(&request).await;

        assert!(mail.is_ok(), "{mail:?}");
    }

    #[tokio::test]
    async fn events_without_mail_send_nothing_and_issue_nothing() {
        let mut mocks = Mocks::new();
        mocks.account_tokens.expect_issue().never();
        let mut mailer = MockMailer::new();
        mailer.expect_send().never();

        handler(mocks, mailer)
            .handle(&event(EventData::ProfileUpdated { name: None }))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_mailer_failure_is_the_handlers_so_the_event_is_retried() {
        let mut mocks = Mocks::new();
        mocks.account_tokens.expect_issue().returning(|_| Ok(()));
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .returning(|_| Err(PortError::unavailable("smtp down")));

        let result = handler(mocks, mailer)
            .handle(&event(EventData::EmailVerificationRequested {
                email: "ada@example.com".into(),
            }))
            .await;

        assert!(matches!(result, Err(PortError::Unavailable(_))));
    }

    #[tokio::test]
    async fn an_email_change_mails_a_link_to_the_new_address_and_a_notice_to_the_current_one() {
        let mut mocks = Mocks::new();
        mocks
            .account_tokens
            .expect_issue()
            .withf(|token| {
                token.purpose == TokenPurpose::ChangeEmail
                    && token.new_email.as_ref().map(Email::as_str) == Some("new@example.com")
            })
            .times(1)
            .returning(|_| Ok(()));
        let mut mailer = MockMailer::new();
        let mut order = mockall::Sequence::new();
        mailer
            .expect_send()
            .withf(|mail| {
                mail.to.as_str() == "new@example.com"
                    && matches!(&mail.message, MailMessage::ChangeEmail { change_token } if change_token.expose() == "raw-token")
            })
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Ok(()));
        mailer
            .expect_send()
            .withf(|mail| {
                mail.to.as_str() == "ada@example.com"
                    && matches!(mail.message, MailMessage::EmailChangeNotice)
            })
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Ok(()));

        handler(mocks, mailer)
            .handle(&event(EventData::EmailChangeRequested {
                email: "new@example.com".into(),
                previous_email: "ada@example.com".into(),
            }))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_deletion_notice_goes_to_the_address_the_account_had() {
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .withf(|mail| {
                mail.to.as_str() == "ada@example.com"
                    && matches!(mail.message, MailMessage::AccountDeleted)
            })
            .times(1)
            .returning(|_| Ok(()));

        handler(Mocks::new(), mailer)
            .handle(&event(EventData::DeletionNotice {
                email: "ada@example.com".into(),
            }))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_event_whose_address_was_erased_sends_nothing() {
        let mut mocks = Mocks::new();
        mocks.account_tokens.expect_issue().never();
        let mut mailer = MockMailer::new();
        mailer.expect_send().never();
        let mut data = EventData::PasswordResetRequested {
            email: "ada@example.com".into(),
        };
        data.erase_personal_data();

        let result = handler(mocks, mailer).handle(&event(data)).await;

        assert!(result.is_ok(), "{result:?}");
    }
}
