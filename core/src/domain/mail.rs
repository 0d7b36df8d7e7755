//! Outgoing mail, as the domain decides it: who receives it and which message, with the secrets
//! it carries. How it is worded, laid out and delivered belongs to the [`crate::ports::Mailer`]
//! adapter, so that templates and transports change without touching the use cases.

use time::Duration;

use super::{DisplayName, Email, OpaqueToken};

/// One mail to one account holder.
#[derive(Clone, Debug)]
pub struct Mail {
    /// The recipient's address.
    pub to: Email,
    /// The recipient's display name, for the greeting and the `To` header. Only a name the
    /// holder of a verified address chose belongs here: [`crate::usecases::SendMail`] sets
    /// none, since the one mail that could greet by name, the welcome, goes to an address
    /// nobody has verified yet.
    pub name: Option<DisplayName>,
    /// What the mail says.
    pub message: MailMessage,
}

/// The messages Postern sends. Tokens are the raw secrets, shown to the recipient once; their
/// `Debug` output is redacted, and adapters must not log them.
#[derive(Clone, Debug)]
pub enum MailMessage {
    /// Sent after signup: a welcome and a link to verify the address.
    Welcome {
        /// The email-verification token the link carries.
        verification_token: OpaqueToken,
    },
    /// A new verification link, when the user asks for one again.
    VerifyEmail {
        /// The email-verification token the link carries.
        verification_token: OpaqueToken,
    },
    /// A password-reset link.
    PasswordReset {
        /// The reset token the link carries.
        reset_token: OpaqueToken,
        /// How long the link stays valid.
        valid_for: Duration,
    },
    /// A notice that the account's password was changed.
    PasswordChanged,
    /// A link that moves the account to this, its new address.
    ChangeEmail {
        /// The email-change token the link carries.
        change_token: OpaqueToken,
    },
    /// A notice to the account's current address that a move to another was asked for.
    EmailChangeNotice,
    /// A notice that the account was deleted.
    AccountDeleted,
    /// A notice that the account's second factors changed, or a recovery code was used.
    MfaNotice(MfaChange),
}

/// What a [`MailMessage::MfaNotice`] tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MfaChange {
    /// A second factor was added.
    Enabled,
    /// A second factor was removed, or an admin removed them all.
    Disabled,
    /// A recovery code completed a login.
    RecoveryCodeUsed,
}

impl MailMessage {
    /// A short name for logs and metrics, e.g. `password_reset`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Welcome { .. } => "welcome",
            Self::VerifyEmail { .. } => "verify_email",
            Self::PasswordReset { .. } => "password_reset",
            Self::PasswordChanged => "password_changed",
            Self::ChangeEmail { .. } => "change_email",
            Self::EmailChangeNotice => "email_change_notice",
            Self::AccountDeleted => "account_deleted",
            Self::MfaNotice(MfaChange::Enabled) => "mfa_enabled",
            Self::MfaNotice(MfaChange::Disabled) => "mfa_disabled",
            Self::MfaNotice(MfaChange::RecoveryCodeUsed) => "recovery_code_used",
        }
    }
}
