//! Maps HubSpot's legacy v3 workflow IDs to v4 flow IDs and back, through
//! `POST /automation/v4/workflow-id-mappings/batch/read`, for any number of IDs.
//!
//! One call takes all the IDs and drops duplicates. It sends them in batches of up to 100
//! (the endpoint's maximum) with bounded concurrency, through a rate limiter shared by every
//! call of the client, and retries the failures that a second try can fix. It returns one
//! [`Outcome`] per distinct input: mapped, unmapped, or failed with its [`Error`]. Results
//! are matched to inputs by ID and kind, never by position, and a failed batch never costs
//! the results of other batches.
//!
//! ```no_run
//! use hubspot_workflow_ids::{Client, HubSpotTier, RateLimit, WorkflowId};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder(std::env::var("HUBSPOT_ACCESS_TOKEN")?)
//!     .rate_limit(RateLimit::Tier(HubSpotTier::ProfessionalOrEnterprise))
//!     .build()?;
//!
//! // IDs from a file or database arrive as text. Parsing rejects bad ones before any
//! // request is sent, and the error names the value.
//! let ids: Vec<WorkflowId> = ["1001", "1002", "2147483648"]
//!     .iter()
//!     .map(|text| text.parse())
//!     .collect::<Result<_, _>>()?;
//!
//! let report = client.workflow_ids_to_flow_ids(ids).await;
//! for (workflow_id, mapping) in report.mapped() {
//!     println!("workflow {workflow_id} is flow {}", mapping.flow_id);
//! }
//! for workflow_id in report.unmapped() {
//!     println!("workflow {workflow_id} has no flow");
//! }
//! for error in report.errors() {
//!     eprintln!("{error} for {} IDs, correlation ID {:?}", error.inputs().len(), error.correlation_id());
//! }
//! let stats = report.stats();
//! println!("{} requests, {} retries, {} rate limited", stats.requests, stats.retries, stats.rate_limited);
//! # Ok(())
//! # }
//! ```
//!
//! For millions of IDs, [`Client::stream`] pulls the input lazily and yields outcomes as
//! batches finish, and [`MappingStream::progress`] gives live counters:
//!
//! ```no_run
//! use futures::StreamExt;
//! use hubspot_workflow_ids::{Client, FlowId, Id};
//!
//! # async fn example(client: Client) {
//! let ids = (1..=1_000_000_u32).map(|n| Id::Flow(FlowId::from(n)));
//! let mut outcomes = client.stream_iter(ids);
//! let progress = outcomes.progress();
//! while let Some(outcome) = outcomes.next().await {
//!     // Write the outcome somewhere; `progress.snapshot()` can be read from any task.
//! #   let _ = outcome;
//! }
//! println!("{:?}", progress.snapshot());
//! # }
//! ```
//!
//! # Retries
//!
//! The endpoint only reads, so resending the POST is safe, and every resend carries the
//! byte-identical JSON body. 429 (except under the `DAILY` policy), 5xx, timeouts, reset
//! connections and cut-off bodies are retried; 400, 401, 403 and 404 never are. After a
//! `DAILY` 429, a 401 or a 403 `MISSING_SCOPES`, which every later request would get too, the
//! call sends nothing more, and its unsent batches fail with a copy of that error. The
//! [`retry`] module states the rules and the waits.
//!
//! # Rate limiting
//!
//! A GCRA limiter spaces requests to the configured [`RateLimit`], follows HubSpot's
//! `X-HubSpot-RateLimit-*` headers, and after a 429 pauses every batch until the wait it
//! implies is over. [`RateLimit`] states the rules.
//!
//! # Logging
//!
//! Each HTTP attempt runs in a `tracing` span `hubspot_request` at debug level with the
//! method, path, status, attempt number, batch size, duration and HubSpot's correlation
//! ID. Retry decisions and limiter waits are logged at debug. Nothing is logged above
//! `warn`, and neither the access token nor whole bodies are logged.

#![deny(missing_docs)]

mod attempt;
mod batch;
mod classify;
mod client;
mod error;
mod id;
mod limiter;
mod outcome;
mod progress;
pub mod retry;

pub use client::{
    AccessToken, Client, ClientBuilder, DEFAULT_API_VERSION, DEFAULT_BASE_URL, MAX_BATCH_SIZE,
    MAX_CONCURRENCY, MappingStream, USER_AGENT,
};
pub use error::{Error, ErrorKind, InputError, InvalidIdReason};
pub use id::{FlowId, Id, IdKind, WorkflowId};
pub use limiter::{HubSpotTier, RateLimit, SAFETY_MARGIN};
pub use outcome::{Mapping, Outcome, Report};
pub use progress::{Progress, ProgressSnapshot};
