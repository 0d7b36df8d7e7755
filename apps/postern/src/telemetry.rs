//! Logging: readable lines in development, JSON in production (`LOG_FORMAT`), filtered by
//! `RUST_LOG` (default `info`).
//!
//! sea-orm-migration logs two lines per migration at info, which made a first start print a
//! screenful of them; the wiring logs one line for the whole run instead, and `postern migrate`
//! answers on standard output. Its lines are kept to warnings unless `RUST_LOG` names it.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The filter used when `RUST_LOG` is unset, empty or malformed.
const DEFAULT_FILTER: &str = "info";
/// The crate whose per-migration lines are left out, and the level it keeps.
const QUIET_MIGRATIONS: (&str, &str) = ("sea_orm_migration", "warn");

/// Installs the global subscriber. Calling it twice is harmless (the second call does nothing),
/// which tests that start several servers rely on.
pub fn init(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(std::env::var("RUST_LOG").ok().as_deref()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// `requested` (`RUST_LOG`), with sea-orm-migration kept to warnings unless it is named.
fn filter(requested: Option<&str>) -> EnvFilter {
    let requested = requested
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(DEFAULT_FILTER);
    let (quiet_target, quiet_level) = QUIET_MIGRATIONS;
    let directives = if requested.contains(quiet_target) {
        requested.to_owned()
    } else {
        format!("{requested},{quiet_target}={quiet_level}")
    };
    EnvFilter::try_new(directives).unwrap_or_else(|_| {
        EnvFilter::new(format!("{DEFAULT_FILTER},{quiet_target}={quiet_level}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_lines_are_kept_to_warnings_unless_named() {
        for requested in [
            None,
            Some(""),
            Some("info"),
            Some("debug,hyper=warn"),
            Some("=bad="),
        ] {
            let filter = filter(requested).to_string();

            assert!(
                filter.contains("sea_orm_migration=warn"),
                "{requested:?}: {filter}"
            );
        }
        let named = filter(Some("info,sea_orm_migration=info")).to_string();
        assert!(named.contains("sea_orm_migration=info"), "{named}");
        assert!(!named.contains("sea_orm_migration=warn"), "{named}");
    }
}
