//! One HTML page for every answer: the template, the headers that lock it down, and the page of
//! a failure.
//!
//! The only style is one `<style>` element allowed by its hash, so the Content-Security-Policy
//! allows nothing else at all: no script, no image, no font, no frame, and forms may post only
//! back to Postern.

use std::sync::LazyLock;

use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use poem::Response;
use poem::http::StatusCode;
use postern_core::domain::OpaqueToken;
use postern_core::error_chain;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tracing::{error, warn};

use crate::answers::Answered;

/// The whole style sheet of the pages.
const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;color:#222;\
margin:0;padding:2rem 1rem}main{max-width:28rem;margin:0 auto}label,input,button{display:block;\
width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem;font:inherit}\
button{padding:.6rem;font:inherit;cursor:pointer}.problem{color:#a40000}.done{color:#0a5c0a}";

/// The policy of every page: nothing but [`STYLE`], and forms that post back to Postern.
static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
});

/// The token of a link, as the query of the GET or the form of the POST carries it; a missing
/// one reads as empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LinkToken {
    token: String,
}

impl From<String> for LinkToken {
    fn from(token: String) -> Self {
        Self { token }
    }
}

impl LinkToken {
    /// The token, unless it is empty or longer than any token Postern makes.
    pub(super) fn parse(self) -> Option<OpaqueToken> {
        OpaqueToken::presented(self.token, "token").ok()
    }
}

/// What a page shows under its title.
pub(super) enum Body {
    /// The button that spends a verification token.
    VerifyForm { token: String },
    /// The button that spends an email-change token.
    ConfirmEmailForm { token: String },
    /// The new-password form, with what was wrong with the last attempt.
    ResetForm {
        token: String,
        problem: Option<String>,
    },
    /// The work is done.
    Done { message: String },
    /// The work could not be done.
    Failed { message: String },
}

#[derive(Template)]
#[template(path = "pages/page.html")]
struct Page<'a> {
    title: &'a str,
    style: &'a str,
    body: &'a Body,
}

/// The page titled `title` showing `body`, answered with `status`.
pub(super) fn page(status: StatusCode, title: &str, body: &Body) -> Response {
    let html = Page {
        title,
        style: STYLE,
        body,
    }
    .render();
    let builder = Response::builder()
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .header("content-security-policy", CONTENT_SECURITY_POLICY.as_str());
    match html {
        Ok(html) => builder
            .status(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(err) => {
            error!(error = %err, "a page failed to render");
            builder
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/plain; charset=utf-8")
                .body("Something went wrong on our side.")
        }
    }
}

/// The page of a use case's failure: the status and message the API answers it with, logged
/// as the API logs it (a 500 with its cause, a 503 as a warning).
pub(super) fn failure(title: &str, error: &impl Answered) -> Response {
    let answer = error.answer();
    match answer.status {
        StatusCode::INTERNAL_SERVER_ERROR => error!(error = %error_chain(error), "internal error"),
        StatusCode::SERVICE_UNAVAILABLE => {
            warn!(error = %error_chain(error), "dependency unavailable");
        }
        _ => {}
    }
    let message = answer.message.to_owned();
    page(answer.status, title, &Body::Failed { message })
}

/// The page of a link that carries no usable token.
pub(super) fn broken_link(title: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        title,
        &Body::Failed {
            message: "This link is incomplete. Open the link from the mail again, or ask for a \
                      new one."
                .to_owned(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_style_the_pages_carry() {
        let html = Page {
            title: "t",
            style: STYLE,
            body: &Body::Done {
                message: "m".to_owned(),
            },
        }
        .render()
        .unwrap();
        let style = html
            .split_once("<style>")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .unwrap()
            .0;
        let hash = STANDARD.encode(Sha256::digest(style.as_bytes()));

        assert!(
            CONTENT_SECURITY_POLICY.contains(&format!("style-src 'sha256-{hash}'")),
            "{}",
            *CONTENT_SECURITY_POLICY
        );
    }
}
