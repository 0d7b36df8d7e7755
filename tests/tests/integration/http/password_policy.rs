//! docs/http-api.md §2 password policy: `PASSWORD_MIN_LENGTH` raises the minimum length and
//! `PASSWORD_MIN_SCORE` refuses passwords easy to guess, each with a 400 naming the field and
//! saying what to change, at signup and at password change alike.

use postern_tests::app::{PASSWORD, spawn_app_with};
use postern_tests::db::Backend;
use reqwest::StatusCode;

use super::support::assert_invalid_field;

on_both_backends!(
    a_password_shorter_than_the_configured_minimum_is_refused_at_signup,
    a_guessable_password_is_refused_with_a_hint_and_a_strong_one_accepted,
    a_new_password_shorter_than_the_configured_minimum_is_refused_at_change,
);

async fn a_password_shorter_than_the_configured_minimum_is_refused_at_signup(backend: Backend) {
    let app = spawn_app_with(backend, &[("PASSWORD_MIN_LENGTH", "12")]).await;

    let res = app.signup("ada@example.com", "elevenchars").await;

    assert_invalid_field(&res, "password");
    assert_eq!(
        res.body["details"][0]["message"], "must be at least 12 characters",
        "{}",
        res.text
    );
}

async fn a_guessable_password_is_refused_with_a_hint_and_a_strong_one_accepted(backend: Backend) {
    let app = spawn_app_with(backend, &[("PASSWORD_MIN_SCORE", "3")]).await;

    let weak = app.signup("ada@example.com", "password1234").await;
    let strong = app
        .signup("ada@example.com", "violet kayak thunder mosaic")
        .await;

    assert_invalid_field(&weak, "password");
    let message = weak.body["details"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.starts_with("is too easy to guess: "), "{message}");
    assert!(message.len() > "is too easy to guess: ".len(), "{message}");
    assert_eq!(strong.status, StatusCode::CREATED, "{}", strong.text);
}

async fn a_new_password_shorter_than_the_configured_minimum_is_refused_at_change(backend: Backend) {
    // The shared test password is 28 characters long.
    let app = spawn_app_with(backend, &[("PASSWORD_MIN_LENGTH", "20")]).await;
    let user = app.signed_in_user().await;

    let res = app
        .change_password(&user.access, PASSWORD, "seventeen chars!!")
        .await;

    assert_invalid_field(&res, "newPassword");
    assert_eq!(
        res.body["details"][0]["message"], "must be at least 20 characters",
        "{}",
        res.text
    );
}
