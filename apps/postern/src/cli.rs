//! The `postern` command line: `serve`, `worker`, `migrate`, `openapi` and `user`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use postern_migration::{Migrator, MigratorTrait};

use crate::config::Config;
use crate::server::ServeOptions;
use crate::user_command::{self, UserAction};
use crate::workers::{self, WorkerKind};
use crate::{http, server, telemetry, wiring};

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
            Command::User { action } => {
                let config = Config::from_env()?;
                telemetry::init(config.log_format);
                user_command::run(&config, action).await
            }
            Command::Migrate { action } => {
                let config = Config {
                    migrate_on_start: false,
                    ..Config::from_env()?
                };
                telemetry::init(config.log_format);
                migrate(&config, action.unwrap_or(MigrateAction::Up)).await
            }
        }
    }
}

fn write_openapi(output: Option<PathBuf>) -> anyhow::Result<()> {
    let spec = http::api::service().spec() + "\n";
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

async fn migrate(config: &Config, action: MigrateAction) -> anyhow::Result<()> {
    let db = wiring::database(config).await?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await?,
        MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
        MigrateAction::Status => Migrator::status(&db).await?,
    }
    Ok(())
}
