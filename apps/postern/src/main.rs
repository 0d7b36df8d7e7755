//! The `postern` binary.

use std::process::ExitCode;

use clap::Parser;
use postern::cli::Cli;
use postern::failure;

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("postern: {}", failure::one_line(&error));
            ExitCode::FAILURE
        }
    }
}
