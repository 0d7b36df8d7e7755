//! Where variables come from and how they become [`Settings`]: each source (the environment
//! with `.env`, the file named by `POSTERN_CONFIG_FILE`, or a test's map) is a figment
//! provider of `NAME=value` pairs; figment joins them, the earlier source winning, and
//! deserializes the result, reporting a malformed value under its variable's name.
//!
//! Values stay text until their field's type reads them: figment's own environment provider
//! would guess types from the text (so a quoted value would lose its quotes), which a secret
//! must never suffer.

use std::collections::BTreeMap;

use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use postern_core::ports::RateLimitBucket;

use super::settings::{Settings, rate_limit_variable};
use super::{CONFIG_FILE, ConfigError};

/// One source of variables, with its name for error messages. An empty value counts as
/// unset, as in most shells' `VAR=`.
pub(super) struct Variables {
    source: String,
    vars: BTreeMap<String, String>,
}

impl Variables {
    /// The pairs of `source`, those with an empty value left out.
    pub(super) fn new(
        source: impl Into<String>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        Self {
            source: source.into(),
            vars: vars
                .into_iter()
                .filter(|(_, value)| !value.trim().is_empty())
                .collect(),
        }
    }

    /// The process environment, which `.env` has filled by the time it is read.
    pub(super) fn environment() -> Self {
        let vars = std::env::vars_os().map(|(name, value)| {
            (
                name.to_string_lossy().into_owned(),
                value.to_string_lossy().into_owned(),
            )
        });
        Self::new("the environment or .env", vars)
    }

    /// The `NAME=value` lines of the file at `path` (`.env` syntax).
    ///
    /// # Errors
    /// Under [`CONFIG_FILE`], when the file cannot be read or is not such lines.
    pub(super) fn file(path: &str) -> Result<Self, ConfigError> {
        let lines = dotenvy::from_path_iter(path).map_err(|e| ConfigError {
            variable: CONFIG_FILE.to_owned(),
            problem: format!("cannot read {path}: {e}"),
        })?;
        let vars = lines
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError {
                variable: CONFIG_FILE.to_owned(),
                problem: format!("{path} is not NAME=value lines: {e}"),
            })?;
        Ok(Self::new(path, vars))
    }

    /// A variable's value, if set.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

impl Provider for Variables {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.source.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict = self
            .vars
            .iter()
            .map(|(name, value)| (name.clone(), Value::from(value.clone())))
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

/// Reads the settings from `environment` and, for what it leaves unset, from `file`. Every
/// name in the file must be a Postern variable: the file exists only for Postern, so a name
/// it does not know is a typo that would otherwise leave a default silently in force.
///
/// # Errors
/// The first malformed value, or a name in `file` that Postern does not read.
pub(super) fn read(
    environment: &Variables,
    file: Option<&Variables>,
) -> Result<Settings, ConfigError> {
    let figment = file
        .into_iter()
        .fold(Figment::from(environment), Figment::join);
    let settings: Settings = figment.extract().map_err(config_error)?;
    if let Some(file) = file
        && let Some(unknown) = file.vars.keys().find(|name| {
            settings.others.contains_key(*name)
                && !is_rate_limit_variable(name)
                && !is_provider_variable(name)
        })
    {
        return Err(ConfigError {
            variable: unknown.clone(),
            problem: format!(
                "is not a Postern variable, but {} (named by {CONFIG_FILE}) sets it",
                file.source
            ),
        });
    }
    Ok(settings)
}

fn is_rate_limit_variable(name: &str) -> bool {
    RateLimitBucket::ALL
        .into_iter()
        .any(|bucket| rate_limit_variable(bucket) == name)
}

/// `OIDC_PROVIDERS` and the `OIDC_<NAME>_*` settings of the providers it lists, whose names
/// depend on the providers' names.
fn is_provider_variable(name: &str) -> bool {
    name.starts_with("OIDC_")
}

/// Figment's error as ours: its key path is the variable, its kind the problem, and its
/// source says where the value was found.
fn config_error(error: figment::Error) -> ConfigError {
    let problem = match &error.metadata {
        Some(metadata) => format!("{} (set in {})", error.kind, metadata.name),
        None => error.kind.to_string(),
    };
    ConfigError {
        variable: error.path.join("."),
        problem,
    }
}
