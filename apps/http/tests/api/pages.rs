//! The pages that links in mail lead to (`/verify-email`, `/reset-password`): HTML with a locked
//! down policy, a GET that spends nothing, failures as pages rather than JSON, problems with the
//! new password shown on the form. Spending real tokens from real mail is tested in a browser,
//! and tokens kept out of the log of a real process at trace level, in the `postern-tests` crate.

use poem::http::{Method, StatusCode};

use crate::support::{Reply, TestApp};

const PAGES: [&str; 2] = ["/verify-email", "/reset-password"];

async fn get_page(app: &TestApp, page: &str, token: &str) -> Reply {
    app.send(app.request(Method::GET, page).query("token", &token))
        .await
}

async fn post_form(app: &TestApp, page: &str, fields: &[(&str, &str)]) -> Reply {
    app.send(app.request(Method::POST, page).form(&fields))
        .await
}

fn assert_html_page(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(reply.text.starts_with("<!DOCTYPE html>"), "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    let policy = reply.header("content-security-policy").unwrap_or_default();
    for directive in [
        "default-src 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "style-src 'sha256-",
    ] {
        assert!(
            policy.contains(directive),
            "{directive} missing from {policy}"
        );
    }
}

#[tokio::test]
async fn the_verify_page_shows_a_button_that_posts_the_token_back() {
    let app = TestApp::new();

    let reply = get_page(&app, "/verify-email", "a-verification-token").await;

    assert_html_page(&reply, StatusCode::OK);
    assert!(
        reply
            .text
            .contains(r#"<form method="post" action="verify-email">"#)
    );
    assert!(
        reply
            .text
            .contains(r#"name="token" value="a-verification-token""#)
    );
    assert!(reply.text.contains("<button"));
}

#[tokio::test]
async fn the_reset_page_asks_for_the_new_password_twice() {
    let app = TestApp::new();

    let reply = get_page(&app, "/reset-password", "a-reset-token").await;

    assert_html_page(&reply, StatusCode::OK);
    assert!(
        reply
            .text
            .contains(r#"<form method="post" action="reset-password">"#)
    );
    assert!(reply.text.contains(r#"name="token" value="a-reset-token""#));
    assert!(
        reply
            .text
            .contains(r#"type="password" id="password" name="password""#)
    );
    assert!(
        reply
            .text
            .contains(r#"type="password" id="confirmation" name="confirmation""#)
    );
}

#[tokio::test]
async fn a_token_is_escaped_where_the_page_echoes_it() {
    let app = TestApp::new();

    for page in PAGES {
        let reply = get_page(&app, page, r#""><script>alert(1)</script>"#).await;

        assert_html_page(&reply, StatusCode::OK);
        assert!(!reply.text.contains("<script>"), "{}", reply.text);
        assert!(
            reply.text.contains("&#34;&#62;&#60;script&#62;"),
            "{}",
            reply.text
        );
    }
}

#[tokio::test]
async fn a_link_without_a_token_gets_a_400_page() {
    let app = TestApp::new();

    for page in PAGES {
        for reply in [
            app.get(page, None).await,
            get_page(&app, page, "").await,
            post_form(&app, page, &[]).await,
        ] {
            assert_html_page(&reply, StatusCode::BAD_REQUEST);
            assert!(
                reply.text.contains("This link is incomplete"),
                "{}",
                reply.text
            );
            assert!(!reply.text.contains("<form"), "{}", reply.text);
        }
    }
}

#[tokio::test]
async fn an_unknown_token_gets_the_invalid_link_answer_as_a_page() {
    let app = TestApp::new();
    let password = "a new password of some length";

    for reply in [
        post_form(&app, "/verify-email", &[("token", "unknown")]).await,
        post_form(
            &app,
            "/reset-password",
            &[
                ("token", "unknown"),
                ("password", password),
                ("confirmation", password),
            ],
        )
        .await,
    ] {
        assert_html_page(&reply, StatusCode::BAD_REQUEST);
        assert!(
            reply
                .text
                .contains("The link is invalid, already used or expired; ask for a new one."),
            "{}",
            reply.text
        );
    }
}

#[tokio::test]
async fn differing_passwords_show_the_form_again_with_the_problem() {
    let app = TestApp::new();

    let reply = post_form(
        &app,
        "/reset-password",
        &[
            ("token", "kept-token"),
            ("password", "a new password of some length"),
            ("confirmation", "another password entirely"),
        ],
    )
    .await;

    assert_html_page(&reply, StatusCode::BAD_REQUEST);
    assert!(
        reply.text.contains("The two passwords differ"),
        "{}",
        reply.text
    );
    assert!(reply.text.contains(r#"name="token" value="kept-token""#));
}

#[tokio::test]
async fn a_password_the_api_would_refuse_is_refused_on_the_form() {
    let app = TestApp::new();

    for (password, problem) in [
        ("short", "The new password must be at least 8 characters."),
        (
            "          ",
            "The new password must not be only whitespace.",
        ),
    ] {
        let reply = post_form(
            &app,
            "/reset-password",
            &[
                ("token", "kept-token"),
                ("password", password),
                ("confirmation", password),
            ],
        )
        .await;

        assert_html_page(&reply, StatusCode::BAD_REQUEST);
        assert!(reply.text.contains(problem), "{}", reply.text);
        assert!(reply.text.contains(r#"name="token" value="kept-token""#));
    }
}
