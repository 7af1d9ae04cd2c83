//! Fake HubSpot server for `POST /automation/v4/workflow-id-mappings/batch/read`, the
//! endpoint that translates legacy v3 workflow IDs to v4 flow IDs and back.
//!
//! The server runs in-process on 127.0.0.1, for offline use and for tests of clients. It
//! responds in HubSpot's wire format and can add HubSpot's failure modes on demand:
//! missing scopes, validation errors, rolling and daily rate limits, 5xx responses, connection
//! resets, truncated bodies, latency and requests that never get a response. All randomness
//! comes from one seeded generator, so a client that sends its requests one at a time gets
//! the same result order, faults and correlation IDs on every run.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use hubspot_workflow_ids_fake::{FakeHubSpot, Fault, FaultBody, FaultRule, Mappings};
//!
//! # async fn example() -> std::io::Result<()> {
//! let server = FakeHubSpot::builder()
//!     .token("demo-token")
//!     .token_without_scope("no-scope-token")
//!     .mappings(Mappings::demo())
//!     .rate_limit(190, Duration::from_secs(10))
//!     .daily_limit(250_000)
//!     .fault(FaultRule::rate(0.2, Fault::Status { status: 503, body: FaultBody::Html }))
//!     .fault(FaultRule::at_requests([3, 7], Fault::Reset))
//!     .seed(42)
//!     .start()
//!     .await?;
//!
//! let url = server.url(); // such as http://127.0.0.1:41234
//! // ... point a client at `url` and send requests ...
//! let counters = server.counters();
//! println!("{url}: {} requests, {} faults", counters.requests, counters.faults_injected);
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Demo data
//!
//! [`Mappings::demo`], the default data set and the one of the `hubspot-fake` binary without
//! `--data` or `--generate`, contains these pairs:
//!
//! | workflow ID | flow ID | why it is there |
//! |---|---|---|
//! | 1001 | 250000001 | an ordinary pair |
//! | 1002 | 2147483648 | 2^31, one more than `i32::MAX` |
//! | 1003 | 9007199254740993 | 2^53 + 1, which a double cannot represent |
//! | 1004 | none | unmapped |
//! | 1005 | 4294967297 | 2^32 + 1 |
//! | 1006 | 600000006 | an ordinary pair |
//! | 1007 | none | unmapped |
//! | 1008 | 1700000008 | an ordinary pair |
//! | 1009 | 3141592653 | above 2^31 |
//! | 1010 | 9223372036854775807 | `i64::MAX` |
//!
//! Any other ID, such as flow ID 999, is unmapped too.
//!
//! # Wire behaviour
//!
//! The server answers `POST /automation/{version}/workflow-id-mappings/batch/read`, where
//! `{version}` is `v4` or a date version such as `2026-09` or `2026-09-beta`. Other paths get
//! 404 and other methods 405. Only HTTP/1.1 is served.
//!
//! Each request goes through these steps, and the first one that rejects it decides the
//! response:
//!
//! 1. **Authentication.** A missing `Authorization: Bearer` header or an unknown token gets
//!    401 `INVALID_AUTHENTICATION`. A token added with
//!    [`FakeHubSpotBuilder::token_without_scope`] gets 403 `MISSING_SCOPES`. When no token
//!    is configured, every bearer token is accepted.
//! 2. **Faults.** Each [`Fault::Latency`] rule that fires delays the request and lets it
//!    continue. The first rule with another fault that fires replaces the response, and the
//!    request does not count against the rate limits.
//! 3. **Rate limits,** per token. A request over the daily cap gets 429 with policy `DAILY`,
//!    and one over the rolling window gets 429 with policy `TEN_SECONDLY_ROLLING`. Rejected
//!    requests do not count against either limit. `Retry-After` is sent only when
//!    [`FakeHubSpotBuilder::retry_after`] enables it.
//! 4. **Validation.** Malformed JSON, a missing or non-array `inputs`, more inputs than the
//!    maximum (default 100), or an input with a missing or unknown `type`, or a missing,
//!    non-string, non-decimal or negative ID gets 400 `VALIDATION_ERROR` for the whole batch.
//!    The message names the first problem and the index of the input.
//! 5. **Lookup.** Identical inputs are answered once. If every input maps, the response is
//!    200 with `status`, `results`, `startedAt`, `completedAt` and `requestedAt`. Otherwise
//!    it is 207 with `numErrors` and `errors` added: one `OBJECT_NOT_FOUND` error for the
//!    missed flow IDs and one for the missed workflow IDs, each listing them as decimal
//!    strings under `context.ids`. Results come in a shuffled order, and IDs are JSON
//!    integers of up to `i64::MAX` ([`MAX_ID`]), sent without loss of precision. An empty `inputs` array gets 200 with no results.
//!
//! Each request that gets an injected fault or an error status is logged at info level with
//! its status, fault, token index (never the token) and correlation ID. Repeats of one
//! status and fault are counted, and only the 1st, 2nd, 4th, 8th and later power-of-two
//! occurrences, or the first after 10 s without a line, are logged. Each line carries the
//! total count and the number of occurrences left out since the previous line.
//!
//! Every response from the endpoint carries `X-HubSpot-Correlation-Id`, which matches the
//! `correlationId` of JSON error bodies. Responses to a known token carry
//! `X-HubSpot-RateLimit-Max`, `-Remaining` and `-Interval-Milliseconds` when a rolling limit
//! is configured, and `X-HubSpot-RateLimit-Daily` and `-Daily-Remaining` when a daily cap is.

#![deny(missing_docs)]

mod counters;
mod fault;
mod handler;
mod mappings;
mod rate_limit;
mod request_log;
mod server;
mod wire;

pub use counters::{Counters, TokenCounters};
pub use fault::{Fault, FaultBody, FaultRule};
pub use mappings::{MAX_ID, Mapping, Mappings, MappingsError};
pub use server::{DEFAULT_MAX_BATCH_SIZE, FakeHubSpot, FakeHubSpotBuilder};

/// Compiles the README's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Path of the endpoint at API version `v4`.
pub const ENDPOINT_PATH: &str = "/automation/v4/workflow-id-mappings/batch/read";
