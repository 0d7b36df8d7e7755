//! `SmtpMailer` against a real SMTP server (the test sink): every message arrives addressed,
//! with a subject, a plain-text and an HTML part and its link; a display name cannot inject
//! markup; and every failure is sorted, within the send timeout, into an outage
//! (`Unavailable`) or a failure of that one mail (`Unexpected`).

use std::time::{Duration, Instant};

use postern_core::domain::{DisplayName, Email, Mail, MailMessage, OpaqueToken};
use postern_core::ports::{Mailer, PortError};
use postern_mail::{MailConfigError, SmtpConfig, SmtpMailer};
use postern_tests::smtp::{ReceivedMail, SinkOptions, SmtpSink};
use secrecy::SecretString;

const APP_URL: &str = "https://accounts.example.com";
const FROM: &str = "Postern <no-reply@example.com>";
const TOKEN: &str = "Zm9v-YmFy_token";
/// How long a test waits for mail the server has already accepted.
const DELIVERY: Duration = Duration::from_secs(5);

fn config(url: &str) -> SmtpConfig {
    SmtpConfig {
        url: SecretString::from(url.to_owned()),
        from: FROM.to_owned(),
        app_url: APP_URL.to_owned(),
        timeout: Duration::from_secs(2),
    }
}

fn mailer(sink: &SmtpSink) -> SmtpMailer {
    SmtpMailer::new(&config(&sink.url())).unwrap()
}

fn mail_to_ada(message: MailMessage) -> Mail {
    Mail {
        to: Email::parse("ada@example.com").unwrap(),
        name: Some(DisplayName::parse("Ada Lovelace").unwrap()),
        message,
    }
}

/// The link to `page` that carries [`TOKEN`].
fn link(page: &str) -> String {
    format!("{APP_URL}/{page}?token={TOKEN}")
}

fn token() -> OpaqueToken {
    OpaqueToken::new(TOKEN.to_owned())
}

/// Sends `message` to Ada through a fresh sink and returns what arrived.
async fn deliver(message: MailMessage) -> ReceivedMail {
    let sink = SmtpSink::start().await;

    mailer(&sink).send(&mail_to_ada(message)).await.unwrap();

    sink.wait_for(1, DELIVERY).await.remove(0)
}

