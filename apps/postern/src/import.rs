//! `postern import backlume`: copies Backlume's users into the configured database, keeping
//! their ids and bcrypt hashes (upgraded to Argon2id at each user's next login), and prints
//! what it did. Running it again imports nothing twice and changes no existing account.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Context;
use postern_core::usecases::{ImportReport, ImportUsers};
use postern_db::BacklumeSource;
use postern_db::SeaImportTarget;
use secrecy::SecretString;

use crate::config::Config;
use crate::wiring;

/// How many skipped or invalid rows the summary lists one by one; the log has them all.
const LISTED: usize = 20;

/// Imports Backlume's users from the database at `from`, `batch_size` rows at a time.
///
/// # Errors
/// When either database cannot be reached or read. Batches stored before the error stay
/// stored; running the import again resumes it.
pub async fn backlume(
    config: &Config,
    from: &SecretString,
    batch_size: u64,
) -> anyhow::Result<ImportReport> {
    let target = wiring::database(config).await?;
    // The error's context names the option, never its value: the URL may carry a password.
    let source = BacklumeSource::connect(from)
        .await
        .context("connecting to the Backlume database (--from)")?;
    ImportUsers::new(
        Arc::new(source),
        Arc::new(SeaImportTarget::new(target)),
        batch_size,
    )
    .execute()
    .await
    .context("importing Backlume users")
}

/// The summary printed when an import ends.
pub fn summary(report: &ImportReport) -> String {
    let mut out = format!(
        "Backlume import finished\n  read:     {}\n  imported: {}\n  skipped:  {} \
         (already present: {}, email used by another account: {})\n  invalid:  {}\n",
        report.read,
        report.imported,
        report.skipped(),
        report.already_present,
        report.email_taken.len(),
        report.invalid.len(),
    );
    for id in report.email_taken.iter().take(LISTED) {
        let _ = writeln!(out, "  skipped {id}: email used by another account");
    }
    for row in report.invalid.iter().take(LISTED) {
        let _ = writeln!(out, "  invalid {}: {}", row.id, row.reason);
    }
    let unlisted = report.email_taken.len().saturating_sub(LISTED)
        + report.invalid.len().saturating_sub(LISTED);
    if unlisted > 0 {
        let _ = writeln!(out, "  ... and {unlisted} more in the log");
    }
    out
}
