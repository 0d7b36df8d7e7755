//! The schema's migrations as an operator meets them: what `postern migrate` and
//! `postern migrate status` answer on standard output, and the check that stops a server whose
//! schema is behind the binary before it meets a missing table.

use anyhow::Context;
use postern_migration::{MigrationStatus, Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

/// Where the schema stands: the migrations this binary knows, applied and pending, oldest first.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The names of the migrations the database has applied.
    pub applied: Vec<String>,
    /// The names of the migrations still to apply.
    pub pending: Vec<String>,
}

/// The schema is behind this binary and nothing is allowed to migrate it at start.
#[derive(Debug, thiserror::Error)]
#[error(
    "the database schema is not migrated: {pending} of {total} migrations are pending. Run \
     `postern migrate` with this DATABASE_URL (or set MIGRATE_ON_START=true), then start again"
)]
pub struct NotMigrated {
    /// How many migrations are pending.
    pub pending: usize,
    /// How many migrations this binary knows.
    pub total: usize,
}

impl SchemaStatus {
    /// Reads which migrations are applied, without creating anything: a database that was
    /// never migrated has every migration pending.
    ///
    /// # Errors
    /// When the database cannot be read, or it has applied a migration this binary does not know.
    pub async fn read(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let migrations = Migrator::get_migration_with_status_read_only(db)
            .await
            .context("reading the applied migrations")?;
        let mut status = Self::default();
        for migration in migrations {
            let name = migration.name().to_owned();
            match migration.status() {
                MigrationStatus::Applied => status.applied.push(name),
                MigrationStatus::Pending => status.pending.push(name),
            }
        }
        Ok(status)
    }

    /// One `applied NAME` or `pending NAME` line per migration, then a summary that says what
    /// to run when something is pending.
    pub fn describe(&self) -> String {
        let lines = self
            .applied
            .iter()
            .map(|name| format!("applied  {name}\n"))
            .chain(self.pending.iter().map(|name| format!("pending  {name}\n")));
        let summary = match self.pending.len() {
            0 => format!(
                "{} applied, none pending: the schema is up to date\n",
                self.applied.len()
            ),
            pending => format!(
                "{} applied, {pending} pending: run `postern migrate` to apply them\n",
                self.applied.len()
            ),
        };
        lines.chain([summary]).collect()
    }

    /// Fails with [`NotMigrated`] when a migration is pending.
    ///
    /// # Errors
    /// [`NotMigrated`].
    pub fn require_up_to_date(&self) -> Result<(), NotMigrated> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(NotMigrated {
                pending: self.pending.len(),
                total: self.applied.len() + self.pending.len(),
            })
        }
    }
}

/// Applies every pending migration and returns the ones it applied, oldest first.
///
/// # Errors
/// When the database cannot be read or a migration fails.
pub async fn apply_pending(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    let pending = SchemaStatus::read(db).await?.pending;
    postern_migration::apply_pending(db)
        .await
        .context("running database migrations")?;
    Ok(pending)
}

/// Rolls the last applied migration back and returns its name (`None` when none is applied).
///
/// # Errors
/// When the database cannot be read or the migration's `down` fails.
pub async fn roll_back_last(db: &DatabaseConnection) -> anyhow::Result<Option<String>> {
    let last = SchemaStatus::read(db).await?.applied.pop();
    if last.is_some() {
        postern_migration::roll_back(db, Some(1))
            .await
            .context("rolling back the last migration")?;
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(applied: &[&str], pending: &[&str]) -> SchemaStatus {
        let names = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        SchemaStatus {
            applied: names(applied),
            pending: names(pending),
        }
    }

    #[test]
    fn describe_lists_each_migration_and_names_the_command_when_some_are_pending() {
        let described = status(&["m1_users"], &["m2_sessions"]).describe();

        assert_eq!(
            described,
            "applied  m1_users\npending  m2_sessions\n\
             1 applied, 1 pending: run `postern migrate` to apply them\n"
        );
    }

    #[test]
    fn describe_says_an_up_to_date_schema_is_up_to_date() {
        let described = status(&["m1_users", "m2_sessions"], &[]).describe();

        assert!(
            described.ends_with("2 applied, none pending: the schema is up to date\n"),
            "{described}"
        );
    }

    #[test]
    fn a_pending_migration_is_refused_naming_the_command() {
        let refused = status(&["m1_users"], &["m2_sessions", "m3_outbox"])
            .require_up_to_date()
            .unwrap_err()
            .to_string();

        assert!(
            refused.contains("2 of 3 migrations are pending"),
            "{refused}"
        );
        assert!(refused.contains("postern migrate"), "{refused}");
        assert!(status(&["m1_users"], &[]).require_up_to_date().is_ok());
    }
}
