//! The bodies of the profile update (docs/http-api.md §4) and the admin's change of a user
//! (docs/http-api.md §5).

use poem::http::StatusCode;
use serde_json::json;

use super::{assert_details, chars};
use crate::support::{TestApp, assert_invalid_fields};

#[tokio::test]
async fn profile_update_names_a_wrong_typed_overlong_or_blank_name_and_changes_nothing() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;

    let wrong_type = app
        .update_profile(&session.access, &json!({"name": 42}))
        .await;
    let overlong = app
        .update_profile(&session.access, &json!({"name": chars(101)}))
        .await;
    let blank = app
        .update_profile(&session.access, &json!({"name": "   "}))
        .await;

    assert_details(&wrong_type, &[("name", "must be a string")]);
    assert_invalid_fields(&overlong, &["name"]);
    assert_invalid_fields(&blank, &["name"]);
    let profile = app.profile(&session.access).await;
    assert_eq!(
        profile.body["data"]["name"],
        json!(null),
        "{}",
        profile.text
    );
}

#[tokio::test]
async fn profile_update_sets_clears_or_keeps_the_name() {
    let app = TestApp::new();
    let session = app.signed_in_user().await;

    let longest = app
        .update_profile(&session.access, &json!({"name": chars(100)}))
        .await;
    let kept = app.update_profile(&session.access, &json!({})).await;
    let cleared = app
        .update_profile(&session.access, &json!({"name": null}))
        .await;

    assert_eq!(longest.status, StatusCode::OK, "{}", longest.text);
    assert_eq!(
        kept.body["data"]["name"],
        json!(chars(100)),
        "{}",
        kept.text
    );
    assert_eq!(
        cleared.body["data"]["name"],
        json!(null),
        "{}",
        cleared.text
    );
}

#[tokio::test]
async fn a_user_update_names_every_wrong_typed_or_unknown_value_at_once() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;
    let user = app.signed_in_user().await;

    let wrong_types = app
        .update_user(
            &admin.access,
            &user.user_id,
            &json!({"role": 1, "disabled": "yes"}),
        )
        .await;
    let unknown_role = app
        .update_user(&admin.access, &user.user_id, &json!({"role": "root"}))
        .await;
    let nothing = app
        .update_user(&admin.access, &user.user_id, &json!({"role": null}))
        .await;

    assert_details(
        &wrong_types,
        &[
            ("role", "must be a string"),
            ("disabled", "must be a boolean"),
        ],
    );
    assert_details(
        &unknown_role,
        &[("role", "must be one of user, manager, admin")],
    );
    assert_details(&nothing, &[("role", "give `role`, `disabled` or both")]);
}
