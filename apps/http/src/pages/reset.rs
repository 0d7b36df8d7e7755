//! `/reset-password`: the link of the password-reset mail. The new password is typed twice and
//! held to the same rules as the API's (docs/http-api.md §2); what is wrong is shown above the
//! form, which keeps the token so that the person can try again.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{Response, handler};
use postern_core::domain::{OpaqueToken, Password};
use postern_core::usecases::ResetPasswordError;
use serde::Deserialize;

use super::page::{Body, LinkToken, broken_link, failure, page};
use crate::state::AppState;

const TITLE: &str = "Choose a new password";

/// The fields of the new-password form; a missing one reads as empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NewPasswordForm {
    token: String,
    password: String,
    confirmation: String,
}

/// `GET /reset-password?token=...`: the new-password form; spends nothing.
#[handler]
pub(super) fn show(query: poem::Result<Query<LinkToken>>) -> Response {
    match query.ok().and_then(|query| query.0.parse()) {
        Some(token) => form(StatusCode::OK, &token, None),
        None => broken_link(TITLE),
    }
}

/// `POST /reset-password` with the token and the new password twice: spends the token on the
/// password, which ends every session of the account.
#[handler]
pub(super) async fn submit(
    state: Data<&Arc<AppState>>,
    fields: poem::Result<Form<NewPasswordForm>>,
) -> Response {
    let fields = fields.map(|form| form.0).unwrap_or_default();
    let Some(token) = LinkToken::from(fields.token).parse() else {
        return broken_link(TITLE);
    };
    if fields.password != fields.confirmation {
        let problem = "The two passwords differ; type the same new password twice.";
        return form(StatusCode::BAD_REQUEST, &token, Some(problem.to_owned()));
    }
    let password = match Password::parse(fields.password, "password") {
        Ok(password) => password,
        Err(invalid) => {
            let problem = format!("The new password {}.", invalid.message);
            return form(StatusCode::BAD_REQUEST, &token, Some(problem));
        }
    };
    match state
        .accounts
        .reset_password
        .execute(&token, &password)
        .await
    {
        Ok(()) => page(
            StatusCode::OK,
            "Password changed",
            &Body::Done {
                message: "Your password is changed and every session was signed out. Sign in \
                          with the new password."
                    .to_owned(),
            },
        ),
        // The token is unspent: the form comes back for a stronger password.
        Err(ResetPasswordError::WeakPassword(problem)) => {
            let problem = format!("The new password {}.", problem.message);
            form(StatusCode::BAD_REQUEST, &token, Some(problem))
        }
        Err(error) => failure(TITLE, &error),
    }
}

/// The new-password form for `token`, with what was wrong with the last attempt.
fn form(status: StatusCode, token: &OpaqueToken, problem: Option<String>) -> Response {
    let body = Body::ResetForm {
        token: token.expose().to_owned(),
        problem,
    };
    page(status, TITLE, &body)
}
