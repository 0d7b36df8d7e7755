//! The `postern` binary.

use std::process::ExitCode;

use clap::Parser;
use postern::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("postern: {error:#}");
            ExitCode::FAILURE
        }
    }
}
