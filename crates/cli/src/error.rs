//! Errors that stop a run before or around the lookup, with their exit statuses.

use std::process::ExitCode;

use hubspot_workflow_ids::InputError;
use thiserror::Error;

use crate::input::Location;

/// Exit status when an input got no definite answer.
pub const EXIT_FAILED: u8 = 1;
/// Exit status for usage errors and invalid input, as clap uses for its own.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Error)]
pub enum CliError {
    #[error("invalid ID on {location}: {source}")]
    InvalidId {
        location: Location,
        #[source]
        source: InputError,
    },
    #[error("failed to read {path}: {source}")]
    ReadInput {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no IDs given; pass them as arguments or with --input FILE (`-` reads standard input)")]
    NoInput,
    #[error(
        "no access token; set {env} or pass --token-file FILE, or add --fake to run offline",
        env = crate::args::TOKEN_ENV
    )]
    MissingToken,
    #[error("failed to read the token file {path}: {source}")]
    ReadToken {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the token file {path} is empty")]
    EmptyToken { path: String },
    #[error("invalid setting: {0}")]
    InvalidConfig(#[source] InputError),
    #[error("failed to start the embedded fake server: {0}")]
    StartFake(#[source] std::io::Error),
    #[error("failed to write {target}: {source}")]
    WriteOutput {
        target: String,
        #[source]
        source: std::io::Error,
    },
}

impl CliError {
    /// Returns the exit status for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::StartFake(_) | CliError::WriteOutput { .. } => ExitCode::from(EXIT_FAILED),
            _ => ExitCode::from(EXIT_USAGE),
        }
    }
}
