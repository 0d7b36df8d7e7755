//! Importing accounts from another system (issue 4: coming from Backlume).
//!
//! Rows are read in batches ordered by id and judged one by one against Postern's rules: the
//! email is normalised like a signup's, the role mapped by name, the hash accepted only as
//! bcrypt (upgraded to Argon2id at the user's next login). A bad row is counted and reported,
//! never fatal. Valid accounts keep their source id, which makes a re-run idempotent: storage
//! inserts only ids it does not have and never changes an existing account, so whatever
//! changed in Postern since the last run stays as it is. An account whose email another id
//! already holds is skipped too: the account already in Postern wins, and the skipped source
//! id is reported so that an operator can settle it by hand.
//!
//! Each batch is committed on its own; an import stopped by an error can simply be run again.

use std::sync::Arc;

use tracing::{info, instrument, warn};
use uuid::Uuid;

use crate::domain::{Email, ImportOutcome, ImportedUser, PasswordHash, Role, SourceUser, UserId};
use crate::ports::{ImportTarget, PortError, PortResult, UserSource};

/// A source row that was not imported because it breaks a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRow {
    /// The row's id at the source.
    pub id: Uuid,
    /// What is wrong with it, for the operator (never the hash).
    pub reason: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows read from the source.
    pub read: u64,
    /// Accounts stored by this run.
    pub imported: u64,
    /// Accounts whose id was already present (imported by an earlier run), left unchanged.
    pub already_present: u64,
    /// Source ids skipped because another account already has their email.
    pub email_taken: Vec<Uuid>,
    /// Rows that break a rule, with the reason.
    pub invalid: Vec<InvalidRow>,
}

impl ImportReport {
    /// Rows skipped on purpose: already present, or their email taken by another account.
    pub fn skipped(&self) -> u64 {
        self.already_present + self.email_taken.len() as u64
    }
}

/// Copies accounts from a [`UserSource`] into an [`ImportTarget`].
pub struct ImportUsers {
    source: Arc<dyn UserSource>,
    target: Arc<dyn ImportTarget>,
    batch_size: u64,
}

impl ImportUsers {
    /// An import reading `batch_size` rows at a time (at least one).
    pub fn new(
        source: Arc<dyn UserSource>,
        target: Arc<dyn ImportTarget>,
        batch_size: u64,
    ) -> Self {
        Self {
            source,
            target,
            batch_size: batch_size.max(1),
        }
    }

    /// Imports every row of the source.
    ///
    /// # Errors
    /// Whatever the source or the target fails with; batches stored before the failure stay
    /// stored. [`PortError::Unexpected`] when the source does not advance or the target answers
    /// for a different number of accounts than it was given.
    #[instrument(skip_all, name = "import_users")]
    pub async fn execute(&self) -> PortResult<ImportReport> {
        let mut report = ImportReport::default();
        let mut after = None;
        loop {
            let rows = self.source.batch(after, self.batch_size).await?;
            let Some(last) = rows.last().map(|row| row.id) else {
                break;
            };
            if after.is_some_and(|previous| last <= previous) {
                return Err(PortError::unexpected("the import source did not advance"));
            }
            after = Some(last);
            let full = rows.len() as u64 >= self.batch_size;
            self.import_batch(rows, &mut report).await?;
            info!(
                read = report.read,
                imported = report.imported,
                invalid = report.invalid.len(),
                "import batch stored"
            );
            if !full {
                break;
            }
        }
        Ok(report)
    }

    async fn import_batch(
        &self,
        rows: Vec<SourceUser>,
        report: &mut ImportReport,
    ) -> PortResult<()> {
        report.read += rows.len() as u64;
        let mut valid = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id;
            match validate(row) {
                Ok(user) => valid.push(user),
                Err(reason) => {
                    warn!(source_id = %id, %reason, "import: invalid row skipped");
                    report.invalid.push(InvalidRow { id, reason });
                }
            }
        }
        if valid.is_empty() {
            return Ok(());
        }
        let outcomes = self.target.insert_new(&valid).await?;
        if outcomes.len() != valid.len() {
            return Err(PortError::unexpected(
                "the import target answered for a different number of accounts",
            ));
        }
        for (user, outcome) in valid.iter().zip(outcomes) {
            match outcome {
                ImportOutcome::Imported => report.imported += 1,
                ImportOutcome::AlreadyPresent => report.already_present += 1,
                ImportOutcome::EmailTaken => {
                    warn!(source_id = %user.id, "import: email already used by another account; skipped");
                    report.email_taken.push(user.id.as_uuid());
                }
            }
        }
        Ok(())
    }
}

