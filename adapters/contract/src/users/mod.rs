//! [`UserRepo`](postern_core::ports::UserRepo): accounts round-trip, emails are unique, every
//! change is stored together with its event (and a refused one with none), login attempts are
//! reserved atomically against the lockout policy, access changes revoke what they must and
//! never leave the service without an enabled admin, and listing pages newest first.

mod access;
mod accounts;
mod admins;
mod lockout;

pub use access::*;
pub use accounts::*;
pub use admins::*;
pub use lockout::*;

/// The [`UserRepo`](postern_core::ports::UserRepo) contract, as module `user_repo`, on the
/// [`Storage`](crate::Storage) that `$make().await` returns.
#[macro_export]
macro_rules! user_repo_contract {
    ($make:expr) => {
        $crate::__contract_tests!(built user_repo, $make, users: [
            create_returns_the_account_that_the_finds_read_back,
            a_duplicate_email_is_taken_and_stores_nothing,
            create_stores_exactly_its_event,
            update_name_stamps_updated_at_and_stores_its_event,
            update_name_of_an_unknown_user_is_not_found_and_stores_nothing,
            replace_password_hash_is_read_back_without_an_event,
            change_password_stores_the_hash_stamps_updated_at_and_stores_its_event,
            change_password_of_an_unknown_user_is_not_found_and_stores_nothing,
            begin_login_attempt_with_every_slot_in_flight_is_busy_not_locked,
            the_failure_that_reaches_the_maximum_locks_from_its_time_and_stores_its_event,
            record_login_failure_below_the_maximum_only_stores_its_event,
            a_lifted_lock_restarts_the_count,
            failures_stop_counting_after_a_lock_period_without_attempts,
            failures_within_a_lock_period_of_the_last_attempt_keep_counting,
            a_lock_lifts_in_time_order_not_text_order,
            attempts_that_never_report_back_are_abandoned_after_the_policy_period,
            a_failure_after_a_success_counts_from_the_success,
            record_login_success_resets_the_count_and_lifts_the_lock,
            a_success_frees_a_slot_for_an_attempt_waiting_for_one,
            abandon_login_attempt_frees_the_slot_and_counts_nothing,
            concurrent_attempts_never_get_past_the_maximum,
            concurrent_wrong_passwords_are_checked_exactly_the_maximum_then_locked,
            concurrent_right_passwords_are_never_refused,
            a_clients_lock_holds_for_that_client_only,
            failures_from_every_client_lock_the_email_at_the_account_maximum,
            an_email_no_account_has_is_counted_and_locked_alike,
            concurrent_wrong_passwords_from_many_clients_are_checked_exactly_the_account_maximum,
            update_access_changes_the_role_stamps_updated_at_and_ends_the_sessions,
            disabling_an_account_revokes_its_live_sessions_only,
            enabling_an_account_revokes_nothing,
            update_access_of_an_unknown_user_is_not_found_and_stores_nothing,
            the_last_enabled_admin_can_be_neither_demoted_nor_disabled,
            an_admin_may_be_demoted_while_another_stays_enabled,
            two_admins_demoting_each_other_at_once_leave_exactly_one,
            users_are_listed_newest_first_by_prefix_and_page,
            a_page_continues_strictly_after_its_key,
            wildcards_in_an_email_prefix_match_themselves,
        ]);
    };
}
