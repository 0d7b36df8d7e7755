//! docs/http-api.md §3 signup against real storage: a second account with the same email is refused
//! by the database's unique index as 409 `email_taken`. The answer's shape, normalisation and rate
//! limit are tested in process, in `postern-http`'s own tests.

use postern_tests::app::{PASSWORD, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;

use super::support::assert_error;

on_both_backends!(signup_with_a_taken_email_is_a_conflict,);

async fn signup_with_a_taken_email_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signup("ada@example.com", PASSWORD).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);

    let second = app.signup("ada@example.com", "another good password").await;

    assert_error(&second, StatusCode::CONFLICT, "email_taken");
}
