//! Running `map`: set up the client (and the embedded fake server), stream the lookups, and
//! gather the results.

use std::io::IsTerminal;
use std::path::Path;

use futures::StreamExt;
use hubspot_workflow_ids::{AccessToken, Client, DEFAULT_BASE_URL, IdKind, RateLimit};
use hubspot_workflow_ids_fake::{FakeHubSpot, Mappings};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::{IdSource, MapArgs, TOKEN_ENV};
use crate::error::CliError;
use crate::input::{Inputs, read_inputs};
use crate::results::{Results, Stats};

/// Token the embedded fake server accepts in `--fake` runs.
const FAKE_TOKEN: &str = "fake-demo-token";

/// Results of a run, and whether an interrupt cut it short.
pub struct Run {
    pub results: Results,
    pub interrupted: bool,
}

/// Checks the options and the input IDs, so that nothing is sent when any of them is invalid.
pub fn validate(args: &MapArgs) -> Result<Inputs, CliError> {
    if args.fake && args.base_url.is_some() {
        return Err(CliError::FakeWithBaseUrl);
    }
    let kind = match args.from {
        IdSource::Flow => IdKind::Flow,
        IdSource::Workflow => IdKind::Workflow,
    };
    read_inputs(kind, &args.ids, args.input.as_deref())
}

/// A client ready to send, and the embedded fake server it talks to in `--fake` runs.
pub struct Session {
    client: Client,
    fake: Option<FakeHubSpot>,
}

/// Starts the fake server if asked, reads the token and builds the client, so that every
/// setting is checked before the output file is touched or anything is sent.
pub async fn prepare(args: &MapArgs) -> Result<Session, CliError> {
    let (fake, base_url, token) = if args.fake {
        let server = FakeHubSpot::builder()
            .token(FAKE_TOKEN)
            .mappings(Mappings::demo())
            .start()
            .await
            .map_err(CliError::StartFake)?;
        let url = server.url();
        (Some(server), url, AccessToken::new(FAKE_TOKEN))
    } else {
        let base_url = args
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        (None, base_url, read_token(args.token_file.as_deref())?)
    };

    let rate_limit = match args.rate_limit {
        Some(limit) => RateLimit::PerInterval {
            requests: limit.requests,
            interval: limit.interval,
        },
        // The embedded fake server has no rate limit, so waiting for one would only slow the
        // demo down.
        None if args.fake => RateLimit::None,
        None => RateLimit::FromHeaders,
    };
    let client = Client::builder(token)
        .base_url(base_url)
        .api_version(args.api_version.clone())
        .batch_size(args.batch_size)
        .concurrency(args.concurrency)
        .max_retries(args.max_retries)
        .attempt_timeout(args.timeout)
        .rate_limit(rate_limit)
        .user_agent_prefix(concat!(
            "hubspot-workflow-ids-cli/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .map_err(CliError::from_setting);
    match client {
        Ok(client) => Ok(Session { client, fake }),
        Err(error) => {
            if let Some(server) = fake {
                server.shutdown().await;
            }
            Err(error)
        }
    }
}

impl Session {
    /// Runs every lookup of `inputs` and returns the results, one row per distinct input.
    pub async fn run(self, args: &MapArgs, inputs: &Inputs) -> Run {
        let run = lookup(&self.client, args, inputs).await;
        if let Some(server) = self.fake {
            server.shutdown().await;
        }
        run
    }
}

async fn lookup(client: &Client, args: &MapArgs, inputs: &Inputs) -> Run {
    let unique = &inputs.unique;
    let mut stream = client.stream_iter(inputs.ids.clone());
    let progress = stream.progress();
    let bar = progress_bar(unique.len(), args.batch_size);
    let mut outcomes = Vec::with_capacity(unique.len());

    // On Ctrl-C, stop sending and write what has finished: the inputs still in flight are
    // reported as failed, so that the output accounts for every input.
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let mut interrupted = false;
    loop {
        tokio::select! {
            outcome = stream.next() => {
                let Some(outcome) = outcome else { break };
                outcomes.push(outcome);
            }
            _ = &mut interrupt => {
                interrupted = true;
                break;
            }
        }
        if let Some(bar) = &bar {
            let snapshot = progress.snapshot();
            bar.set_position(snapshot.ids_done);
            bar.set_message(format!(
                "{} retries, {} rate-limited",
                snapshot.retries, snapshot.rate_limited
            ));
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

    let missing = if interrupted {
        "interrupted before a result arrived; run again for these inputs"
    } else {
        "the client returned no outcome for these inputs"
    };
    let mut stats = Stats::from(&progress.snapshot());
    // The stream counts only the IDs it pulled, which after an interrupt is not all of them.
    stats.inputs = inputs.ids.len() as u64;
    stats.unique_inputs = unique.len() as u64;
    Run {
        results: Results::collect(unique, outcomes, stats, missing),
        interrupted,
    }
}

/// Returns a progress bar on standard error when it is a terminal and the run has more than one
/// batch.
fn progress_bar(unique: usize, batch_size: usize) -> Option<ProgressBar> {
    if unique <= batch_size || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(unique as u64), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} IDs, {elapsed} ({msg})")
        .expect("the template is valid");
    bar.set_style(style);
    Some(bar)
}

/// Reads the token from `--token-file`, or else from the environment.
fn read_token(file: Option<&Path>) -> Result<AccessToken, CliError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadToken {
            path: path.display().to_string(),
            source,
        })?;
        let token = text.lines().next().unwrap_or("").trim();
        if token.is_empty() {
            return Err(CliError::EmptyToken {
                path: path.display().to_string(),
            });
        }
        return Ok(AccessToken::new(token));
    }
    match std::env::var(TOKEN_ENV) {
        Ok(token) if !token.trim().is_empty() => Ok(AccessToken::new(token.trim())),
        _ => Err(CliError::MissingToken),
    }
}
