//! How a failed command is reported: one line, each cause once. Database errors repeat their
//! cause's text in their own (`Query Error: error returned from database: X: X`), and
//! PostgreSQL's carry the line of the server's C source that raised them; an operator needs
//! neither.

use std::error::Error;

use sea_orm::{RuntimeErr, sqlx};

/// `error` and its causes, outermost first, joined by `: `, each cause's text said once.
pub fn one_line(error: &anyhow::Error) -> String {
    let causes: Vec<&(dyn Error + 'static)> = error.chain().collect();
    let texts: Vec<String> = causes.iter().map(ToString::to_string).collect();
    let mut parts = Vec::with_capacity(causes.len());
    for (index, cause) in causes.iter().enumerate() {
        let own = match texts.get(index + 1) {
            Some(inner) => own_text(&texts[index], inner),
            None => innermost_text(*cause),
        };
        if !own.is_empty() {
            parts.push(own);
        }
    }
    parts.join(": ")
}

/// What `outer` says beyond `inner`, when it ends by repeating it.
fn own_text(outer: &str, inner: &str) -> String {
    outer
        .strip_suffix(inner)
        .map_or(outer, |own| own.trim_end_matches([':', ' ']))
        .to_owned()
}

/// The database's own message (PostgreSQL's without its source line); any other cause as it
/// says. SeaORM ends a chain at its `RuntimeErr`, which hides the driver's error as a field.
fn innermost_text(cause: &(dyn Error + 'static)) -> String {
    let driver = match cause.downcast_ref::<RuntimeErr>() {
        Some(RuntimeErr::SqlxError(driver)) => Some(driver.as_ref()),
        _ => cause.downcast_ref::<sqlx::Error>(),
    };
    driver.and_then(sqlx::Error::as_database_error).map_or_else(
        || cause.to_string(),
        |database| database.message().to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("Connection Error: {0}")]
    struct Repeating(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("pool timed out while waiting for an open connection")]
    struct Inner;

    #[test]
    fn a_cause_repeated_by_its_wrapper_is_said_once() {
        let error = anyhow::Error::new(Repeating(Inner)).context("connecting to the database");

        assert_eq!(
            one_line(&error),
            "connecting to the database: Connection Error: pool timed out while waiting for an \
             open connection"
        );
    }

    #[test]
    fn causes_that_do_not_repeat_each_other_are_all_kept() {
        let error = anyhow::anyhow!("refused")
            .context("reading")
            .context("starting");

        assert_eq!(one_line(&error), "starting: reading: refused");
    }
}
