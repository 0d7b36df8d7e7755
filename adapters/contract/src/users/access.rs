//! Access changes (docs/http-api.md §5) store the role or the disabled flag with their events,
//! a new role or a disabling ends the account's live sessions, and listing pages newest first by an exact email
//! prefix.

use postern_core::domain::{
    AccessUpdate, EmailPrefix, Event, EventData, NewUser, PageKey, PageLimit, PageRequest, Role,
    UserId, UserQuery,
};
use postern_core::ports::UpdateAccessError;
use time::{Duration, OffsetDateTime};

use crate::Storage;
use crate::fixtures::{T0, logged_out, new_user, signed_up};
use crate::storage::{add_user_id, start_session, written_events};

fn role_changed(user: UserId, at: OffsetDateTime) -> Event {
    let data = EventData::RoleChanged {
        from: "user".into(),
        to: "admin".into(),
        changed_by: None,
    };
    Event::new(data, Some(user), at)
}

fn disabled(user: UserId, disabled: bool, at: OffsetDateTime) -> Event {
    let data = EventData::Disabled {
        disabled,
        changed_by: None,
    };
    Event::new(data, Some(user), at)
}

fn disable(disabled: bool, at: OffsetDateTime) -> AccessUpdate {
    AccessUpdate {
        role: None,
        disabled: Some(disabled),
        at,
    }
}

/// A role change is stored with its events and a new `updated_at`, and ends the account's live
/// sessions, so that no access token keeps announcing the old role.
pub async fn update_access_changes_the_role_stamps_updated_at_and_ends_the_sessions(
    storage: &dyn Storage,
) {
    let users = storage.users();
    let id = add_user_id(storage, "ada@example.com").await;
    let live = start_session(storage, id).await;
    let at = T0 + Duration::minutes(5);
    let update = AccessUpdate {
        role: Some(Role::Admin),
        disabled: None,
        at,
    };
    let event = role_changed(id, at);

    let (account, revoked) = users
        .update_access(id, &update, std::slice::from_ref(&event))
        .await
        .unwrap();

    assert_eq!(account.role, Role::Admin);
    assert!(!account.disabled);
    assert_eq!(account.updated_at, at);
    assert_eq!(account.created_at, T0);
    assert_eq!(revoked, [live.id]);
    assert!(storage.sessions().is_revoked(live.id).await.unwrap());
    assert_eq!(users.find_by_id(id).await.unwrap(), Some(account));
    assert!(written_events(storage).await.contains(&event));
}

/// Disabling revokes the account's live sessions at the change's time and returns them; its
/// ended sessions and other accounts' sessions are left alone.
pub async fn disabling_an_account_revokes_its_live_sessions_only(storage: &dyn Storage) {
    let (users, sessions) = (storage.users(), storage.sessions());
    let id = add_user_id(storage, "ada@example.com").await;
    let other = add_user_id(storage, "grace@example.com").await;
    let live = start_session(storage, id).await;
    let ended = start_session(storage, id).await;
    let theirs = start_session(storage, other).await;
    sessions
        .revoke(id, ended.id, T0, &logged_out(id, &[ended.id], T0))
        .await
        .unwrap();
    let at = T0 + Duration::minutes(5);
    let event = disabled(id, true, at);

    let (account, revoked) = users
        .update_access(id, &disable(true, at), std::slice::from_ref(&event))
        .await
        .unwrap();

    assert!(account.disabled);
    assert_eq!(revoked, [live.id]);
    assert!(sessions.is_revoked(live.id).await.unwrap());
    assert!(!sessions.is_revoked(theirs.id).await.unwrap());
    assert_eq!(sessions.revoked_since(at).await.unwrap(), [live.id]);
    assert_eq!(users.find_by_id(id).await.unwrap(), Some(account));
    assert!(written_events(storage).await.contains(&event));
}

/// Enabling an account again ends none of its sessions.
pub async fn enabling_an_account_revokes_nothing(storage: &dyn Storage) {
    let users = storage.users();
    let id = add_user_id(storage, "ada@example.com").await;
    users
        .update_access(id, &disable(true, T0), &[disabled(id, true, T0)])
        .await
        .unwrap();
    let later = start_session(storage, id).await;
    let at = T0 + Duration::minutes(5);

    let (account, revoked) = users
        .update_access(id, &disable(false, at), &[disabled(id, false, at)])
        .await
        .unwrap();

    assert!(!account.disabled);
    assert!(revoked.is_empty(), "{revoked:?}");
    assert!(!storage.sessions().is_revoked(later.id).await.unwrap());
}

