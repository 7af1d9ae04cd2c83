//! Command-line entry point that runs the fake HubSpot server until Ctrl-C or SIGTERM.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use hubspot_workflow_ids_fake::{
    DEFAULT_MAX_BATCH_SIZE, FakeHubSpot, Fault, FaultBody, FaultRule, Mappings,
};
use tracing::info;
use tracing_subscriber::EnvFilter;

/// Fake HubSpot server for POST /automation/v4/workflow-id-mappings/batch/read.
///
/// Listens on 127.0.0.1 and prints its base URL on stdout. Logs go to stderr, filtered by
/// RUST_LOG (default: info), in colour only when stderr is a terminal. Requests that get a
/// fault or an error status are logged at info level, with repeats counted.
#[derive(Debug, Parser)]
#[command(name = "hubspot-fake", version)]
struct Args {
    /// Port to listen on at 127.0.0.1. With 0, the operating system chooses a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Token to accept with the automation scope. Repeat the option for more tokens. Without
    /// --token and --token-without-scope, every bearer token is accepted.
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,

    /// Token to accept without the automation scope, so that its requests get 403.
    #[arg(long = "token-without-scope", value_name = "TOKEN")]
    tokens_without_scope: Vec<String>,

    /// CSV file with the header workflowId,flowId, or JSON file with an array of
    /// {"workflowId": …, "flowId": …} objects, to serve in place of the demo data.
    #[arg(long, value_name = "FILE", conflicts_with = "generate")]
    data: Option<PathBuf>,

    /// Number of random pairs to generate from --seed and serve in place of the demo data.
    #[arg(long, value_name = "COUNT")]
    generate: Option<usize>,

    /// Seed for generated pairs, result order, fault rates and correlation IDs.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,

    /// Rolling rate limit per token, as maximum requests per window of whole seconds, such as
    /// 190/10.
    #[arg(long, value_name = "N/SECONDS", value_parser = parse_rate_limit)]
    rate_limit: Option<RateLimit>,

    /// Maximum requests per token per UTC day.
    #[arg(long, value_name = "N")]
    daily_limit: Option<u64>,

    /// Send a Retry-After header, in seconds, with 429 responses.
    #[arg(long)]
    retry_after: bool,

    /// Maximum number of inputs in one batch. Larger batches get 400.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_BATCH_SIZE)]
    max_batch_size: usize,

    /// Fault to inject: an HTTP status code such as 500, 502, 503, 504 or 524, or one of
    /// reset, truncated or hang. Without --fault-rate or --fault-at, every request gets it.
    #[arg(long, value_name = "KIND", value_parser = parse_fault_kind)]
    fault: Option<FaultKind>,

    /// Probability from 0 to 1 that a request gets the --fault.
    #[arg(long, value_name = "P", requires = "fault", value_parser = parse_probability)]
    fault_rate: Option<f64>,

    /// Comma-separated request numbers, counted from 1, that get the --fault.
    #[arg(
        long,
        value_name = "N,…",
        value_delimiter = ',',
        requires = "fault",
        conflicts_with = "fault_rate"
    )]
    fault_at: Vec<u64>,

    /// Body of status faults.
    #[arg(long, value_enum, value_name = "KIND", default_value_t = FaultBodyKind::Json)]
    fault_body: FaultBodyKind,

    /// Delay in milliseconds added to every authenticated request.
    #[arg(long, value_name = "MS")]
    latency_ms: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct RateLimit {
    max_requests: u32,
    interval: Duration,
}

#[derive(Debug, Clone, Copy)]
enum FaultKind {
    Status(u16),
    Reset,
    Truncated,
    Hang,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FaultBodyKind {
    Json,
    Html,
    Empty,
}

fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    let (max_requests, seconds) = text
        .split_once('/')
        .ok_or_else(|| format!("invalid rate limit {text:?}, expected N/SECONDS such as 190/10"))?;
    let max_requests = max_requests
        .trim()
        .parse()
        .map_err(|error| format!("invalid maximum requests {max_requests:?}: {error}"))?;
    let seconds: u64 = seconds
        .trim()
        .parse()
        .map_err(|error| format!("invalid window length {seconds:?}: {error}"))?;
    if seconds == 0 {
        return Err("invalid window length 0, expected at least 1 second".to_owned());
    }
    Ok(RateLimit {
        max_requests,
        interval: Duration::from_secs(seconds),
    })
}

