//! `TEST_LOG`: with it set, the servers a test starts show their log lines: those in this
//! process through a subscriber writing to the test's output (shown for a failing test, or for
//! all with `--nocapture`), child processes by passing their output on. Without it the tests
//! stay quiet. `RUST_LOG` filters the in-process lines (default `info`).

use std::process::Stdio;
use std::sync::Once;

use tracing_subscriber::EnvFilter;

static INSTALLED: Once = Once::new();

/// Whether `TEST_LOG` is set.
pub fn enabled() -> bool {
    std::env::var_os("TEST_LOG").is_some()
}

/// Installs the log subscriber for servers in this process, once, if `TEST_LOG` is set.
pub fn init() {
    INSTALLED.call_once(|| {
        if !enabled() {
            return;
        }
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .init();
    });
}

/// Where the output of a child process that no test reads goes: to the terminal with
/// `TEST_LOG`, else nowhere.
pub fn child_output() -> Stdio {
    if enabled() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}
