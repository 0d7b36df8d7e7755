//! `/confirm-email`: the link of the email-change mail (docs/http-api.md §4).

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{Response, handler};

use super::page::{Body, LinkToken, broken_link, failure, page};
use crate::state::AppState;

const TITLE: &str = "Confirm your new email address";

/// `GET /confirm-email?token=...`: the button that confirms; spends nothing.
#[handler]
pub(super) fn show(query: poem::Result<Query<LinkToken>>) -> Response {
    match query.ok().and_then(|query| query.0.parse()) {
        Some(token) => page(
            StatusCode::OK,
            TITLE,
            &Body::ConfirmEmailForm {
                token: token.expose().to_owned(),
            },
        ),
        None => broken_link(TITLE),
    }
}

/// `POST /confirm-email` with the token as a form field: spends it and names the account's new
/// address.
#[handler]
pub(super) async fn submit(
    state: Data<&Arc<AppState>>,
    form: poem::Result<Form<LinkToken>>,
) -> Response {
    let Some(token) = form.ok().and_then(|form| form.0.parse()) else {
        return broken_link(TITLE);
    };
    match state.accounts.confirm_email_change.execute(&token).await {
        Ok(user) => page(
            StatusCode::OK,
            "Email address changed",
            &Body::Done {
                message: format!(
                    "Your account now uses {}. You can close this page.",
                    user.email
                ),
            },
        ),
        Err(error) => failure(TITLE, &error),
    }
}