/// Asserts the envelope, headers and both parts, and that both parts hold `link` if given.
fn assert_well_formed(mail: &ReceivedMail, subject: &str, link: Option<&str>) {
    assert_eq!(mail.envelope_from, "no-reply@example.com");
    assert_eq!(mail.envelope_to, ["ada@example.com"]);
    assert_eq!(mail.from.as_deref(), Some("no-reply@example.com"));
    assert_eq!(mail.to.as_deref(), Some("ada@example.com"));
    assert_eq!(mail.to_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(mail.subject.as_deref(), Some(subject));
    assert_eq!(mail.content_type.as_deref(), Some("multipart/alternative"));
    let text = mail.text.as_deref().expect("a text/plain part");
    let html = mail.html.as_deref().expect("a text/html part");
    assert!(text.starts_with("Hi Ada Lovelace,"), "{text}");
    assert!(html.contains("<p>Hi Ada Lovelace,</p>"), "{html}");
    if let Some(link) = link {
        assert!(text.contains(link), "{text}");
        assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    } else {
        assert!(!text.contains("token="), "{text}");
    }
}

#[tokio::test]
async fn welcome_arrives_with_both_parts_and_the_verification_link() {
    let mail = deliver(MailMessage::Welcome {
        verification_token: token(),
    })
    .await;

    assert_well_formed(
        &mail,
        "Welcome to Postern: please verify your email address",
        Some(&link("verify-email")),
    );
}

#[tokio::test]
async fn verify_email_arrives_with_both_parts_and_the_verification_link() {
    let mail = deliver(MailMessage::VerifyEmail {
        verification_token: token(),
    })
    .await;

    assert_well_formed(
        &mail,
        "Verify your email address for Postern",
        Some(&link("verify-email")),
    );
}

#[tokio::test]
async fn password_reset_arrives_with_both_parts_the_reset_link_and_its_lifetime() {
    let mail = deliver(MailMessage::PasswordReset {
        reset_token: token(),
        valid_for: time::Duration::minutes(30),
    })
    .await;

    assert_well_formed(
        &mail,
        "Reset your Postern password",
        Some(&link("reset-password")),
    );
    assert!(mail.text.unwrap().contains("within 30 minutes"));
}

#[tokio::test]
async fn password_changed_arrives_with_both_parts_and_no_link() {
    let mail = deliver(MailMessage::PasswordChanged).await;

    assert_well_formed(&mail, "Your Postern password was changed", None);
}

#[tokio::test]
async fn a_script_in_the_name_is_escaped_in_the_html_part() {
    let sink = SmtpSink::start().await;
    let mail = Mail {
        name: Some(DisplayName::parse("<script>alert(1)</script>").unwrap()),
        ..mail_to_ada(MailMessage::PasswordChanged)
    };

    mailer(&sink).send(&mail).await.unwrap();

    let received = sink.wait_for(1, DELIVERY).await.remove(0);
    let html = received.html.unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
}

/// Sends through a sink that accepts only `postern` / `s3cret`, logging in with `password`.
async fn send_logged_in_with(password: &str) -> (SmtpSink, postern_core::ports::PortResult<()>) {
    let sink = SmtpSink::start_with(SinkOptions {
        credentials: Some(("postern".into(), "s3cret".into())),
        ..SinkOptions::default()
    })
    .await;
    let mailer = SmtpMailer::new(&config(&sink.url_with_login("postern", password))).unwrap();
    let result = mailer
        .send(&mail_to_ada(MailMessage::PasswordChanged))
        .await;
    (sink, result)
}

/// Sends through a sink that answers as `options` say.
async fn send_through(options: SinkOptions) -> postern_core::ports::PortResult<()> {
    let sink = SmtpSink::start_with(options).await;
    mailer(&sink)
        .send(&mail_to_ada(MailMessage::PasswordChanged))
        .await
}

/// Sends through a sink that answers every recipient with `code`.
async fn send_with_recipients_refused(code: u16) -> postern_core::ports::PortResult<()> {
    send_through(SinkOptions {
        refuse_recipients_with: Some(code),
        ..SinkOptions::default()
    })
    .await
}

#[tokio::test]
async fn credentials_in_the_url_log_in_to_the_server() {
    let (sink, result) = send_logged_in_with("s3cret").await;

    result.unwrap();
    assert_eq!(sink.wait_for(1, DELIVERY).await.len(), 1);
}

#[tokio::test]
async fn wrong_credentials_are_unexpected() {
    let (sink, result) = send_logged_in_with("wrong").await;

    assert!(
        matches!(result, Err(PortError::Unexpected(_))),
        "{result:?}"
    );
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn a_recipient_refused_for_now_fails_that_mail_rather_than_stopping_all_mail() {
    let result = send_with_recipients_refused(450).await;

    assert!(
        matches!(result, Err(PortError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_message_refused_for_now_at_data_fails_that_mail() {
    let result = send_through(SinkOptions {
        refuse_data_with: Some(452),
        ..SinkOptions::default()
    })
    .await;

    assert!(
        matches!(result, Err(PortError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_server_closing_its_service_with_421_is_unavailable() {
    let result = send_with_recipients_refused(421).await;

    assert!(
        matches!(result, Err(PortError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_recipient_rejected_for_good_is_unexpected() {
    let result = send_with_recipients_refused(550).await;

    assert!(
        matches!(result, Err(PortError::Unexpected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_server_that_refuses_connections_is_unavailable_at_once() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = SmtpMailer::new(&config(&format!("smtp://127.0.0.1:{port}"))).unwrap();
    let started = Instant::now();

    let result = mailer
        .send(&mail_to_ada(MailMessage::PasswordChanged))
        .await;

    assert!(
        matches!(result, Err(PortError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_unavailable_after_the_timeout() {
    // Connections complete in the kernel's backlog, but nothing ever greets them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", silent.local_addr().unwrap());
    let mailer = SmtpMailer::new(&SmtpConfig {
        timeout: Duration::from_millis(500),
        ..config(&url)
    })
    .unwrap();
    let started = Instant::now();

    let result = mailer
        .send(&mail_to_ada(MailMessage::PasswordChanged))
        .await;

    assert!(
        matches!(result, Err(PortError::Unavailable(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_unusable_smtp_url_is_refused_naming_smtp_url() {
    for url in [
        "not a url",
        "http://mail.example.com",
        "smtp://mail.example.com?tls=sometimes",
    ] {
        let result = SmtpMailer::new(&config(url));

        let err = result.unwrap_err();
        assert!(matches!(err, MailConfigError::SmtpUrl(_)), "{url}: {err:?}");
        assert!(err.to_string().contains("SMTP_URL"), "{err}");
    }
}

#[test]
fn an_unusable_sender_is_refused_naming_mail_from() {
    let result = SmtpMailer::new(&SmtpConfig {
        from: "Postern <not an address>".to_owned(),
        ..config("smtp://127.0.0.1:2525")
    });

    let err = result.unwrap_err();
    assert!(matches!(err, MailConfigError::MailFrom(_)), "{err:?}");
    assert!(err.to_string().contains("MAIL_FROM"), "{err}");
}

#[test]
fn an_unusable_app_url_is_refused_naming_app_url() {
    let result = SmtpMailer::new(&SmtpConfig {
        app_url: "accounts.example.com".to_owned(),
        ..config("smtp://127.0.0.1:2525")
    });

    let err = result.unwrap_err();
    assert!(matches!(err, MailConfigError::AppUrl), "{err:?}");
    assert!(err.to_string().contains("APP_URL"), "{err}");
}

#[test]
fn tls_urls_are_accepted() {
    for url in [
        "smtps://user:pass@mail.example.com",
        "smtp://user:pass@mail.example.com:587?tls=required",
        "smtp://mail.example.com:587?tls=opportunistic",
    ] {
        assert!(SmtpMailer::new(&config(url)).is_ok(), "{url}");
    }
}
