//! [`RevocationList`]: a revoked session stays revoked until its deadline and no longer; a
//! second revocation may push the deadline later but never earlier; a deadline already past
//! stores nothing. Deadlines are real time, short enough to wait out.

use std::time::Duration;

use postern_core::domain::SessionId;
use postern_core::ports::RevocationList;
use time::OffsetDateTime;

/// The [`RevocationList`] contract, as module `revocation_list`, on the list that
/// `$make().await` returns: fresh and empty, on the system's clock.
#[macro_export]
macro_rules! revocation_list_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built revocation_list, $make, revocation_list: [
            a_revoked_session_stays_revoked_until_its_deadline_and_no_longer,
            a_later_revocation_never_shortens_an_earlier_one,
            a_later_deadline_extends_a_revocation,
            a_revocation_with_a_past_deadline_stores_nothing,
            one_call_revokes_every_session_it_names,
        ]);
    };
}

fn from_now(duration: Duration) -> OffsetDateTime {
    OffsetDateTime::now_utc() + duration
}

/// A revocation holds from the call until its deadline, is lifted then, and concerns only the
/// sessions it names.
pub async fn a_revoked_session_stays_revoked_until_its_deadline_and_no_longer(
    list: &dyn RevocationList,
) {
    let (revoked, other) = (SessionId::generate(), SessionId::generate());
    let until = from_now(Duration::from_millis(800));

    list.revoke(&[revoked], until).await.unwrap();

    assert!(list.is_revoked(revoked).await.unwrap());
    assert!(!list.is_revoked(other).await.unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while list.is_revoked(revoked).await.unwrap() {
        assert!(tokio::time::Instant::now() < deadline, "never lifted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        OffsetDateTime::now_utc() >= until,
        "lifted before its deadline"
    );
}

/// A second revocation with an earlier deadline leaves the first one's in force.
pub async fn a_later_revocation_never_shortens_an_earlier_one(list: &dyn RevocationList) {
    let session = SessionId::generate();

    list.revoke(&[session], from_now(Duration::from_secs(600)))
        .await
        .unwrap();
    list.revoke(&[session], from_now(Duration::from_millis(300)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;

    assert!(list.is_revoked(session).await.unwrap());
}

/// A second revocation with a later deadline holds until that one.
pub async fn a_later_deadline_extends_a_revocation(list: &dyn RevocationList) {
    let session = SessionId::generate();

    list.revoke(&[session], from_now(Duration::from_millis(300)))
        .await
        .unwrap();
    list.revoke(&[session], from_now(Duration::from_secs(600)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;

    assert!(list.is_revoked(session).await.unwrap());
}

/// A deadline already past revokes nothing: the tokens are expired anyway.
pub async fn a_revocation_with_a_past_deadline_stores_nothing(list: &dyn RevocationList) {
    let session = SessionId::generate();

    list.revoke(
        &[session],
        OffsetDateTime::now_utc() - Duration::from_secs(1),
    )
    .await
    .unwrap();

    assert!(!list.is_revoked(session).await.unwrap());
}

/// One call revokes every session it names, however many (more than one batch of an adapter
/// that sends them in batches); naming none is no error.
pub async fn one_call_revokes_every_session_it_names(list: &dyn RevocationList) {
    let sessions: Vec<SessionId> = (0..300).map(|_| SessionId::generate()).collect();
    let until = from_now(Duration::from_secs(600));

    list.revoke(&sessions, until).await.unwrap();
    list.revoke(&[], until).await.unwrap();

    for session in &sessions {
        assert!(list.is_revoked(*session).await.unwrap(), "{session:?}");
    }
    assert!(!list.is_revoked(SessionId::generate()).await.unwrap());
}
