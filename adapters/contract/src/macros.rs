//! The expansion every `<port>_contract!` macro shares: one test per rule, in a module named
//! after the port.

/// Expands to `mod $module` holding one `#[tokio::test]` per rule of `$crate::$rules`.
///
/// - `built`: each test makes its implementation with `$make().await` and hands the rule a
///   reference to it.
/// - `factory`: each test hands the rule `$make` itself, which it calls with settings of its
///   own.
///
/// The module imports its parent's names, so that `$make` is written as in the calling module.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_tests {
    (built $module:ident, $make:expr, $rules:ident: [$($rule:ident),+ $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $rule() {
                    let under_test = ($make)().await;
                    $crate::$rules::$rule(&under_test).await;
                }
            )+
        }
    };
    (factory $module:ident, $make:expr, $rules:ident: [$($rule:ident),+ $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $rule() {
                    $crate::$rules::$rule(&$make).await;
                }
            )+
        }
    };
}

/// Every storage port's contract on the [`crate::Storage`] that `$make().await` returns: the
/// modules `user_repo`, `session_repo`, `outbox`, `account_tokens`, `identities`, `grants`,
/// `audit_log`, `handled_events`, `lifecycle`, `retention`, `mfa_factors`, `mfa_webauthn` and
/// `ceremonies`.
#[macro_export]
macro_rules! storage_contracts {
    ($make:expr) => {
        $crate::user_repo_contract!($make);
        $crate::session_repo_contract!($make);
        $crate::outbox_contract!($make);
        $crate::account_tokens_contract!($make);
        $crate::identities_contract!($make);
        $crate::grants_contract!($make);
        $crate::audit_log_contract!($make);
        $crate::handled_events_contract!($make);
        $crate::lifecycle_contract!($make);
        $crate::retention_contract!($make);
        $crate::mfa_factors_contract!($make);
        $crate::mfa_webauthn_contract!($make);
        $crate::ceremonies_contract!($make);
    };
}
