//! Command-line arguments.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Environment variable that contains the access token.
pub const TOKEN_ENV: &str = "HUBSPOT_ACCESS_TOKEN";

#[derive(Debug, Parser)]
#[command(
    name = "hubspot-workflow-ids",
    version,
    about = "Translate HubSpot legacy v3 workflow IDs to v4 flow IDs, and back",
    after_help = "The access token is read from the HUBSPOT_ACCESS_TOKEN environment variable or \
                  from --token-file, never from a command-line value. Try it offline with \
                  `hubspot-workflow-ids map --fake --from workflow 1001 1002 1003`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Look up the other ID of each input ID.
    Map(MapArgs),
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// Kind of the input IDs: `workflow` (v3) IDs are translated to flow IDs, `flow` (v4) IDs to
    /// workflow IDs.
    #[arg(long, value_enum)]
    pub from: IdSource,

    /// IDs to look up, as decimal numbers.
    #[arg(value_name = "IDS")]
    pub ids: Vec<String>,

    /// File with one ID per line, or `-` for standard input. Blank lines and text after `#` are
    /// ignored.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// File to write the results to, instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Base URL of the HubSpot API [default: https://api.hubapi.com].
    #[arg(long, env = "HUBSPOT_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// File whose first line is the access token (private-app token or OAuth access token).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Version segment of the endpoint's path: `v4`, or a date version such as `2026-09-beta`.
    #[arg(long, default_value = "v4", value_name = "VERSION")]
    pub api_version: String,

    /// Maximum IDs sent in one request, from 1 to 100.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub batch_size: usize,

    /// Maximum requests in flight at once, from 1 to 64.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: usize,

    /// Maximum resends of one batch after a retryable failure (429, 5xx, timeout, reset).
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub max_retries: u32,

    /// Client-side rate limit as requests per seconds, such as `190/10`. Without it the client
    /// starts at 100 requests per 10 s, HubSpot's lowest tier, and then follows HubSpot's
    /// `X-HubSpot-RateLimit-*` headers. With --fake there is no limit.
    #[arg(long, value_name = "N/SECONDS")]
    pub rate_limit: Option<RateLimitArg>,

    /// Time limit for one HTTP attempt, in seconds.
    #[arg(long, default_value = "30", value_name = "SECONDS", value_parser = parse_seconds)]
    pub timeout: Duration,

    /// Run against an embedded fake HubSpot server with demo data: no token and no network.
    /// Cannot be combined with --base-url or HUBSPOT_BASE_URL.
    #[arg(long)]
    pub fake: bool,
}

/// Kind of the input IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdSource {
    /// v4 flow IDs, translated to v3 workflow IDs.
    Flow,
    /// Legacy v3 workflow IDs, translated to v4 flow IDs.
    Workflow,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for reading.
    Table,
    /// `input,flow_id,workflow_id,outcome` rows.
    Csv,
    /// One JSON object with mappings, unmapped inputs, failures and counters.
    Json,
}

/// `--rate-limit N/SECONDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitArg {
    pub requests: u32,
    pub interval: Duration,
}

impl FromStr for RateLimitArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage =
            || format!("invalid rate limit {text:?}; write it as REQUESTS/SECONDS, such as 190/10");
        let (requests, seconds) = text.split_once('/').ok_or_else(usage)?;
        let requests: u32 = requests.trim().parse().map_err(|_| usage())?;
        let interval = parse_seconds(seconds.trim()).map_err(|_| usage())?;
        if requests == 0 {
            return Err(format!(
                "invalid rate limit {text:?}; the request count must be at least 1"
            ));
        }
        Ok(Self { requests, interval })
    }
}

/// Parses a positive number of seconds, such as `30` or `0.5`.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("invalid duration {text:?}; give a number of seconds, such as 30"))?;
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 86_400.0 {
        return Err(format!(
            "invalid duration {text:?}; give a number of seconds greater than 0 and at most 86400"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_parses_requests_per_seconds() {
        let limit: RateLimitArg = "190/10".parse().unwrap();
        assert_eq!(limit.requests, 190);
        assert_eq!(limit.interval, Duration::from_secs(10));
    }

    #[test]
    fn rate_limit_rejects_malformed_values() {
        for text in ["190", "x/10", "190/0", "0/10", "190/-1", "/10"] {
            let error = text.parse::<RateLimitArg>().unwrap_err();
            assert!(error.contains(text), "{text}: {error}");
        }
    }

    #[test]
    fn seconds_accept_fractions() {
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_seconds("nan").is_err());
        assert!(parse_seconds("0").is_err());
    }
}
