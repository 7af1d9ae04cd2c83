//! `hubspot-workflow-ids`: translates HubSpot legacy v3 workflow IDs to v4 flow IDs and back.
//!
//! Exit status: 0 when every input got a definite result (mapped or unmapped), 1 when any
//! lookup failed, 2 for usage errors and invalid input, 130 after Ctrl-C (the results that
//! finished are still written).

mod args;
mod error;
mod input;
mod results;
mod run;

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::args::{Cli, Command, Format, MapArgs};
use crate::error::{CliError, EXIT_FAILED, EXIT_INTERRUPTED};
use crate::results::{Results, write_csv, write_json, write_table};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
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

/// Sends the client's `tracing` events to standard error, filtered by `RUST_LOG` (warnings and
/// errors when it is unset), so that `RUST_LOG=hubspot_workflow_ids=debug` shows each request.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Each HTTP attempt is a span; printing it when it closes gives one line per request.
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

async fn map(args: &MapArgs) -> Result<ExitCode, CliError> {
    let inputs = run::validate(args)?;
    let session = run::prepare(args).await?;
    // The output file is created after every setting is checked, so that a usage error leaves
    // an existing file alone, and before anything is sent, so that a bad path costs no requests.
    let mut out = open_output(args)?;
    let run = session.run(args, &inputs).await;
    write_results(args, &run.results, &mut out)?;
    eprintln!("{}", run.results.summary());
    Ok(if run.interrupted {
        eprintln!("interrupted: the inputs without a result are listed as failed");
        ExitCode::from(EXIT_INTERRUPTED)
    } else if run.results.has_failures() {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn open_output(args: &MapArgs) -> Result<Box<dyn Write>, CliError> {
    match &args.output {
        Some(path) => {
            let file = File::create(path).map_err(|source| CliError::CreateOutput {
                path: path.display().to_string(),
                source,
            })?;
            Ok(Box::new(BufWriter::new(file)))
        }
        None => Ok(Box::new(BufWriter::new(std::io::stdout()))),
    }
}

fn write_results(args: &MapArgs, results: &Results, out: &mut dyn Write) -> Result<(), CliError> {
    let written = match args.format {
        Format::Table => write_table(results, out),
        Format::Csv => write_csv(results, out),
        Format::Json => write_json(results, out),
    }
    .and_then(|()| out.flush());
    if args.format == Format::Csv {
        // CSV rows carry no reason for a failure, so the reasons go to standard error.
        for line in results.failure_lines() {
            eprintln!("{line}");
        }
    }
    match written {
        // A reader that stops early, such as `head`, closes the pipe; that is not a failure.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(CliError::WriteOutput {
            target: args.output.as_ref().map_or_else(
                || "standard output".to_owned(),
                |path| path.display().to_string(),
            ),
            source,
        }),
        Ok(()) => Ok(()),
    }
}
