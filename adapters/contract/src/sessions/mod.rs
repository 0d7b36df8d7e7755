//! [`SessionRepo`](postern_core::ports::SessionRepo): sessions and refresh tokens round-trip,
//! rotation has exactly one winner, no token is added to a revoked session, revocation touches
//! only live sessions of their owner and writes its event once, `is_revoked` answers from the
//! store, failed changes leave no event, and listing shows only the owner's live sessions,
//! most recently used first.

mod listing;
mod revocation;
mod tokens;

pub use listing::*;
pub use revocation::*;
pub use tokens::*;

/// The [`SessionRepo`](postern_core::ports::SessionRepo) contract, as module `session_repo`,
/// on the [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! session_repo_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built session_repo, $make, sessions: [
            start_then_find_refresh_token_round_trips,
            a_failed_start_stores_neither_its_session_nor_its_event,
            rotate_wins_once_and_stores_one_successor,
            concurrent_rotations_have_exactly_one_winner,
            rotate_in_a_revoked_session_returns_false_and_stores_no_successor,
            revoke_marks_the_session_revoked_and_stores_its_event,
            revoke_of_another_users_session_changes_nothing,
            one_event_for_two_revocations_is_stored_once,
            revoke_all_returns_only_the_live_sessions,
            revoke_all_except_keeps_the_given_session_and_returns_the_others,
            revoke_all_except_with_nothing_to_revoke_stores_no_event,
            revoked_since_compares_in_time_order,
            is_revoked_answers_for_live_ended_and_unknown_sessions,
            list_live_shows_the_owners_live_sessions_most_recently_used_first,
            list_live_excludes_revoked_expired_and_other_users_sessions,
            list_live_compares_expiry_in_time_order,
        ]);
    };
}
