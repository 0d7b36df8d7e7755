//! The service keeps an enabled admin (docs/http-api.md §5): the repository refuses, in the
//! transaction of the change, an access change that would leave none, also when two changes race.

use std::sync::Arc;

use postern_core::domain::{AccessUpdate, Role, UserId};
use postern_core::ports::{UpdateAccessError, UserRepo};
use time::Duration;

use crate::Storage;
use crate::fixtures::T0;
use crate::storage::{add_user_id, written_events};

/// How many rounds of two admins demoting each other: enough for a check that is not one step
/// with its change to let both through in some round.
const ROUNDS: usize = 200;

fn set_role(role: Role) -> AccessUpdate {
    AccessUpdate {
        role: Some(role),
        disabled: None,
        at: T0 + Duration::minutes(1),
    }
}

/// A new account made admin.
async fn add_admin(storage: &dyn Storage, email: &str) -> UserId {
    let id = add_user_id(storage, email).await;
    storage
        .users()
        .update_access(id, &set_role(Role::Admin), &[])
        .await
        .unwrap();
    id
}

/// Demoting or disabling the only enabled admin is `LastAdmin` and stores nothing, not even
/// its event; a disabled admin does not count.
pub async fn the_last_enabled_admin_can_be_neither_demoted_nor_disabled(storage: &dyn Storage) {
    let users = storage.users();
    let only = add_admin(storage, "ada@example.com").await;
    let disabled_admin = add_admin(storage, "grace@example.com").await;
    let disable = AccessUpdate {
        role: None,
        disabled: Some(true),
        at: T0 + Duration::minutes(2),
    };
    users
        .update_access(disabled_admin, &disable, &[])
        .await
        .unwrap();
    let before = written_events(storage).await.len();

    let demoted = users
        .update_access(only, &set_role(Role::Manager), &[])
        .await;
    let disabled = users.update_access(only, &disable, &[]).await;

    assert!(
        matches!(demoted, Err(UpdateAccessError::LastAdmin)),
        "{demoted:?}"
    );
    assert!(
        matches!(disabled, Err(UpdateAccessError::LastAdmin)),
        "{disabled:?}"
    );
    let stored = users.find_by_id(only).await.unwrap().unwrap();
    assert_eq!((stored.role, stored.disabled), (Role::Admin, false));
    assert_eq!(written_events(storage).await.len(), before);
}

/// With another enabled admin, an admin may be demoted; a change to an account that is no
/// admin is never refused, even when there is no admin at all.
pub async fn an_admin_may_be_demoted_while_another_stays_enabled(storage: &dyn Storage) {
    let users = storage.users();
    let plain = add_user_id(storage, "linus@example.com").await;
    let promoted_without_admins = users
        .update_access(plain, &set_role(Role::Manager), &[])
        .await;
    let ada = add_admin(storage, "ada@example.com").await;
    add_admin(storage, "grace@example.com").await;

    let demoted = users.update_access(ada, &set_role(Role::User), &[]).await;

    assert!(
        promoted_without_admins.is_ok(),
        "{promoted_without_admins:?}"
    );
    assert_eq!(demoted.unwrap().0.role, Role::User);
}

/// Two admins demoting each other at the same time: exactly one change succeeds and the other
/// is `LastAdmin`, round after round, so one enabled admin always remains.
pub async fn two_admins_demoting_each_other_at_once_leave_exactly_one(storage: &dyn Storage) {
    let users = storage.users();
    let mut survivor = add_admin(storage, "admin-0@example.com").await;
    for round in 1..=ROUNDS {
        let newcomer = add_admin(storage, &format!("admin-{round}@example.com")).await;

        let (first, second) = tokio::join!(
            demote(Arc::clone(&users), survivor),
            demote(Arc::clone(&users), newcomer),
        );

        match (first, second) {
            (Ok(()), Err(UpdateAccessError::LastAdmin)) => survivor = newcomer,
            (Err(UpdateAccessError::LastAdmin), Ok(())) => {}
            outcome => panic!("round {round}: {outcome:?}"),
        }
        let admin = users.find_by_id(survivor).await.unwrap().unwrap();
        assert_eq!(admin.role, Role::Admin, "round {round}");
    }
}

/// Demotes `id` to user on a task of its own, so that two demotions run in parallel.
async fn demote(users: Arc<dyn UserRepo>, id: UserId) -> Result<(), UpdateAccessError> {
    tokio::spawn(async move {
        users
            .update_access(id, &set_role(Role::User), &[])
            .await
            .map(drop)
    })
    .await
    .unwrap()
}
