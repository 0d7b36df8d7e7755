//! `TEST_LOG`: with it set, the server's log lines reach the test's output (shown for failing
//! tests, or all with `--nocapture`), filtered by `RUST_LOG` (default `info`); without it the
//! tests stay quiet.

use std::sync::Once;

use tracing_subscriber::EnvFilter;

static INSTALLED: Once = Once::new();

/// Installs the log subscriber once per test binary, if `TEST_LOG` is set.
pub fn init() {
    INSTALLED.call_once(|| {
        if std::env::var_os("TEST_LOG").is_none() {
            return;
        }
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .init();
    });
}
