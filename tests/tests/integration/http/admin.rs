//! docs/http-api.md §5 user administration over HTTP: the role guard on each route, disabling, role
//! changes that the guard sees at once, stable pagination, the email filter and the audit log.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use postern_core::domain::Role;
use postern_tests::app::{PASSWORD, TestApp, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::support::{assert_error, assert_invalid_field};

on_both_backends!(
    a_manager_gets_403_from_admin_only_routes,
    a_disabled_users_tokens_are_rejected_at_once_and_login_is_forbidden,
    a_demoted_admin_is_signed_out_and_then_forbidden,
    an_admin_may_neither_demote_nor_disable_themselves,
    unknown_users_are_404,
    paging_through_250_users_while_50_are_added_lists_each_original_once,
    the_email_filter_is_a_case_insensitive_prefix_without_wildcards,
    the_audit_log_filters_by_user_and_type,
);

/// How long event delivery to the audit log may take.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(10);

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data is a list")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn a_manager_gets_403_from_admin_only_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.signed_in_as(Role::Manager).await;
    let target = app.signed_in_user().await;

    let patch = app
        .update_user(&manager.access, &target.user_id, json!({"role": "admin"}))
        .await;
    let audit = app.audit(&manager.access, "").await;
    let queues = app.get("/api/v1/admin/queues", Some(&manager.access)).await;

    for res in [&patch, &audit, &queues] {
        assert_error(res, StatusCode::FORBIDDEN, "forbidden");
    }
    // A manager's own routes answer.
    assert_eq!(
        app.list_users(&manager.access, "").await.status,
        StatusCode::OK
    );
}

