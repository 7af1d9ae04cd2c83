//! `hubspot-workflow-ids`: translates HubSpot legacy v3 workflow IDs to v4 flow IDs and back.
//!
//! Exit status: 0 when every input got a definite result (mapped or unmapped), 1 when any
//! lookup failed, 2 for usage errors and invalid input.

mod args;
mod error;
mod input;
mod results;
mod run;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command, Format, MapArgs};
use crate::error::{CliError, EXIT_FAILED};
use crate::results::{Results, write_csv, write_json, write_table};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: failed to start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let Command::Map(args) = cli.command;
    match runtime.block_on(map(&args)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

async fn map(args: &MapArgs) -> Result<ExitCode, CliError> {
    let results = run::map(args).await?;
    write_results(args, &results)?;
    eprintln!("{}", results.summary());
    Ok(if results.has_failures() {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_results(args: &MapArgs, results: &Results) -> Result<(), CliError> {
    let target = args.output.as_ref().map_or_else(
        || "standard output".to_owned(),
        |path| path.display().to_string(),
    );
    let write_error = |source| CliError::WriteOutput {
        target: target.clone(),
        source,
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(File::create(path).map_err(write_error)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    match args.format {
        Format::Table => write_table(results, &mut out),
        Format::Csv => write_csv(results, &mut out),
        Format::Json => write_json(results, &mut out),
    }
    .and_then(|()| out.flush())
    .map_err(write_error)
}