fn parse_probability(text: &str) -> Result<f64, String> {
    let probability: f64 = text
        .parse()
        .map_err(|error| format!("invalid probability {text:?}: {error}"))?;
    if !(0.0..=1.0).contains(&probability) {
        return Err(format!(
            "invalid probability {probability}, expected a number from 0 to 1"
        ));
    }
    Ok(probability)
}

fn parse_fault_kind(text: &str) -> Result<FaultKind, String> {
    match text {
        "reset" => Ok(FaultKind::Reset),
        "truncated" => Ok(FaultKind::Truncated),
        "hang" => Ok(FaultKind::Hang),
        _ => match text.parse::<u16>() {
            Ok(status) if (100..=999).contains(&status) => Ok(FaultKind::Status(status)),
            _ => Err(format!(
                "invalid fault {text:?}, expected a status code such as 503, or reset, \
                 truncated or hang"
            )),
        },
    }
}

impl Args {
    fn mappings(&self) -> anyhow::Result<Mappings> {
        if let Some(path) = &self.data {
            return Mappings::from_file(path)
                .with_context(|| format!("failed to load mappings from {}", path.display()));
        }
        if let Some(count) = self.generate {
            return Ok(Mappings::generated(self.seed, count));
        }
        Ok(Mappings::demo())
    }

    fn fault_rules(&self) -> Vec<FaultRule> {
        let mut rules = Vec::new();
        if let Some(kind) = self.fault {
            let fault = match kind {
                FaultKind::Status(status) => Fault::Status {
                    status,
                    body: match self.fault_body {
                        FaultBodyKind::Json => FaultBody::Json,
                        FaultBodyKind::Html => FaultBody::Html,
                        FaultBodyKind::Empty => FaultBody::Empty,
                    },
                },
                FaultKind::Reset => Fault::Reset,
                FaultKind::Truncated => Fault::Truncated,
                FaultKind::Hang => Fault::Hang,
            };
            let rule = if let Some(probability) = self.fault_rate {
                FaultRule::rate(probability, fault)
            } else if !self.fault_at.is_empty() {
                FaultRule::at_requests(self.fault_at.iter().copied(), fault)
            } else {
                FaultRule::always(fault)
            };
            rules.push(rule);
        }
        if let Some(latency_ms) = self.latency_ms {
            let latency = Fault::Latency(Duration::from_millis(latency_ms));
            // Latency rules go first because checking stops at the first other fault.
            rules.insert(0, FaultRule::always(latency));
        }
        rules
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Colour codes would end up as raw escape sequences in a redirected log.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let args = Args::parse();

    let mut builder = FakeHubSpot::builder()
        .mappings(args.mappings()?)
        .seed(args.seed)
        .port(args.port)
        .retry_after(args.retry_after)
        .max_batch_size(args.max_batch_size);
    for token in &args.tokens {
        builder = builder.token(token);
    }
    for token in &args.tokens_without_scope {
        builder = builder.token_without_scope(token);
    }
    if let Some(limit) = args.rate_limit {
        builder = builder.rate_limit(limit.max_requests, limit.interval);
    }
    if let Some(max_requests) = args.daily_limit {
        builder = builder.daily_limit(max_requests);
    }
    for rule in args.fault_rules() {
        builder = builder.fault(rule);
    }

    let server = builder
        .start()
        .await
        .with_context(|| format!("failed to listen on 127.0.0.1:{}", args.port))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", server.url()).context("failed to write the URL to stdout")?;
    stdout
        .flush()
        .context("failed to write the URL to stdout")?;
    drop(stdout);

    wait_for_stop_signal().await?;
    info!("stop signal received, shutting down");
    let counters = server.counters();
    server.shutdown().await;
    info!(
        requests = counters.requests,
        rate_limited = counters.rate_limited,
        faults_injected = counters.faults_injected,
        "served"
    );
    Ok(())
}

#[cfg(unix)]
async fn wait_for_stop_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};

    let mut terminate = signal(SignalKind::terminate()).context("failed to listen for SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("failed to listen for Ctrl-C"),
        _ = terminate.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_stop_signal() -> anyhow::Result<()> {
    tokio::signal::ctrl_c()
        .await
        .context("failed to listen for Ctrl-C")
}
