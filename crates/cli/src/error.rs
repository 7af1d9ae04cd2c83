//! Errors that stop a run before or around the lookup, with their exit statuses.

use std::process::ExitCode;

use hubspot_workflow_ids::InputError;
use thiserror::Error;

use crate::input::InvalidIds;

/// Exit status when an input got no definite result.
pub const EXIT_FAILED: u8 = 1;
/// Exit status for usage errors and invalid input, as clap uses for its own.
pub const EXIT_USAGE: u8 = 2;
/// Exit status after an interrupt (Ctrl-C): 128 + SIGINT, as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, Error)]
pub enum CliError {
    #[error("{0}")]
    InvalidIds(InvalidIds),
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
    #[error("the token file {path} has no token on its first line")]
    EmptyToken { path: String },
    #[error("invalid {option}: {reason}")]
    InvalidOption { option: String, reason: String },
    #[error(
        "--fake runs against the embedded fake server, so it cannot be combined with a base URL; \
         remove --base-url or unset HUBSPOT_BASE_URL"
    )]
    FakeWithBaseUrl,
    #[error("failed to create the output file {path}: {source}")]
    CreateOutput {
        path: String,
        #[source]
        source: std::io::Error,
    },
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
    /// Converts a rejected client setting into an error that names the option that set it.
    pub fn from_setting(error: InputError) -> Self {
        match error {
            InputError::InvalidConfig { setting, reason } => {
                let option = match setting {
                    "batch_size" => "--batch-size",
                    "concurrency" => "--concurrency",
                    "attempt_timeout" => "--timeout",
                    "rate_limit" => "--rate-limit",
                    "api_version" => "--api-version",
                    "base_url" => "base URL (--base-url or HUBSPOT_BASE_URL)",
                    "access token" => "access token (HUBSPOT_ACCESS_TOKEN or --token-file)",
                    other => other,
                };
                CliError::InvalidOption {
                    option: option.to_owned(),
                    reason,
                }
            }
            other => CliError::InvalidOption {
                option: "setting".to_owned(),
                reason: other.to_string(),
            },
        }
    }

    /// Returns the exit status for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::StartFake(_) | CliError::WriteOutput { .. } => ExitCode::from(EXIT_FAILED),
            _ => ExitCode::from(EXIT_USAGE),
        }
    }
}