/// An access change of an account that does not exist is `NotFound` and stores nothing.
pub async fn update_access_of_an_unknown_user_is_not_found_and_stores_nothing(
    storage: &dyn Storage,
) {
    let unknown = UserId::generate();
    let update = AccessUpdate {
        role: Some(Role::Admin),
        disabled: Some(true),
        at: T0,
    };

    let result = storage
        .users()
        .update_access(unknown, &update, &[role_changed(unknown, T0)])
        .await;

    assert!(
        matches!(result, Err(UpdateAccessError::NotFound)),
        "{result:?}"
    );
    assert_eq!(written_events(storage).await, vec![]);
}

/// Stores accounts for `emails`, the first created at [`T0`] and each next a minute later.
async fn add_users(storage: &dyn Storage, emails: &[&str]) -> Vec<NewUser> {
    let mut added = Vec::new();
    for (minutes, email) in (0..).zip(emails) {
        let new = NewUser {
            created_at: T0 + Duration::minutes(minutes),
            ..new_user(email)
        };
        storage
            .users()
            .create(&new, &signed_up(&new))
            .await
            .unwrap();
        added.push(new);
    }
    added
}

fn query(prefix: Option<&str>, after: Option<PageKey>, limit: Option<i64>) -> UserQuery {
    UserQuery {
        email: prefix.map(|p| EmailPrefix::parse(p).unwrap()),
        page: PageRequest {
            after,
            limit: PageLimit::parse(limit).unwrap(),
        },
    }
}

async fn listed(storage: &dyn Storage, query: &UserQuery) -> Vec<String> {
    let users = storage.users().list(query).await.unwrap();
    users.iter().map(|u| u.email.as_str().to_owned()).collect()
}

/// Accounts come newest first, filtered by a case-insensitive prefix, one more than the
/// page's limit so that the caller sees a next page.
pub async fn users_are_listed_newest_first_by_prefix_and_page(storage: &dyn Storage) {
    let emails = ["ann@example.com", "bob@example.com", "amy@example.com"];
    add_users(storage, &emails).await;

    let all = listed(storage, &query(None, None, None)).await;
    let first_page = listed(storage, &query(Some("A"), None, Some(1))).await;

    assert_eq!(
        all,
        ["amy@example.com", "bob@example.com", "ann@example.com"]
    );
    assert_eq!(first_page, ["amy@example.com", "ann@example.com"]);
}

/// A page starts strictly after its key in the order `created_at` descending, then id
/// descending, so that accounts created in the same instant are neither repeated nor skipped.
pub async fn a_page_continues_strictly_after_its_key(storage: &dyn Storage) {
    let added = add_users(storage, &["ann@example.com", "bob@example.com"]).await;
    let twin = NewUser {
        created_at: added[1].created_at,
        ..new_user("bea@example.com")
    };
    storage
        .users()
        .create(&twin, &signed_up(&twin))
        .await
        .unwrap();
    let (high, low) = if twin.id.as_uuid() > added[1].id.as_uuid() {
        (&twin, &added[1])
    } else {
        (&added[1], &twin)
    };
    let key = |user: &NewUser| PageKey {
        at: user.created_at,
        id: user.id.as_uuid(),
    };

    let after_high = listed(storage, &query(None, Some(key(high)), None)).await;
    let after_low = listed(storage, &query(None, Some(key(low)), None)).await;

    let (low, ann) = (low.email.to_string(), "ann@example.com".to_owned());
    assert_eq!(after_high, [low, ann.clone()]);
    assert_eq!(after_low, [ann]);
}

/// `%`, `_` and `\` in a prefix stand for themselves, not for patterns.
pub async fn wildcards_in_an_email_prefix_match_themselves(storage: &dyn Storage) {
    let emails = ["a_b@example.com", "axb@example.com", "a%b@example.com"];
    add_users(storage, &emails).await;

    let underscore = listed(storage, &query(Some("a_"), None, None)).await;
    let percent = listed(storage, &query(Some("a%"), None, None)).await;
    let backslash = listed(storage, &query(Some(r"a\"), None, None)).await;

    assert_eq!(underscore, ["a_b@example.com"]);
    assert_eq!(percent, ["a%b@example.com"]);
    assert_eq!(backslash, Vec::<String>::new());
}
