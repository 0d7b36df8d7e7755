//! Account lifecycle (docs/http-api.md §4, docs/adr/0016): an email-change token moves its
//! account to its address, verified, once, unless another account holds the address; deleting
//! an account anonymises its row, ends its sessions, frees its address, erases the personal data
//! of the events stored about it, and writes the given events after; a deletion notice loses
//! its address once published and is never recorded with it.

use postern_core::domain::{
    AccessUpdate, AuditQuery, ERASED_EMAIL, Email, Event, EventData, NewAccountToken, PageLimit,
    PageRequest, ProviderName, Role, TokenPurpose, UserId,
};
use postern_core::ports::{ChangeEmailError, DeleteAccountError, UpdateAccessError};
use time::Duration;

use crate::ManualClock;
use crate::Storage;
use crate::fixtures::{T0, new_user, signed_up, unique_digest};
use crate::storage::{OutboxSettings, add_user, start_session, written_events};

/// The lifecycle contract, as module `lifecycle`, on the [`Storage`](crate::Storage) that
/// `$make().await` returns.
#[macro_export]
macro_rules! lifecycle_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built lifecycle, $make, lifecycle: [
            a_change_token_moves_the_account_verified_once_and_stores_its_event,
            a_federated_second_step_token_is_found_with_its_provider,
            a_change_to_an_address_taken_meanwhile_is_email_taken_and_changes_nothing,
            deletion_anonymises_the_account_ends_its_sessions_and_frees_its_address,
            deletion_erases_the_stored_events_and_writes_the_given_ones_after,
            a_deletion_notice_is_recorded_and_kept_published_without_its_address,
            the_last_enabled_admin_and_unknown_or_deleted_accounts_are_not_deleted_or_changed,
        ]);
    };
}

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

fn changed(user: UserId) -> Event {
    let data = EventData::EmailChanged {
        email: "new@example.com".into(),
        previous_email: "ada@example.com".into(),
    };
    Event::new(data, Some(user), T0 + Duration::minutes(1))
}

fn deletion_events(user: UserId) -> [Event; 2] {
    let at = T0 + Duration::minutes(2);
    [
        Event::new(
            EventData::DeletionNotice {
                email: "ada@example.com".into(),
            },
            Some(user),
            at,
        ),
        Event::new(EventData::Deleted { deleted_by: None }, Some(user), at),
    ]
}

async fn issue_change(storage: &dyn Storage, user: UserId, to: &str) -> NewAccountToken {
    let token = NewAccountToken::change_email(user, email(to), unique_digest(), T0);
    storage.account_tokens().issue(&token).await.unwrap();
    token
}

/// A provider sign-in's second-step token is found with its provider; other tokens have none.
pub async fn a_federated_second_step_token_is_found_with_its_provider(storage: &dyn Storage) {
    let user = add_user(storage, "ada@example.com").await;
    let provider = ProviderName::parse("acme-sso").unwrap();
    let federated =
        NewAccountToken::federated_mfa_login(user.id, provider.clone(), unique_digest(), T0);
    let plain = NewAccountToken::new(user.id, TokenPurpose::MfaLogin, unique_digest(), T0);
    let tokens = storage.account_tokens();
    tokens.issue(&federated).await.unwrap();
    tokens.issue(&plain).await.unwrap();

    let found = tokens
        .find(federated.purpose, &federated.digest)
        .await
        .unwrap()
        .unwrap();
    let other = tokens
        .find(plain.purpose, &plain.digest)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(found.provider, Some(provider));
    assert_eq!(other.provider, None);
}

