//! The query parameters of the docs/http-api.md §5 lists: each invalid one is named, all of them at
//! once.

use crate::support::{TestApp, assert_invalid_fields};

#[tokio::test]
async fn a_wrongly_typed_limit_is_named() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;

    let res = app
        .get("/api/v1/admin/users?limit=ten", Some(&admin.access))
        .await;

    assert_invalid_fields(&res, &["limit"]);
    assert!(
        !res.text.contains("ten"),
        "the value is echoed: {}",
        res.text
    );
}

#[tokio::test]
async fn the_user_list_names_every_invalid_parameter_at_once() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;
    let email = "e".repeat(255);

    let res = app
        .get(
            &format!("/api/v1/admin/users?limit=0&cursor=garbage&email={email}"),
            Some(&admin.access),
        )
        .await;

    assert_invalid_fields(&res, &["limit", "cursor", "email"]);
}

#[tokio::test]
async fn the_audit_log_names_every_invalid_parameter_at_once() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;
    let event_type = "t".repeat(65);

    let res = app
        .get(
            &format!("/api/v1/admin/audit?userId=nope&type={event_type}&limit=101"),
            Some(&admin.access),
        )
        .await;

    assert_invalid_fields(&res, &["userId", "type", "limit"]);
}

#[tokio::test]
async fn a_nul_byte_in_either_list_filter_is_named_not_passed_to_the_database() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;

    let users = app
        .get("/api/v1/admin/users?email=ada%00", Some(&admin.access))
        .await;
    let audit = app
        .get("/api/v1/admin/audit?type=user.%00", Some(&admin.access))
        .await;

    assert_invalid_fields(&users, &["email"]);
    assert_invalid_fields(&audit, &["type"]);
}
