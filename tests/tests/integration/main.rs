//! Postern's integration tests, in one binary so that they link once.
//!
//! Every test is an `async fn(Backend)` that [`on_both_backends!`] turns into
//! `<test>::on_postgres` and `<test>::on_sqlite`, each with a fresh database of its own, so that
//! the two backends are held to the same behaviour and tests run in parallel.

// The test bodies are plain async fns the macro calls, which clippy does not see as tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Generates, for each named `async fn(Backend)`, a module of the same name holding one
/// `#[tokio::test]` per backend. The runtime is multi-threaded so that concurrency tests race
/// for real.
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {$(
        mod $test {
            use postern_tests::db::Backend;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_postgres() {
                super::$test(Backend::Postgres).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_sqlite() {
                super::$test(Backend::Sqlite).await;
            }
        }
    )+};
}

mod adapters;
mod browser;
mod cli;
mod commands;
mod global_limit;
mod http;
mod import;
mod process;
mod schema;
mod workers;
