//! docs/http-api.md §3 refresh under concurrency: a token presented many times at once, or again
//! within the grace window, gets the one successor its first rotation stored, so that a session
//! stays one chain of tokens, and reuse of any older token of the chain after the window still
//! revokes the whole session. Raced with real concurrency on PostgreSQL and SQLite, and over two
//! instances sharing PostgreSQL and Redis.

use std::collections::BTreeSet;
use std::time::Duration;

use postern::server::ServeOptions;
use postern_tests::app::{TestApp, spawn_app_serving, spawn_app_with};
use postern_tests::db::Backend;
use postern_tests::redis::{redis_url, unique_prefix};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use super::support::assert_error;

on_both_backends!(
    twenty_concurrent_refreshes_of_one_token_all_get_its_one_successor,
    a_duplicate_within_the_grace_window_gets_the_successor_and_cannot_fork_the_session,
    any_older_token_presented_after_the_grace_window_revokes_the_whole_session,
);

/// Refreshes of one token racing each other, per round.
const CONCURRENT: usize = 20;
/// Rounds of racing refreshes, each on the successor the previous round agreed on.
const ROUNDS: usize = 10;
/// Refresh as often as the test needs: the limiter is not under test here.
const UNLIMITED: (&str, &str) = ("RATE_LIMIT_REFRESH", "off");

/// The refresh token of a successful refresh.
fn refreshed(res: &postern_tests::app::TestResponse) -> String {
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body["data"]["refreshToken"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

/// How many refresh tokens were ever stored, used or not, in the test's own database.
async fn stored_refresh_tokens(app: &TestApp) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM refresh_tokens",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// [`ROUNDS`] rounds of [`CONCURRENT`] refreshes of one token, spread over `instances`; each
/// round must agree on one successor, which the next round presents. Returns the last one.
async fn race_rounds(instances: &[&TestApp], first: String) -> String {
    let mut token = first;
    for round in 0..ROUNDS {
        let racing = (0..CONCURRENT).map(|n| instances[n % instances.len()].refresh(&token));
        let answers = futures::future::join_all(racing).await;
        let successors: BTreeSet<String> = answers.iter().map(refreshed).collect();
        assert_eq!(
            successors.len(),
            1,
            "round {round}: {CONCURRENT} refreshes of one token got {} distinct successors",
            successors.len()
        );
        token = successors.into_iter().next().expect("one successor");
    }
    token
}

async fn twenty_concurrent_refreshes_of_one_token_all_get_its_one_successor(backend: Backend) {
    let app = spawn_app_with(backend, &[UNLIMITED]).await;
    let session = app.signed_in_user().await;

    let last = race_rounds(&[&app], session.refresh.clone()).await;

    // One chain: the login's token and one successor per round, nothing forked off it.
    assert_eq!(stored_refresh_tokens(&app).await, 1 + ROUNDS as i64);
    refreshed(&app.refresh(&last).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_refreshes_over_two_instances_sharing_redis_get_one_successor() {
    let vars = [
        ("REDIS_URL", redis_url()),
        ("REDIS_KEY_PREFIX", unique_prefix()),
    ];
    let vars: Vec<(&str, &str)> = vars
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain([UNLIMITED])
        .collect();
    let a = spawn_app_serving(Backend::Postgres, &vars, ServeOptions::default()).await;
    let b = a.another_instance(ServeOptions::default()).await;
    let session = a.signed_in_user().await;

    let last = race_rounds(&[&a, &b], session.refresh.clone()).await;

    assert_eq!(stored_refresh_tokens(&a).await, 1 + ROUNDS as i64);
    refreshed(&b.refresh(&last).await);
}

async fn a_duplicate_within_the_grace_window_gets_the_successor_and_cannot_fork_the_session(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &[UNLIMITED, ("REFRESH_REUSE_GRACE", "1")]).await;
    let session = app.signed_in_user().await;
    let owners = refreshed(&app.refresh(&session.refresh).await);

    let thiefs = refreshed(&app.refresh(&session.refresh).await);

    assert_eq!(thiefs, owners, "the duplicate got a token of its own");
    let newest = refreshed(&app.refresh(&owners).await);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let replayed = app.refresh(&thiefs).await;
    assert_error(&replayed, StatusCode::UNAUTHORIZED, "refresh_token_reused");
    let after = app.refresh(&newest).await;
    assert_error(&after, StatusCode::UNAUTHORIZED, "invalid_token");
}

async fn any_older_token_presented_after_the_grace_window_revokes_the_whole_session(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &[UNLIMITED, ("REFRESH_REUSE_GRACE", "1")]).await;
    let session = app.signed_in_user().await;
    let second = refreshed(&app.refresh(&session.refresh).await);
    let third = app.refresh(&second).await;
    let newest = refreshed(&third);
    let newest_access = third.body["data"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(2200)).await;

    let reused = app.refresh(&session.refresh).await;

    assert_error(&reused, StatusCode::UNAUTHORIZED, "refresh_token_reused");
    let after = app.refresh(&newest).await;
    assert_error(&after, StatusCode::UNAUTHORIZED, "invalid_token");
    let me = app.me(&newest_access).await;
    assert_error(&me, StatusCode::UNAUTHORIZED, "unauthorized");
}
