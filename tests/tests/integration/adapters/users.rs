//! `SeaUserRepo` beyond the port's contract (see `contract`): how the database keeps an
//! account's timestamps.

use postern_contract::fixtures::{T0, new_user, signed_up};
use postern_core::domain::NewUser;
use postern_core::ports::UserRepo;
use postern_db::SeaUserRepo;
use postern_tests::db::{Backend, fresh_database};
use time::macros::offset;
use time::{Duration, UtcOffset};

on_both_backends!(timestamps_are_stored_in_utc_to_the_millisecond);

async fn timestamps_are_stored_in_utc_to_the_millisecond(backend: Backend) {
    let db = fresh_database(backend).await;
    let repo = SeaUserRepo::new(db.connection());
    // An offset and sub-millisecond digits, which storage normalises away.
    let created_at = (T0 + Duration::nanoseconds(123_456_789)).to_offset(offset!(+2));
    let new = NewUser {
        created_at,
        ..new_user("ada@example.com")
    };

    let created = repo.create(&new, &signed_up(&new)).await.unwrap();

    assert_eq!(created.created_at, T0 + Duration::milliseconds(123));
    assert_eq!(created.created_at.offset(), UtcOffset::UTC);
    assert_eq!(created.updated_at, created.created_at);
    assert_eq!(repo.find_by_id(new.id).await.unwrap(), Some(created));
}