/// The token is found with its address; spending it moves the account to it, verified, with
/// its event, and spends the account's other change tokens; a second spend changes nothing.
pub async fn a_change_token_moves_the_account_verified_once_and_stores_its_event(
    storage: &dyn Storage,
) {
    let user = add_user(storage, "ada@example.com").await;
    let token = issue_change(storage, user.id, "new@example.com").await;
    let other = issue_change(storage, user.id, "other@example.com").await;
    let tokens = storage.account_tokens();
    let found = tokens
        .find(token.purpose, &token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.new_email, Some(email("new@example.com")));
    let event = changed(user.id);

    let moved = tokens
        .change_email(token.id, T0 + Duration::minutes(1), &event)
        .await
        .unwrap()
        .unwrap();
    let again = tokens
        .change_email(other.id, T0 + Duration::minutes(1), &event)
        .await
        .unwrap();

    assert_eq!(moved.email, email("new@example.com"));
    assert!(moved.email_verified);
    assert_eq!(
        again, None,
        "the other change token was spent with the first"
    );
    let stored = storage.users().find_by_id(user.id).await.unwrap().unwrap();
    assert_eq!(stored, moved);
    assert!(written_events(storage).await.contains(&event));
}

/// When another account holds the address at confirmation, nothing changes: the token stays
/// unused, the account keeps its address, and no event is stored.
pub async fn a_change_to_an_address_taken_meanwhile_is_email_taken_and_changes_nothing(
    storage: &dyn Storage,
) {
    let user = add_user(storage, "ada@example.com").await;
    let token = issue_change(storage, user.id, "new@example.com").await;
    add_user(storage, "new@example.com").await;
    let event = changed(user.id);

    let result = storage
        .account_tokens()
        .change_email(token.id, T0 + Duration::minutes(1), &event)
        .await;

    assert!(
        matches!(result, Err(ChangeEmailError::EmailTaken)),
        "{result:?}"
    );
    let found = storage
        .account_tokens()
        .find(token.purpose, &token.digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.used_at, None);
    let stored = storage.users().find_by_id(user.id).await.unwrap().unwrap();
    assert_eq!(stored.email, email("ada@example.com"));
    assert!(!written_events(storage).await.contains(&event));
}

/// After deletion the account has an erased address and no name, is disabled, its sessions are
/// revoked (and returned), its credentials no longer found by the old address, its tokens gone,
/// and the address can sign up again.
pub async fn deletion_anonymises_the_account_ends_its_sessions_and_frees_its_address(
    storage: &dyn Storage,
) {
    let user = add_user(storage, "ada@example.com").await;
    let session = start_session(storage, user.id).await;
    let token = issue_change(storage, user.id, "new@example.com").await;
    let users = storage.users();

    let revoked = users
        .delete_account(
            user.id,
            T0 + Duration::minutes(2),
            &deletion_events(user.id),
        )
        .await
        .unwrap();

    assert_eq!(revoked, vec![session.id]);
    assert!(storage.sessions().is_revoked(session.id).await.unwrap());
    let stored = users.find_by_id(user.id).await.unwrap().unwrap();
    assert_eq!(stored.email, Email::erased(user.id));
    assert_eq!(stored.name, None);
    assert!(stored.disabled);
    assert!(users.find_credentials(&user.email).await.unwrap().is_none());
    let found = storage
        .account_tokens()
        .find(token.purpose, &token.digest)
        .await
        .unwrap();
    assert_eq!(found, None, "the account's tokens are gone");
    let again = new_user("ada@example.com");
    users.create(&again, &signed_up(&again)).await.unwrap();
}

/// Events stored about the account before its deletion, in the outbox and the audit log, lose
/// its address and name; the given events are written after them, as given.
pub async fn deletion_erases_the_stored_events_and_writes_the_given_ones_after(
    storage: &dyn Storage,
) {
    let user = add_user(storage, "ada@example.com").await;
    let earlier = written_events(storage).await;
    storage.audit_log().handle_batch(&earlier).await.unwrap();
    let events = deletion_events(user.id);

    storage
        .users()
        .delete_account(user.id, T0 + Duration::minutes(2), &events)
        .await
        .unwrap();

    let written = written_events(storage).await;
    let (before, after) = written.split_at(written.len() - 2);
    assert_eq!(after, &events[..]);
    for event in before {
        assert!(
            !format!("{event:?}").contains("ada@example.com"),
            "{event:?}"
        );
    }
    let records = storage
        .audit_trail()
        .list(&AuditQuery {
            user: Some(user.id),
            event_type: None,
            page: PageRequest {
                after: None,
                limit: PageLimit::parse(Some(100)).unwrap(),
            },
        })
        .await
        .unwrap();
    assert!(!records.is_empty());
    for record in records {
        assert!(!record.event_json.contains("ada@example.com"), "{record:?}");
        assert!(record.event_json.contains(ERASED_EMAIL), "{record:?}");
    }
}