/// Applies Postern's rules to a source row.
fn validate(row: SourceUser) -> std::result::Result<ImportedUser, String> {
    let email = row.email.ok_or("email is missing")?;
    let email = Email::parse(&email).map_err(|error| format!("email {}", error.message))?;
    let hash = row.password_hash.ok_or("password hash is missing")?;
    let password_hash =
        PasswordHash::legacy_bcrypt(&hash).map_err(|refused| refused.to_string())?;
    let role = map_role(row.role.as_deref())?;
    let created_at = row.created_at.ok_or("created_at is missing")?;
    Ok(ImportedUser {
        id: UserId::from_uuid(row.id),
        email,
        role,
        email_verified: row.email_verified.unwrap_or(false),
        password_hash,
        created_at,
        updated_at: row.updated_at.unwrap_or(created_at),
    })
}

/// Maps a source role by name, ignoring case and surrounding spaces. An unknown role makes
/// the row invalid rather than quietly becoming `user`: demoting an administrator, or
/// promoting nobody knows whom, is a decision for the operator, who can fix the source and
/// run the import again.
fn map_role(raw: Option<&str>) -> std::result::Result<Role, String> {
    let raw = raw.ok_or("role is missing")?;
    Role::parse(&raw.trim().to_ascii_lowercase())
        .map_err(|_| format!("role {raw:?} is not user, manager or admin"))
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;
    use time::macros::datetime;

    use super::*;
    use crate::ports::{MockImportTarget, MockUserSource};

    const BCRYPT: &str = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

    fn row(n: u128, email: &str) -> SourceUser {
        SourceUser {
            id: Uuid::from_u128(n),
            email: Some(email.into()),
            password_hash: Some(BCRYPT.into()),
            role: Some("user".into()),
            email_verified: Some(true),
            created_at: Some(datetime!(2024-01-02 03:04:05 UTC)),
            updated_at: None,
        }
    }

    fn source_with(batches: Vec<Vec<SourceUser>>) -> MockUserSource {
        let mut source = MockUserSource::new();
        let mut batches = batches.into_iter();
        source
            .expect_batch()
            .returning(move |_, _| Ok(batches.next().unwrap_or_default()));
        source
    }

    fn import(source: MockUserSource, target: MockImportTarget, batch: u64) -> ImportUsers {
        ImportUsers::new(Arc::new(source), Arc::new(target), batch)
    }

    #[tokio::test]
    async fn import_counts_each_outcome_the_target_reports() {
        let source = source_with(vec![vec![
            row(1, "a@example.com"),
            row(2, "b@example.com"),
            row(3, "c@example.com"),
        ]]);
        let mut target = MockImportTarget::new();
        target.expect_insert_new().times(1).returning(|_| {
            Ok(vec![
                ImportOutcome::Imported,
                ImportOutcome::AlreadyPresent,
                ImportOutcome::EmailTaken,
            ])
        });

        let report = import(source, target, 10).execute().await.unwrap();

        assert_eq!(report.read, 3);
        assert_eq!(report.imported, 1);
        assert_eq!(report.already_present, 1);
        assert_eq!(report.email_taken, vec![Uuid::from_u128(3)]);
        assert_eq!(report.skipped(), 2);
        assert!(report.invalid.is_empty());
    }

    #[tokio::test]
    async fn import_normalises_emails_maps_roles_and_keeps_the_source_fields() {
        let mut admin = row(1, "  Ada@Example.COM ");
        admin.role = Some(" Admin ".into());
        admin.email_verified = None;
        let source = source_with(vec![vec![admin]]);
        let mut target = MockImportTarget::new();
        target
            .expect_insert_new()
            .withf(|users| {
                let user = &users[0];
                users.len() == 1
                    && user.id == UserId::from_uuid(Uuid::from_u128(1))
                    && user.email.as_str() == "ada@example.com"
                    && user.role == Role::Admin
                    && !user.email_verified
                    && user.password_hash.as_str() == BCRYPT
                    && user.updated_at == user.created_at
            })
            .times(1)
            .returning(|_| Ok(vec![ImportOutcome::Imported]));

        let report = import(source, target, 10).execute().await.unwrap();

        assert_eq!(report.imported, 1);
    }

    #[tokio::test]
    async fn invalid_rows_are_counted_with_a_reason_and_never_offered_to_the_target() {
        let mut no_email = row(2, "x@example.com");
        no_email.email = None;
        let mut argon = row(4, "d@example.com");
        argon.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
        let mut root = row(5, "e@example.com");
        root.role = Some("root".into());
        let mut undated = row(6, "f@example.com");
        undated.created_at = None;
        let source = source_with(vec![vec![
            row(1, "good@example.com"),
            no_email,
            row(3, "not-an-email"),
            argon,
            root,
            undated,
        ]]);
        let mut target = MockImportTarget::new();
        target
            .expect_insert_new()
            .withf(|users| users.len() == 1 && users[0].email.as_str() == "good@example.com")
            .times(1)
            .returning(|_| Ok(vec![ImportOutcome::Imported]));

        let report = import(source, target, 10).execute().await.unwrap();

        assert_eq!((report.read, report.imported), (6, 1));
        let reasons: Vec<_> = report.invalid.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "email is missing",
                "email must be a valid email address",
                "password hash is not a bcrypt hash",
                "role \"root\" is not user, manager or admin",
                "created_at is missing",
            ]
        );
    }

    #[tokio::test]
    async fn import_reads_batch_after_batch_from_the_last_id() {
        let mut source = MockUserSource::new();
        source
            .expect_batch()
            .with(eq(None), eq(2))
            .times(1)
            .returning(|_, _| Ok(vec![row(1, "a@example.com"), row(2, "b@example.com")]));
        source
            .expect_batch()
            .with(eq(Some(Uuid::from_u128(2))), eq(2))
            .times(1)
            .returning(|_, _| Ok(vec![row(3, "c@example.com")]));
        let mut target = MockImportTarget::new();
        target
            .expect_insert_new()
            .times(2)
            .returning(|users| Ok(vec![ImportOutcome::Imported; users.len()]));

        let report = import(source, target, 2).execute().await.unwrap();

        assert_eq!((report.read, report.imported), (3, 3));
    }

    #[tokio::test]
    async fn a_batch_of_only_invalid_rows_does_not_reach_the_target() {
        let source = source_with(vec![vec![row(1, "nope")]]);

        let report = import(source, MockImportTarget::new(), 10)
            .execute()
            .await
            .unwrap();

        assert_eq!(report.invalid.len(), 1);
    }

    #[tokio::test]
    async fn a_source_that_does_not_advance_is_an_error_not_an_endless_loop() {
        let mut source = MockUserSource::new();
        source
            .expect_batch()
            .returning(|_, _| Ok(vec![row(1, "a@example.com")]));
        let mut target = MockImportTarget::new();
        target
            .expect_insert_new()
            .returning(|_| Ok(vec![ImportOutcome::AlreadyPresent]));

        let result = import(source, target, 1).execute().await;

        assert!(
            matches!(result, Err(PortError::Unexpected(_))),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_source_failure_stops_the_import() {
        let mut source = MockUserSource::new();
        source
            .expect_batch()
            .returning(|_, _| Err(PortError::unavailable("source down")));

        let result = import(source, MockImportTarget::new(), 10).execute().await;

        assert!(matches!(result, Err(PortError::Unavailable(_))));
    }

    #[tokio::test]
    async fn import_future_is_send() {
        let import = import(source_with(vec![]), MockImportTarget::new(), 10);

        let report = tokio::spawn(async move { import.execute().await })
            .await
            .unwrap();

        assert_eq!(report.unwrap(), ImportReport::default());
    }
}