async fn a_disabled_users_tokens_are_rejected_at_once_and_login_is_forbidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as(Role::Admin).await;
    let user = app.signed_in_user().await;
    assert_eq!(app.me(&user.access).await.status, StatusCode::OK);

    let disable = app
        .update_user(&admin.access, &user.user_id, json!({"disabled": true}))
        .await;
    assert_eq!(disable.status, StatusCode::OK, "{}", disable.text);
    assert_eq!(disable.body["data"]["disabled"], json!(true));

    assert_error(
        &app.me(&user.access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &app.refresh(&user.refresh).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    assert_error(
        &app.login(&user.email, PASSWORD).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // A wrong password still says only that the credentials are wrong.
    assert_error(
        &app.login(&user.email, "not the password at all").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );

    let enable = app
        .update_user(&admin.access, &user.user_id, json!({"disabled": false}))
        .await;
    assert_eq!(
        enable.body["data"]["disabled"],
        json!(false),
        "{}",
        enable.text
    );
    assert_eq!(
        app.login(&user.email, PASSWORD).await.status,
        StatusCode::OK
    );
}

async fn a_demoted_admin_is_signed_out_and_then_forbidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as(Role::Admin).await;
    let other = app.signed_in_as(Role::Admin).await;
    // The guard has read the other admin's profile, which a read of the profile caches.
    assert_eq!(app.audit(&other.access, "").await.status, StatusCode::OK);
    assert_eq!(app.profile(&other.access).await.status, StatusCode::OK);

    let demote = app
        .update_user(&admin.access, &other.user_id, json!({"role": "user"}))
        .await;
    assert_eq!(demote.status, StatusCode::OK, "{}", demote.text);
    assert_eq!(demote.body["data"]["role"], json!("user"));

    // The role change ended the session: its token, which says `admin`, is refused.
    assert_error(
        &app.audit(&other.access, "").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let again = app.login_as(&other.email).await;
    assert_error(
        &app.audit(&again.access, "").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &app.list_users(&again.access, "").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(
        app.profile(&again.access).await.body["data"]["role"],
        json!("user")
    );
}

async fn an_admin_may_neither_demote_nor_disable_themselves(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as(Role::Admin).await;

    let demote = app
        .update_user(&admin.access, &admin.user_id, json!({"role": "manager"}))
        .await;
    let disable = app
        .update_user(&admin.access, &admin.user_id, json!({"disabled": true}))
        .await;
    let empty = app
        .update_user(&admin.access, &admin.user_id, json!({}))
        .await;

    assert_invalid_field(&demote, "role");
    assert_invalid_field(&disable, "disabled");
    assert_invalid_field(&empty, "role");
    assert_eq!(app.audit(&admin.access, "").await.status, StatusCode::OK);
}

async fn unknown_users_are_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as(Role::Admin).await;
    let unknown = Uuid::now_v7().to_string();

    for res in [
        app.update_user(&admin.access, &unknown, json!({"role": "user"}))
            .await,
        app.update_user(&admin.access, "not-a-uuid", json!({"role": "user"}))
            .await,
        app.drop_user_cache(&admin.access, &unknown).await,
    ] {
        assert_error(&res, StatusCode::NOT_FOUND, "not_found");
    }
    let dropped = app.drop_user_cache(&admin.access, &admin.user_id).await;
    assert_eq!(dropped.status, StatusCode::OK, "{}", dropped.text);
}

async fn paging_through_250_users_while_50_are_added_lists_each_original_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as(Role::Admin).await;
    for n in 0..249 {
        app.seed_user(&format!("original-{n}@example.com")).await;
    }
    // 249 seeded and the admin: 250 accounts existed before paging began.
    let first = app.list_users(&admin.access, "limit=100").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["meta"]["limit"], json!(100));

    // Added between the first page and the next, newest first as the list is: with offset
    // paging they would push page 1's last 50 accounts onto page 2, listed twice.
    for n in 0..50 {
        app.seed_user(&format!("newcomer-{n}@example.com")).await;
    }
    let mut pages = vec![ids(&first.body)];
    let mut cursor = first.body["meta"]["nextCursor"].clone();
    while let Some(next) = cursor.as_str() {
        let page = app
            .list_users(&admin.access, &format!("limit=100&cursor={next}"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        pages.push(ids(&page.body));
        cursor = page.body["meta"]["nextCursor"].clone();
    }

    let listed: Vec<&String> = pages.iter().flatten().collect();
    let distinct: HashSet<&String> = listed.iter().copied().collect();
    assert_eq!(distinct.len(), listed.len(), "an account was listed twice");
    assert_eq!(
        pages.len(),
        3,
        "page sizes {:?}",
        pages.iter().map(Vec::len).collect::<Vec<_>>()
    );
    assert_eq!(
        listed.len(),
        250,
        "every original exactly once, no newcomer after page 1"
    );
    assert!(distinct.contains(&admin.user_id));
}

async fn the_email_filter_is_a_case_insensitive_prefix_without_wildcards(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as(Role::Manager).await;
    for email in [
        "alpha_1@example.com",
        "alphax1@example.com",
        "beta@example.com",
    ] {
        app.seed_user(email).await;
    }

    let emails = |res: &postern_tests::app::TestResponse| -> Vec<String> {
        res.body["data"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|u| u["email"].as_str().expect("email").to_owned())
            .collect()
    };
    let underscore = app.list_users(&admin.access, "email=ALPHA_").await;
    let alpha = app.list_users(&admin.access, "email=%20Alpha").await;
    let percent = app.list_users(&admin.access, "email=%25").await;

    assert_eq!(emails(&underscore), ["alpha_1@example.com"]);
    assert_eq!(
        alpha.body["data"].as_array().map(Vec::len),
        Some(2),
        "{}",
        alpha.text
    );
    assert!(emails(&percent).is_empty(), "{}", percent.text);
    let item = &underscore.body["data"][0];
    assert_eq!(item["disabled"], json!(false));
    assert!(item.get("passwordHash").is_none());
    assert_invalid_field(&app.list_users(&admin.access, "limit=101").await, "limit");
    assert_invalid_field(
        &app.list_users(&admin.access, "cursor=bogus").await,
        "cursor",
    );
}

/// The audit page for `query`, once it has `expected` items or the deadline passes.
async fn audit_until(app: &TestApp, access: &str, query: &str, expected: usize) -> Value {
    let started = Instant::now();
    loop {
        let res = app.audit(access, query).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let found = res.body["data"].as_array().map_or(0, Vec::len);
        if found >= expected || started.elapsed() > DELIVERY_DEADLINE {
            return res.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn the_audit_log_filters_by_user_and_type(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as(Role::Admin).await;
    let (one, two) = (app.signed_in_user().await, app.signed_in_user().await);
    for user in [&one, &two] {
        let res = app
            .update_user(&admin.access, &user.user_id, json!({"role": "manager"}))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }

    let changed = audit_until(
        &app,
        &admin.access,
        &format!("userId={}&type=user.role_changed", one.user_id),
        1,
    )
    .await;
    let everything = audit_until(&app, &admin.access, &format!("userId={}", one.user_id), 3).await;

    let items = changed["data"].as_array().expect("a list");
    assert_eq!(items.len(), 1, "{changed}");
    assert_eq!(items[0]["type"], json!("user.role_changed"));
    assert_eq!(
        items[0]["version"],
        json!(1),
        "every event carries its version"
    );
    assert_eq!(items[0]["userId"], json!(one.user_id));
    assert_eq!(items[0]["data"]["from"], json!("user"));
    assert_eq!(items[0]["data"]["to"], json!("manager"));
    assert_eq!(items[0]["data"]["changedBy"], json!(admin.user_id));
    let types: HashMap<String, usize> = everything["data"].as_array().expect("a list").iter().fold(
        HashMap::new(),
        |mut counts, item| {
            assert_eq!(item["userId"], json!(one.user_id), "{item}");
            *counts
                .entry(item["type"].as_str().unwrap().to_owned())
                .or_default() += 1;
            counts
        },
    );
    for kind in ["user.signed_up", "user.logged_in", "user.role_changed"] {
        assert_eq!(types.get(kind), Some(&1), "{types:?}");
    }
    assert_invalid_field(&app.audit(&admin.access, "userId=nope").await, "userId");
}