/// The notice keeps its address while it waits, loses it when marked published, and the audit
/// log records it without it.
pub async fn a_deletion_notice_is_recorded_and_kept_published_without_its_address(
    storage: &dyn Storage,
) {
    let user = add_user(storage, "ada@example.com").await;
    let clock = ManualClock::at(T0 + Duration::minutes(3));
    let outbox = storage.outbox(OutboxSettings::on(clock.clone()));
    let signup: Vec<_> = outbox.claim(100).await.unwrap();
    outbox
        .mark_published(&signup.iter().map(Event::event_id).collect::<Vec<_>>())
        .await
        .unwrap();
    let [notice, deleted] = deletion_events(user.id);
    storage
        .users()
        .delete_account(
            user.id,
            T0 + Duration::minutes(2),
            &[notice.clone(), deleted],
        )
        .await
        .unwrap();

    let claimed = outbox.claim(100).await.unwrap();
    assert_eq!(
        claimed.first(),
        Some(&notice),
        "the waiting notice keeps its address"
    );
    storage.audit_log().handle_batch(&claimed).await.unwrap();
    outbox
        .mark_published(&claimed.iter().map(Event::event_id).collect::<Vec<_>>())
        .await
        .unwrap();

    let records = storage
        .audit_trail()
        .list(&AuditQuery {
            user: Some(user.id),
            event_type: Some("user.deletion_notice".into()),
            page: PageRequest {
                after: None,
                limit: PageLimit::parse(Some(10)).unwrap(),
            },
        })
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert!(
        !records[0].event_json.contains("ada@example.com"),
        "{records:?}"
    );
    assert!(
        storage.delivery(notice.event_id()).await.is_some(),
        "the notice is still in the outbox, published"
    );
}

/// The only enabled admin is `LastAdmin`; an unknown or already deleted account is `NotFound`,
/// to a deletion and to an access change; none stores anything.
pub async fn the_last_enabled_admin_and_unknown_or_deleted_accounts_are_not_deleted_or_changed(
    storage: &dyn Storage,
) {
    let users = storage.users();
    let admin = add_user(storage, "admin@example.com").await;
    let promote = AccessUpdate {
        role: Some(Role::Admin),
        disabled: None,
        at: T0 + Duration::minutes(1),
    };
    users.update_access(admin.id, &promote, &[]).await.unwrap();
    let at = T0 + Duration::minutes(2);

    let last = users
        .delete_account(admin.id, at, &deletion_events(admin.id))
        .await;
    let unknown = UserId::generate();
    let missing = users
        .delete_account(unknown, at, &deletion_events(unknown))
        .await;
    let user = add_user(storage, "ada@example.com").await;
    users
        .delete_account(user.id, at, &deletion_events(user.id))
        .await
        .unwrap();
    let twice = users
        .delete_account(user.id, at, &deletion_events(user.id))
        .await;
    let enable = AccessUpdate {
        role: None,
        disabled: Some(false),
        at,
    };
    let revived = users.update_access(user.id, &enable, &[]).await;

    assert!(
        matches!(last, Err(DeleteAccountError::LastAdmin)),
        "{last:?}"
    );
    assert!(
        matches!(missing, Err(DeleteAccountError::NotFound)),
        "{missing:?}"
    );
    assert!(
        matches!(twice, Err(DeleteAccountError::NotFound)),
        "{twice:?}"
    );
    assert!(
        matches!(revived, Err(UpdateAccessError::NotFound)),
        "a deleted account cannot be enabled again: {revived:?}"
    );
    let stored = users.find_by_id(admin.id).await.unwrap().unwrap();
    assert_eq!(stored.email, email("admin@example.com"));
}
