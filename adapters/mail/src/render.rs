//! Rendering: a [`Mail`] becomes a subject, a plain-text body and an HTML body, from the askama
//! templates under `adapters/templates/mail/`. Askama compiles the templates into this crate, so
//! a misspelt variable fails the build instead of the first mail; `.html` templates escape
//! every value, so a display name cannot inject markup.
//!
//! Links are built here, once, from the public base URL: the templates only place them. The same
//! rendering with [`Tokens::Redact`] gives the console mailer a body it may log.

use askama::Template;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use postern_core::domain::{Mail, MailMessage, MfaChange, OpaqueToken};
use postern_core::ports::{PortError, PortResult};
use time::Duration;
use url::Url;

use super::MailConfigError;

/// What a link shows in place of its token when tokens are redacted.
const REDACTED: &str = "REDACTED";

/// Characters a token keeps in a query value: RFC 3986's unreserved set.
const TOKEN_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The public base URL of the web pages that links in mail lead to, e.g.
/// `https://accounts.example.com`: an absolute http(s) URL without query or fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppUrl(String);

impl AppUrl {
    /// Validates `raw` and drops a trailing slash, so that paths join with exactly one.
    ///
    /// # Errors
    /// [`MailConfigError::AppUrl`] when `raw` is not an absolute http(s) URL with a host, or
    /// carries a query or fragment.
    pub fn parse(raw: &str) -> PortResult<Self, MailConfigError> {
        let url = Url::parse(raw.trim()).map_err(|_| MailConfigError::AppUrl)?;
        let usable = matches!(url.scheme(), "http" | "https")
            && url.has_host()
            && url.query().is_none()
            && url.fragment().is_none();
        if !usable {
            return Err(MailConfigError::AppUrl);
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// `http://{addr}`: the base URL of a server reached directly at `addr`.
    pub fn from_listen_address(addr: std::net::SocketAddr) -> Self {
        Self(format!("http://{addr}"))
    }

    /// The base URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{base}/{page}?token={token}`, with the token percent-encoded.
    fn link(&self, page: &str, token: &str) -> String {
        format!(
            "{}/{page}?token={}",
            self.0,
            utf8_percent_encode(token, TOKEN_SAFE)
        )
    }
}

/// Whether rendered links carry the real token or [`REDACTED`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tokens {
    /// The real token: for delivery.
    Include,
    /// A placeholder: for logs.
    Redact,
}

/// A rendered mail: what the transport sends, or the console logs.
#[derive(Debug)]
pub(crate) struct Rendered {
    pub subject: &'static str,
    pub text: String,
    pub html: String,
}

/// What a message says, with its links built: the templates' view of a [`MailMessage`].
enum Content {
    Welcome { link: String },
    VerifyEmail { link: String },
    PasswordReset { link: String, valid_for: String },
    PasswordChanged,
    ChangeEmail { link: String },
    EmailChangeNotice,
    AccountDeleted,
    MfaNotice { what: &'static str },
}

/// The plain-text part.
#[derive(Template)]
#[template(path = "mail/message.txt")]
struct TextBody<'a> {
    greeting: &'a str,
    content: &'a Content,
}

/// The HTML part.
#[derive(Template)]
#[template(path = "mail/message.html")]
struct HtmlBody<'a> {
    subject: &'a str,
    greeting: &'a str,
    content: &'a Content,
}

/// Renders `mail`, with links under `app_url`.
///
/// # Errors
/// [`PortError::Unexpected`] when a template fails to render.
pub(crate) fn render(mail: &Mail, app_url: &AppUrl, tokens: Tokens) -> PortResult<Rendered> {
    let token = |token: &OpaqueToken| match tokens {
        Tokens::Include => token.expose().to_owned(),
        Tokens::Redact => REDACTED.to_owned(),
    };
    let (subject, content) = match &mail.message {
        MailMessage::Welcome { verification_token } => (
            "Welcome to Postern: please verify your email address",
            Content::Welcome {
                link: app_url.link("verify-email", &token(verification_token)),
            },
        ),
        MailMessage::VerifyEmail { verification_token } => (
            "Verify your email address for Postern",
            Content::VerifyEmail {
                link: app_url.link("verify-email", &token(verification_token)),
            },
        ),
        MailMessage::PasswordReset {
            reset_token,
            valid_for,
        } => (
            "Reset your Postern password",
            Content::PasswordReset {
                link: app_url.link("reset-password", &token(reset_token)),
                valid_for: spoken(*valid_for),
            },
        ),
        MailMessage::PasswordChanged => (
            "Your Postern password was changed",
            Content::PasswordChanged,
        ),
        MailMessage::ChangeEmail { change_token } => (
            "Confirm your new email address for Postern",
            Content::ChangeEmail {
                link: app_url.link("confirm-email", &token(change_token)),
            },
        ),
        MailMessage::EmailChangeNotice => (
            "A change of your Postern email address was asked for",
            Content::EmailChangeNotice,
        ),
        MailMessage::AccountDeleted => {
            ("Your Postern account was deleted", Content::AccountDeleted)
        }
        MailMessage::MfaNotice(change) => mfa_notice(*change),
    };
    let greeting = mail.name.as_ref().map_or("there", |name| name.as_str());
    let text = TextBody {
        greeting,
        content: &content,
    }
    .render()
    .map_err(PortError::unexpected)?;
    let html = HtmlBody {
        subject,
        greeting,
        content: &content,
    }
    .render()
    .map_err(PortError::unexpected)?;
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

/// The subject and content of a notice about second factors.
fn mfa_notice(change: MfaChange) -> (&'static str, Content) {
    let (subject, what) = match change {
        MfaChange::Enabled => (
            "Two-step sign-in was turned on for your Postern account",
            "A second sign-in step was added to your Postern account.",
        ),
        MfaChange::Disabled => (
            "A second sign-in step was removed from your Postern account",
            "A second sign-in step was removed from your Postern account.",
        ),
        MfaChange::RecoveryCodeUsed => (
            "A recovery code was used to sign in to your Postern account",
            "One of your recovery codes was just used to sign in to your Postern account; it \
             works no more.",
        ),
    };
    (subject, Content::MfaNotice { what })
}

/// A lifetime as a person says it: whole hours when it is some, else minutes, rounded up.
fn spoken(duration: Duration) -> String {
    let minutes = (duration.whole_seconds().max(0) + 59) / 60;
    let (count, unit) = if minutes >= 60 && minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
