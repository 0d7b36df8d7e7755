//! docs/http-api.md §1/§2 secrecy across a whole account's life: no response,
//! successful or failed, carries the password or its stored hash, and refresh tokens appear only
//! where they are issued.

use postern_tests::app::{PASSWORD, TestApp, TestResponse, spawn_app};
use postern_tests::db::Backend;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

on_both_backends!(no_response_leaks_a_password_hash_or_refresh_token,);

const EMAIL: &str = "ada@example.com";
const WRONG_PASSWORD: &str = "guessed password 1";

/// A response and whether it may carry refresh tokens (login and refresh issue them).
struct Seen {
    what: &'static str,
    res: TestResponse,
    issues_tokens: bool,
}

/// The body and every header value of `res`, as text.
fn everything_in(res: &TestResponse) -> String {
    let headers: Vec<&str> = res
        .headers
        .iter()
        .filter_map(|(_, v)| v.to_str().ok())
        .collect();
    format!("{}\n{}", res.text, headers.join("\n"))
}

/// The stored hash of the only user of `app`'s fresh database.
async fn stored_hash(app: &TestApp) -> String {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT password_hash FROM users",
        ))
        .await
        .expect("users read")
        .expect("one user");
    row.try_get("", "password_hash").expect("password_hash")
}

async fn no_response_leaks_a_password_hash_or_refresh_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut seen = Vec::new();
    let mut see = |what, res: TestResponse, issues_tokens| {
        seen.push(Seen {
            what,
            res,
            issues_tokens,
        });
    };

    see("signup", app.signup(EMAIL, PASSWORD).await, false);
    see("duplicate signup", app.signup(EMAIL, PASSWORD).await, false);
    see(
        "invalid signup",
        app.signup("not an email", PASSWORD).await,
        false,
    );
    let wrong_type = app
        .post(
            "/api/v1/auth/login",
            json!({"email": [EMAIL], "password": PASSWORD}),
            None,
        )
        .await;
    see("wrong-typed login", wrong_type, false);
    see(
        "failed login",
        app.login(EMAIL, WRONG_PASSWORD).await,
        false,
    );
    let login = app.login(EMAIL, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let access = login.body["data"]["accessToken"]
        .as_str()
        .expect("access")
        .to_owned();
    let first_refresh = login.body["data"]["refreshToken"]
        .as_str()
        .expect("refresh")
        .to_owned();
    see("login", login, true);
    see("me", app.me(&access).await, false);
    see("profile", app.profile(&access).await, false);
    let refresh = app.refresh(&first_refresh).await;
    assert_eq!(refresh.status, StatusCode::OK, "{}", refresh.text);
    let second_refresh = refresh.body["data"]["refreshToken"]
        .as_str()
        .expect("refresh")
        .to_owned();
    see("refresh", refresh, true);
    let logout = app
        .logout_with(&access, json!({"refreshToken": second_refresh}))
        .await;
    assert_eq!(logout.status, StatusCode::OK, "{}", logout.text);
    see("logout", logout, false);
    see(
        "refresh after logout",
        app.refresh(&second_refresh).await,
        false,
    );
    see("me after logout", app.me(&access).await, false);

    let hash = stored_hash(&app).await;
    assert!(hash.starts_with("$argon2id$"), "unexpected hash {hash}");
    for Seen {
        what,
        res,
        issues_tokens,
    } in &seen
    {
        let text = everything_in(res);
        assert!(!text.contains(PASSWORD), "{what} carries the password");
        assert!(!text.contains(WRONG_PASSWORD), "{what} carries a guess");
        assert!(!text.contains(&hash), "{what} carries the hash");
        assert!(!text.contains("$argon2"), "{what} carries a hash");
        if !issues_tokens {
            for token in [&first_refresh, &second_refresh] {
                assert!(
                    !text.contains(token.as_str()),
                    "{what} carries a refresh token"
                );
            }
        }
    }
}
