//! Opening databases: readiness, unreachable servers, in-memory SQLite, and the URL of a test
//! database.

use postern_core::ports::{PortError, UserRepo};
use postern_db::{SeaUserRepo, connect, ping};
use postern_tests::db::{Backend, fresh_database};

use postern_contract::fixtures::{new_user, signed_up};

on_both_backends!(ping_answers, a_test_database_url_opens_the_same_database);

async fn ping_answers(backend: Backend) {
    let db = fresh_database(backend).await;

    ping(&db).await.unwrap();
}

async fn a_test_database_url_opens_the_same_database(backend: Backend) {
    let db = fresh_database(backend).await;
    let new = new_user("ada@example.com");
    SeaUserRepo::new(db.connection())
        .create(&new, &signed_up(&new))
        .await
        .unwrap();

    let reopened = connect(db.url()).await.unwrap();

    let found = SeaUserRepo::new(reopened).find_by_id(new.id).await.unwrap();
    assert_eq!(found.map(|u| u.email), Some(new.email));
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    let result = connect("postgres://postgres@127.0.0.1:1/test").await;

    assert!(
        matches!(result, Err(PortError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_in_memory_sqlite_database_keeps_its_data_between_queries() {
    let db = connect("sqlite::memory:").await.unwrap();
    postern_migration::apply_pending(&db).await.unwrap();
    let repo = SeaUserRepo::new(db.clone());
    let new = new_user("ada@example.com");

    repo.create(&new, &signed_up(&new)).await.unwrap();

    assert!(repo.find_by_id(new.id).await.unwrap().is_some());
    ping(&db).await.unwrap();
}
