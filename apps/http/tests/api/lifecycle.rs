//! docs/http-api.md §4 account lifecycle over HTTP: the answers and error codes of email change,
//! export and deletion, and the confirmation page. Mail delivery and the database's view of a
//! deleted account are tested against real services in the `postern-tests` crate.

use poem::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{PASSWORD, Reply, TestApp};

async fn change_email(app: &TestApp, access: &str, new_email: &str, password: &str) -> Reply {
    let body = json!({"newEmail": new_email, "currentPassword": password});
    app.post("/api/v1/user/email", &body, Some(access)).await
}

async fn delete_own(app: &TestApp, access: &str, password: &str) -> Reply {
    let body = json!({"currentPassword": password});
    app.call(
        Method::DELETE,
        "/api/v1/user/account",
        Some(&body),
        Some(access),
    )
    .await
}

async fn delete_user(app: &TestApp, access: &str, id: &str) -> Reply {
    let path = format!("/api/v1/admin/users/{id}");
    app.call(Method::DELETE, &path, None, Some(access)).await
}

#[tokio::test]
async fn an_email_change_is_accepted_and_changes_nothing_until_confirmed() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;

    let reply = change_email(&app, &user.access, "Moved@Example.com", PASSWORD).await;

    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    assert_eq!(reply.body["success"], true);
    let profile = app.profile(&user.access).await;
    assert_eq!(profile.body["data"]["email"], user.email.as_str());
}

#[tokio::test]
async fn an_email_change_to_a_taken_address_is_409_email_taken() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;
    let other = app.signed_in_user().await;

    let taken = change_email(&app, &user.access, &other.email, PASSWORD).await;
    let own = change_email(&app, &user.access, &user.email, PASSWORD).await;

    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.text);
    assert_eq!(taken.code(), "email_taken");
    assert_eq!(own.code(), "email_taken");
}

#[tokio::test]
async fn an_email_change_with_a_wrong_password_is_401_invalid_credentials() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;

    let reply = change_email(&app, &user.access, "new@example.com", "not the password").await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.code(), "invalid_credentials");
}

#[tokio::test]
async fn an_email_change_names_a_malformed_address() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;

    let reply = change_email(&app, &user.access, "not an address", PASSWORD).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.body["details"][0]["field"], "newEmail");
}

#[tokio::test]
async fn an_unknown_email_change_token_is_400_invalid_token() {
    let app = TestApp::new();

    let reply = app
        .post(
            "/api/v1/auth/email/change/confirm",
            &json!({"token": "no-such-token"}),
            None,
        )
        .await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.code(), "invalid_token");
}

#[tokio::test]
async fn the_export_holds_the_account_and_its_sessions_and_no_secret() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;

    let reply = app.get("/api/v1/user/export", Some(&user.access)).await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(data["user"]["email"], user.email.as_str());
    assert_eq!(data["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(data["sessions"][0]["current"], true);
    assert_eq!(data["identities"], json!([]));
    assert_eq!(data["factors"], json!([]));
    assert!(data["events"].is_array());
    for secret in ["$argon2", "passwordHash", "tokenHash", &user.refresh] {
        assert!(!reply.text.contains(secret), "{secret} in {}", reply.text);
    }
}

#[tokio::test]
async fn self_deletion_ends_the_session_and_frees_the_address() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;

    let reply = delete_own(&app, &user.access, PASSWORD).await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(app.me(&user.access).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh(&user.refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = app.login(&user.email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "{}", login.text);
    let again = app.signup(&user.email, PASSWORD).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
}

#[tokio::test]
async fn self_deletion_with_a_wrong_password_is_401_and_deletes_nothing() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;

    let reply = delete_own(&app, &user.access, "not the password").await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.code(), "invalid_credentials");
    assert_eq!(app.me(&user.access).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_deletes_a_user_and_ends_its_sessions() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;
    let user = app.signed_in_user().await;

    let reply = delete_user(&app, &admin.access, &user.user_id).await;
    let again = delete_user(&app, &admin.access, &user.user_id).await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(app.me(&user.access).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.text);
}

#[tokio::test]
async fn admin_deletion_answers_404_for_unknown_ids_and_409_for_the_last_admin() {
    let app = TestApp::new();
    let admin = app.signed_in_admin().await;

    let unknown = delete_user(&app, &admin.access, &uuid::Uuid::now_v7().to_string()).await;
    let malformed = delete_user(&app, &admin.access, "not-a-uuid").await;
    let last = delete_user(&app, &admin.access, &admin.user_id).await;

    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    assert_eq!(
        malformed.status,
        StatusCode::NOT_FOUND,
        "{}",
        malformed.text
    );
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.text);
    assert_eq!(last.code(), "last_admin");
}

#[tokio::test]
async fn admin_deletion_is_forbidden_to_users() {
    let app = TestApp::new();
    let user = app.signed_in_user().await;
    let other = app.signed_in_user().await;

    let reply = delete_user(&app, &user.access, &other.user_id).await;

    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    assert_eq!(app.me(&other.access).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_confirm_email_page_shows_a_button_that_posts_the_token_back() {
    let app = TestApp::new();

    let reply = app
        .send(
            app.request(Method::GET, "/confirm-email")
                .query("token", &"a-change-token"),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply
            .text
            .contains(r#"<form method="post" action="confirm-email">"#),
        "{}",
        reply.text
    );
    assert!(reply.text.contains(r#"value="a-change-token""#));
}
