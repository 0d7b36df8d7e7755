//! The pages that links in mail lead to, in a real browser (issue 12): a real `postern serve`
//! process, mail to a real SMTP server the test starts or to the console, and headless Chromium
//! opening the links, submitting the pages and leaving the account changed.

use std::time::Duration;

use postern_tests::app::PASSWORD;
use postern_tests::browser::Browser;
use postern_tests::process::ServeProcess;
use postern_tests::smtp::{ReceivedMail, SmtpSink};
use reqwest::StatusCode;
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";
const NEW_PASSWORD: &str = "a brand new passphrase";
const MAIL_WAIT: Duration = Duration::from_secs(15);

/// `POST path` with a JSON body; the status and the body.
async fn post(server: &ServeProcess, path: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn signup(server: &ServeProcess) {
    let (status, body) = post(
        server,
        "/api/v1/auth/signup",
        json!({"email": EMAIL, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The status of a login with `password`, and whether the account's address is verified.
async fn login(server: &ServeProcess, password: &str) -> (StatusCode, Option<bool>) {
    let (status, body) = post(
        server,
        "/api/v1/auth/login",
        json!({"email": EMAIL, "password": password}),
    )
    .await;
    (status, body["data"]["user"]["emailVerified"].as_bool())
}

/// The link in `text` that starts with `prefix`.
fn link_in(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link starting {prefix} in {text}"));
    text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(['"', '\\'])
        .to_owned()
}

fn mail_link(mail: &ReceivedMail, prefix: &str) -> String {
    link_in(mail.text.as_deref().expect("a text part"), prefix)
}

fn token_of(link: &str) -> &str {
    link.split_once("token=").unwrap().1
}

/// Opens a verification link and presses its button; the outcome the page shows.
async fn verify_in(browser: &Browser, link: &str) -> String {
    browser.open(link).await;
    assert_eq!(browser.title().await, "Verify your email address - Postern");
    browser.click("button[type=submit]").await;
    browser.text_of("p.done").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_completes_verification_and_reset_from_the_links_in_mail() {
    let sink = SmtpSink::start().await;
    let data = tempfile::tempdir().unwrap();
    let smtp_url = sink.url();
    let server = ServeProcess::start(
        data.path(),
        &[
            ("SMTP_URL", &smtp_url),
            ("MAIL_FROM", "Postern <no-reply@example.test>"),
        ],
    );
    let browser = Browser::start().await;
    signup(&server).await;
    let welcome = sink.wait_for(1, MAIL_WAIT).await.remove(0);
    let verify_link = mail_link(&welcome, &server.url("/verify-email?token="));

    browser.open(&verify_link).await;
    assert_eq!(
        login(&server, PASSWORD).await,
        (StatusCode::OK, Some(false)),
        "opening the link must not spend it"
    );
    let verified = verify_in(&browser, &verify_link).await;

    assert!(
        verified.contains("ada@example.com is verified"),
        "{verified}"
    );
    assert_eq!(login(&server, PASSWORD).await, (StatusCode::OK, Some(true)));

    let (status, _) = post(
        &server,
        "/api/v1/auth/password/forgot",
        json!({ "email": EMAIL }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mail = sink.wait_for(2, MAIL_WAIT).await;
    let reset_link = mail_link(&mail[1], &server.url("/reset-password?token="));
    browser.open(&reset_link).await;
    browser.fill("#password", NEW_PASSWORD).await;
    browser
        .fill("#confirmation", "not the same passphrase")
        .await;
    browser.click("button[type=submit]").await;
    let problem = browser.text_of("p.problem").await;
    assert!(problem.contains("The two passwords differ"), "{problem}");
    browser.fill("#password", NEW_PASSWORD).await;
    browser.fill("#confirmation", NEW_PASSWORD).await;
    browser.click("button[type=submit]").await;
    let reset = browser.text_of("p.done").await;

    assert!(reset.contains("Your password is changed"), "{reset}");
    assert_eq!(login(&server, PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&server, NEW_PASSWORD).await.0, StatusCode::OK);
    browser.close().await;
    server.terminate();
    let (_, output) = server.wait();
    for link in [&verify_link, &reset_link] {
        assert!(
            !output.contains(token_of(link)),
            "a token reached the log: {output}"
        );
    }
}

/// The link to `page` in the body of a mail the console mailer logged.
fn console_link(line: &str, prefix: &str) -> Option<String> {
    if !line.contains("mail not sent (console mailer)") {
        return None;
    }
    let entry: Value = serde_json::from_str(line).ok()?;
    let body = entry["fields"]["body"].as_str()?;
    Some(link_in(body, prefix))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_on_the_embedded_default_logs_a_link_that_verifies_in_a_browser() {
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(data.path(), &[]);
    let browser = Browser::start().await;
    signup(&server).await;
    let prefix = server.url("/verify-email?token=");
    let link = server
        .wait_for_line(MAIL_WAIT, |line| console_link(line, &prefix))
        .await;

    let verified = verify_in(&browser, &link).await;

    assert!(
        verified.contains("ada@example.com is verified"),
        "{verified}"
    );
    assert_eq!(login(&server, PASSWORD).await, (StatusCode::OK, Some(true)));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_without_smtp_warns_at_start_and_logs_mail_with_tokens_redacted() {
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(
        data.path(),
        &[
            ("POSTERN_ENV", "production"),
            ("JWT_SECRET", postern_tests::app::TEST_JWT_SECRET),
            ("MFA_ENCRYPTION_KEY", postern_tests::app::TEST_MFA_KEY),
        ],
    );

    server
        .wait_for_line(MAIL_WAIT, |line| {
            line.contains("SMTP_URL is not set: no mail will leave")
                .then_some(())
        })
        .await;
    signup(&server).await;
    let prefix = server.url("/verify-email?token=");
    let link = server
        .wait_for_line(MAIL_WAIT, |line| console_link(line, &prefix))
        .await;

    assert_eq!(token_of(&link), "REDACTED");
}
