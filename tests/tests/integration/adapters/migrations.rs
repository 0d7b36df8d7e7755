//! `postern-migration`: every migration can be rolled back and applied again.

use postern_core::ports::UserRepo;
use postern_db::SeaUserRepo;
use postern_tests::db::{Backend, fresh_database};
use sea_orm::{ConnectionTrait, Statement};

use postern_contract::fixtures::{new_user, signed_up};

on_both_backends!(every_migration_rolls_back_and_reapplies);

async fn every_migration_rolls_back_and_reapplies(backend: Backend) {
    let db = fresh_database(backend).await;

    postern_migration::roll_back(&db, None).await.unwrap();
    let gone = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT 1 FROM users",
        ))
        .await;
    assert!(gone.is_err(), "users survived the rollback");
    postern_migration::apply_pending(&db).await.unwrap();

    let new = new_user("ada@example.com");
    SeaUserRepo::new(db.connection())
        .create(&new, &signed_up(&new))
        .await
        .unwrap();
}
