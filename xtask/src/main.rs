//! Maintainer tasks for this workspace.
//!
//! `cargo xtask regen` normalizes `spec/workflow-id-mappings.json` with the actions listed in
//! `spec/deviations.json` and generates the low-level client and its httpmock helpers with
//! progenitor. See `cargo xtask regen --help`.

mod generate;
mod overlay;
mod regen;
mod spec;
mod summary;
mod transforms;
mod upstream;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Maintainer tasks for the HubSpot workflow ID mapping workspace")]
struct Cli {
    /// Workspace to work in; defaults to the one this xtask belongs to.
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Normalize the spec and regenerate the client and httpmock crates.
    Regen {
        /// Regenerate in memory and fail with a diff when a checked-in file is stale.
        #[arg(long)]
        check: bool,
        /// Take a whole spec file as HubSpot publishes it, write this endpoint into `spec/`, then
        /// regenerate.
        #[arg(long, value_name = "FILE", conflicts_with = "check")]
        upstream: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Regen { check, upstream } => {
            let root = cli.root.unwrap_or_else(spec::workspace_root);
            regen::run(&root, check, upstream)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
