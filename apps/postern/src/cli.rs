//! The `postern` command line: `serve`, `worker`, `migrate`, `import`, `openapi`, `keys`,
//! `user` and `config`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::SecretString;

use crate::config::Config;
use crate::migrations::{self, SchemaStatus};
use crate::server::ServeOptions;
use crate::user_command::{self, UserAction};
use crate::workers::{self, WorkerKind};
use crate::{import, keys, server, telemetry, wiring};

/// Postern: authentication and user accounts.
#[derive(Parser)]
#[command(name = "postern", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and the outbox relay (and, without Redis, event handling).
    Serve {
        /// Also run the email and audit stream workers in this process (needs REDIS_URL).
        #[arg(long)]
        with_workers: bool,
    },
    /// Run stream workers: consume events from Redis until SIGTERM (needs REDIS_URL).
    Worker {
        /// Which streams to consume.
        #[arg(value_enum)]
        kind: WorkerKind,
    },
    /// Apply or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Import accounts from the system Postern replaces.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Administer accounts: create an admin, set a role.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Write the OpenAPI document.
    Openapi {
        /// Where to write it; standard output when omitted.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Manage the Ed25519 keys that sign access tokens (EdDSA).
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Inspect the configuration read from the environment, `.env` and POSTERN_CONFIG_FILE.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Subcommand, Clone, Copy)]
enum ConfigAction {
    /// Validate the configuration and print it with secrets redacted; exits 1 naming the
    /// first variable that is missing or malformed.
    Check,
}

#[derive(Subcommand)]
enum KeysAction {
    /// Write a new key pair as PEM files and print its key id and how to rotate to it.
    Generate {
        /// The directory to write jwt-private-key.pem and jwt-public-key.pem into; existing
        /// files are never overwritten.
        #[arg(long, default_value = ".")]
        out_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportSource {
    /// Copy Backlume's users (with their bcrypt hashes) into DATABASE_URL; safe to run again.
    Backlume {
        /// Backlume's PostgreSQL URL. Prefer the variable: a command-line value is visible
        /// to other users of the machine.
        #[arg(long, env = "BACKLUME_DATABASE_URL", hide_env_values = true)]
        from: SecretString,
        /// Rows read and stored per batch.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        batch_size: u64,
    },
}

#[derive(Subcommand, Clone, Copy)]
enum MigrateAction {
    /// Apply every pending migration (the default).
    Up,
    /// Roll back the last migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

impl Cli {
    /// Runs the command.
    ///
    /// # Errors
    /// Whatever stopped the command, with its context.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Openapi { output } => write_openapi(output),
            Command::Keys {
                action: KeysAction::Generate { out_dir },
            } => {
                let generated = keys::generate(&out_dir)?;
                print!("{}", keys::instructions(&generated));
                Ok(())
            }
            Command::Config {
                action: ConfigAction::Check,
            } => {
                print!("{}", Config::from_env()?.describe());
                Ok(())
            }
            Command::Serve { with_workers } => {
                let config = Config::from_env()?;
                telemetry::init(config.log_format);
                server::start_with(&config, ServeOptions { with_workers })
                    .await?
                    .run_until_signalled()
                    .await
            }
            Command::Worker { kind } => {
                let config = Config::from_env()?;
                telemetry::init(config.log_format);
                workers::start(&config, kind)
                    .await?
                    .run_until_signalled()
                    .await
            }
            Command::Import {
                source: ImportSource::Backlume { from, batch_size },
            } => {
                let config = Config::from_env()?;
                telemetry::init(config.log_format);
                let report = import::backlume(&config, &from, batch_size).await?;
                print!("{}", import::summary(&report));
                Ok(())
            }
            Command::User { action } => {
                let config = Config::from_env()?;
                telemetry::init(config.log_format);
                user_command::run(&config, action).await
            }
            Command::Migrate { action } => {
                let config = Config::from_env()?;
                telemetry::init(config.log_format);
                let answer = migrate(&config, action.unwrap_or(MigrateAction::Up)).await?;
                print!("{answer}");
                Ok(())
            }
        }
    }
}

fn write_openapi(output: Option<PathBuf>) -> anyhow::Result<()> {
    let spec = postern_http::api::service().spec() + "\n";
    match output {
        Some(path) => {
            std::fs::write(&path, spec).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            print!("{spec}");
            Ok(())
        }
    }
}

/// Runs a `migrate` action and returns its answer for standard output.
async fn migrate(config: &Config, action: MigrateAction) -> anyhow::Result<String> {
    let db = wiring::connect(config).await?;
    Ok(match action {
        MigrateAction::Up => match migrations::apply_pending(&db).await?.as_slice() {
            [] => "no pending migrations: the schema is up to date\n".to_owned(),
            applied => applied
                .iter()
                .map(|name| format!("applied  {name}\n"))
                .chain([format!(
                    "{} applied: the schema is up to date\n",
                    applied.len()
                )])
                .collect(),
        },
        MigrateAction::Down => match migrations::roll_back_last(&db).await? {
            Some(name) => format!("rolled back  {name}\n"),
            None => "no applied migrations: nothing to roll back\n".to_owned(),
        },
        MigrateAction::Status => SchemaStatus::read(&db).await?.describe(),
    })
}
