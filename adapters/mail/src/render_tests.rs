use postern_core::domain::{DisplayName, Email};

use super::*;

const TOKEN: &str = "tok-en_1.2~3";

fn app_url() -> AppUrl {
    AppUrl::parse("https://accounts.example.com/").unwrap()
}

fn mail(name: Option<&str>, message: MailMessage) -> Mail {
    Mail {
        to: Email::parse("ada@example.com").unwrap(),
        name: name.map(|n| DisplayName::parse(n).unwrap()),
        message,
    }
}

fn token(raw: &str) -> OpaqueToken {
    OpaqueToken::new(raw.to_owned())
}

fn every_message() -> Vec<MailMessage> {
    vec![
        MailMessage::Welcome {
            verification_token: token(TOKEN),
        },
        MailMessage::VerifyEmail {
            verification_token: token(TOKEN),
        },
        MailMessage::PasswordReset {
            reset_token: token(TOKEN),
            valid_for: Duration::hours(1),
        },
        MailMessage::PasswordChanged,
        MailMessage::ChangeEmail {
            change_token: token(TOKEN),
        },
        MailMessage::EmailChangeNotice,
        MailMessage::AccountDeleted,
    ]
}

#[test]
fn app_url_accepts_http_and_https_bases_and_drops_the_trailing_slash() {
    assert_eq!(
        app_url().link("p", "t"),
        "https://accounts.example.com/p?token=t"
    );
    let nested = AppUrl::parse("http://localhost:8080/accounts").unwrap();
    assert_eq!(
        nested.link("p", "t"),
        "http://localhost:8080/accounts/p?token=t"
    );
}

#[test]
fn app_url_rejects_relative_non_http_and_query_carrying_urls() {
    for raw in [
        "",
        "accounts.example.com",
        "/verify",
        "ftp://example.com",
        "https://example.com/?a=b",
        "https://example.com/#top",
    ] {
        assert!(
            matches!(AppUrl::parse(raw), Err(MailConfigError::AppUrl)),
            "{raw}"
        );
    }
}

#[test]
fn links_percent_encode_the_token() {
    let link = app_url().link("verify-email", "a+b/c=d&e f");

    assert_eq!(
        link,
        "https://accounts.example.com/verify-email?token=a%2Bb%2Fc%3Dd%26e%20f"
    );
}

#[test]
fn welcome_greets_by_name_and_links_to_email_verification() {
    let rendered = render(
        &mail(Some("Ada"), every_message().remove(0)),
        &app_url(),
        Tokens::Include,
    )
    .unwrap();
    let link = format!("https://accounts.example.com/verify-email?token={TOKEN}");

    assert_eq!(
        rendered.subject,
        "Welcome to Postern: please verify your email address"
    );
    assert!(rendered.text.starts_with("Hi Ada,\n"), "{}", rendered.text);
    assert!(rendered.text.contains(&link), "{}", rendered.text);
    assert!(
        rendered.html.contains("<p>Hi Ada,</p>"),
        "{}",
        rendered.html
    );
    assert!(
        rendered.html.contains(&format!("href=\"{link}\"")),
        "{}",
        rendered.html
    );
}

#[test]
fn password_reset_links_to_the_reset_page_and_says_how_long_it_is_valid() {
    let rendered = render(
        &mail(None, every_message().remove(2)),
        &app_url(),
        Tokens::Include,
    )
    .unwrap();
    let link = format!("https://accounts.example.com/reset-password?token={TOKEN}");

    assert_eq!(rendered.subject, "Reset your Postern password");
    assert!(
        rendered.text.starts_with("Hi there,\n"),
        "{}",
        rendered.text
    );
    assert!(rendered.text.contains(&link), "{}", rendered.text);
    assert!(
        rendered.text.contains("within 1 hour:"),
        "{}",
        rendered.text
    );
    assert!(rendered.html.contains(&link), "{}", rendered.html);
}

#[test]
fn every_message_has_a_subject_and_both_parts() {
    for message in every_message() {
        let kind = message.kind();
        let rendered = render(&mail(Some("Ada"), message), &app_url(), Tokens::Include).unwrap();

        assert!(!rendered.subject.is_empty(), "{kind}");
        assert!(
            rendered.text.contains("Postern"),
            "{kind}: {}",
            rendered.text
        );
        assert!(!rendered.text.contains('<'), "{kind}: {}", rendered.text);
        assert!(
            rendered.html.contains("</html>"),
            "{kind}: {}",
            rendered.html
        );
    }
}

#[test]
fn html_escapes_the_name_and_text_keeps_it_as_written() {
    let name = "<script>alert(1)</script> & Co";
    let rendered = render(
        &mail(Some(name), MailMessage::PasswordChanged),
        &app_url(),
        Tokens::Include,
    )
    .unwrap();

    assert!(!rendered.html.contains("<script>"), "{}", rendered.html);
    assert!(
        rendered.html.contains("&#60;script&#62;") || rendered.html.contains("&lt;script&gt;"),
        "{}",
        rendered.html
    );
    assert!(rendered.text.contains(name), "{}", rendered.text);
}

#[test]
fn redacted_rendering_holds_no_token() {
    for message in every_message() {
        let kind = message.kind();
        let rendered = render(&mail(None, message), &app_url(), Tokens::Redact).unwrap();

        assert!(!rendered.text.contains(TOKEN), "{kind}: {}", rendered.text);
        assert!(!rendered.html.contains(TOKEN), "{kind}: {}", rendered.html);
    }
    let rendered = render(
        &mail(None, every_message().remove(1)),
        &app_url(),
        Tokens::Redact,
    )
    .unwrap();
    assert!(
        rendered.text.contains("/verify-email?token=REDACTED"),
        "{}",
        rendered.text
    );
}

#[test]
fn lifetimes_are_spoken_in_hours_or_minutes() {
    assert_eq!(spoken(Duration::hours(1)), "1 hour");
    assert_eq!(spoken(Duration::hours(24)), "24 hours");
    assert_eq!(spoken(Duration::minutes(90)), "90 minutes");
    assert_eq!(spoken(Duration::minutes(1)), "1 minute");
    assert_eq!(spoken(Duration::seconds(61)), "2 minutes");
}
