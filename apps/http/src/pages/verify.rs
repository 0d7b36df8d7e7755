//! `/verify-email`: the link of the welcome and verification mails.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{Response, handler};

use super::page::{Body, LinkToken, broken_link, failure, page};
use crate::state::AppState;

const TITLE: &str = "Verify your email address";

/// `GET /verify-email?token=...`: the button that verifies; spends nothing.
#[handler]
pub(super) fn show(query: poem::Result<Query<LinkToken>>) -> Response {
    match query.ok().and_then(|query| query.0.parse()) {
        Some(token) => page(
            StatusCode::OK,
            TITLE,
            &Body::VerifyForm {
                token: token.expose().to_owned(),
            },
        ),
        None => broken_link(TITLE),
    }
}

/// `POST /verify-email` with the token as a form field: spends it and says whose address is
/// verified.
#[handler]
pub(super) async fn submit(
    state: Data<&Arc<AppState>>,
    form: poem::Result<Form<LinkToken>>,
) -> Response {
    let Some(token) = form.ok().and_then(|form| form.0.parse()) else {
        return broken_link(TITLE);
    };
    match state.accounts.verify_email.execute(&token).await {
        Ok(user) => page(
            StatusCode::OK,
            "Email address verified",
            &Body::Done {
                message: format!("{} is verified. You can close this page.", user.email),
            },
        ),
        Err(error) => failure(TITLE, &error),
    }
}
