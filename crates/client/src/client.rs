//! The client, its builder and the mapping calls.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, StreamExt};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::attempt::{CallState, Shared, run_batch};
use crate::batch::batches;
use crate::error::InputError;
use crate::id::{FlowId, Id, WorkflowId};
use crate::limiter::{self, Limiter, RateLimit};
use crate::outcome::{Outcome, Report};
use crate::progress::Progress;
use crate::retry::RetryPolicy;

/// HubSpot's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";

/// Path version of the endpoint unless [`ClientBuilder::api_version`] sets another.
pub const DEFAULT_API_VERSION: &str = "v4";

/// Most inputs HubSpot accepts in one request, and the default batch size.
pub const MAX_BATCH_SIZE: usize = 100;

/// Maximum number of batches in flight that [`ClientBuilder::concurrency`] accepts.
pub const MAX_CONCURRENCY: usize = 64;

/// `User-Agent` sent with every request: this crate's name and version.
pub const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// How long an idle pooled connection is kept. Many proxies and load balancers close idle
/// connections after 60 s; closing ours first avoids sending on a connection that the
/// other side is closing.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(50);

/// A HubSpot access token: a private-app token or an OAuth access token.
///
/// It is sent as `Authorization: Bearer <token>` and never appears in `Debug` output,
/// errors or logs.
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl From<String> for AccessToken {
    fn from(token: String) -> Self {
        Self::new(token)
    }
}

impl From<&str> for AccessToken {
    fn from(token: &str) -> Self {
        Self::new(token)
    }
}

/// Source of the HTTP client of a [`Client`].
#[derive(Debug)]
enum HttpSource {
    Builder(Box<reqwest::ClientBuilder>),
    Client(reqwest::Client),
}

/// Builder of a [`Client`]; see [`Client::builder`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    token: AccessToken,
    base_url: String,
    api_version: String,
    attempt_timeout: Duration,
    deadline: Option<Duration>,
    user_agent_prefix: Option<String>,
    http: Option<HttpSource>,
    batch_size: usize,
    concurrency: usize,
    retry: RetryPolicy,
    rate_limit: RateLimit,
}

impl ClientBuilder {
    /// Sets the base URL, `https://api.hubapi.com` by default. Tests point it at a local
    /// server.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets the version segment of the path: `v4` (the default) or a date version such as
    /// `2026-09-beta`.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// Sets the time limit of one HTTP attempt, from sending to the end of the body;
    /// 30 s by default. A timed-out attempt is retried.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Sets the time limit of a whole call, from its start; none by default. Batches not
    /// finished by then fail with [`ErrorKind::DeadlineExceeded`](crate::ErrorKind) or
    /// with the error of their last attempt.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Puts `product` (such as `my-migration/1.2`) before this crate's name and version in
    /// the `User-Agent` header.
    pub fn user_agent_prefix(mut self, product: impl Into<String>) -> Self {
        self.user_agent_prefix = Some(product.into());
        self
    }

    /// Uses a caller-configured `reqwest::ClientBuilder` (proxies, TLS roots, DNS) to build
    /// the HTTP client, with an idle-connection timeout of 50 s added.
    pub fn http_client_builder(mut self, builder: reqwest::ClientBuilder) -> Self {
        self.http = Some(HttpSource::Builder(Box::new(builder)));
        self
    }

    /// Sends every request through `client`, the caller's own `reqwest::Client`, with its
    /// connection pool, proxy and TLS settings as they are.
    ///
    /// The `Authorization` and `User-Agent` headers are added to each request, so `client`
    /// needs no default headers for them. Its own timeouts apply besides
    /// [`attempt_timeout`](Self::attempt_timeout).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(HttpSource::Client(client));
        self
    }

    /// Sets how many distinct IDs go into one request: 1 to 100, 100 by default
    /// (HubSpot's maximum).
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = size;
        self
    }

    /// Sets how many batches may be in flight at once: 1 to 64, 8 by default. The rate
    /// limiter still spaces their sends.
    pub fn concurrency(mut self, batches: usize) -> Self {
        self.concurrency = batches;
        self
    }

    /// Sets the retry settings; see [`retry`](crate::retry) for the rules.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the most retries after the first attempt of a batch; 6 by default.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// Sets the first backoff wait and its cap; 500 ms and 30 s by default.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry.initial_backoff = initial;
        self.retry.max_backoff = max;
        self
    }

    /// Turns the random extra on backoff waits on or off; on by default.
    pub fn jitter(mut self, enabled: bool) -> Self {
        self.retry.jitter = enabled;
        self
    }

    /// Sets the client-side rate limit; [`RateLimit::FromHeaders`] by default. See
    /// [`RateLimit`] for how headers adjust it.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    ///
    /// Returns [`InputError::InvalidConfig`] when a setting is out of range, the base URL or
    /// API version is malformed, the token is empty or not a valid header value, or the
    /// HTTP client cannot be built.
    pub fn build(mut self) -> Result<Client, InputError> {
        let base_url = validate_base_url(&self.base_url)?;
        validate_api_version(&self.api_version)?;
        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            return Err(invalid(
                "batch_size",
                format!("must be 1 to {MAX_BATCH_SIZE}, got {}", self.batch_size),
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(invalid(
                "concurrency",
                format!("must be 1 to {MAX_CONCURRENCY}, got {}", self.concurrency),
            ));
        }
        if self.attempt_timeout.is_zero() {
            return Err(invalid(
                "attempt_timeout",
                "must be greater than zero".into(),
            ));
        }
        if self.deadline.is_some_and(|deadline| deadline.is_zero()) {
            return Err(invalid("deadline", "must be greater than zero".into()));
        }
        if self.retry.initial_backoff > self.retry.max_backoff {
            return Err(invalid(
                "backoff",
                format!(
                    "initial wait {:?} exceeds the maximum {:?}",
                    self.retry.initial_backoff, self.retry.max_backoff
                ),
            ));
        }
        limiter::validate(self.rate_limit)?;

        let request_headers = request_headers(&self.token, self.user_agent_prefix.as_deref())?;
        let http = match self.http.take() {
            Some(HttpSource::Client(client)) => client,
            Some(HttpSource::Builder(builder)) => pooled_client(*builder)?,
            None => pooled_client(reqwest::Client::builder())?,
        };
        let path = format!(
            "/automation/{}/workflow-id-mappings/batch/read",
            self.api_version
        );
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                request_headers,
                base_url,
                api_version: self.api_version,
                path,
                batch_size: self.batch_size,
                concurrency: self.concurrency,
                attempt_timeout: self.attempt_timeout,
                deadline: self.deadline,
                retry: self.retry,
                limiter: Limiter::new(self.rate_limit),
            }),
        })
    }
}

/// Returns the headers added to every request: `Authorization`, marked sensitive so that no
/// `Debug` output shows it, and `User-Agent`.
fn request_headers(
    token: &AccessToken,
    user_agent_prefix: Option<&str>,
) -> Result<HeaderMap, InputError> {
    let token = token.0.expose_secret();
    if token.trim().is_empty() {
        return Err(invalid("access token", "is empty".into()));
    }
    // The error of `HeaderValue` is not shown, so that no part of the token leaks.
    let mut authorization = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        invalid(
            "access token",
            "contains characters that are not allowed in an HTTP header".into(),
        )
    })?;
    authorization.set_sensitive(true);

    let user_agent = match user_agent_prefix {
        Some(product) => format!("{product} {USER_AGENT}"),
        None => USER_AGENT.to_owned(),
    };
    let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
        invalid(
            "user_agent_prefix",
            format!("{user_agent:?} contains characters that are not allowed in an HTTP header"),
        )
    })?;

    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, authorization);
    headers.insert(reqwest::header::USER_AGENT, user_agent);
    Ok(headers)
}

/// Builds the HTTP client with the idle-connection timeout this crate uses.
fn pooled_client(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, InputError> {
    builder
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build()
        .map_err(|error| invalid("http_client_builder", error.to_string()))
}

fn invalid(setting: &'static str, reason: String) -> InputError {
    InputError::InvalidConfig { setting, reason }
}

fn validate_base_url(url: &str) -> Result<String, InputError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| invalid("base_url", format!("{url:?} is not a URL: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(
            "base_url",
            format!("{url:?} must start with http:// or https://"),
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid(
            "base_url",
            format!("{url:?} must not have a query or fragment"),
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn validate_api_version(version: &str) -> Result<(), InputError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_';
    if version.is_empty() || !version.chars().all(allowed) {
        return Err(invalid(
            "api_version",
            format!("{version:?} must be a path segment such as v4 or 2026-09-beta"),
        ));
    }
    Ok(())
}

/// Client of HubSpot's workflow ID mapping endpoint,
/// `POST /automation/{version}/workflow-id-mappings/batch/read`.
///
/// Cheap to clone; clones share the connection pool and the rate limiter. Each call
/// deduplicates its inputs, splits them into batches, sends the batches concurrently
/// through the rate limiter, retries what the retry rules allow, and returns one
/// [`Outcome`] per distinct input.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.shared.base_url)
            .field("api_version", &self.shared.api_version)
            .field("batch_size", &self.shared.batch_size)
            .field("concurrency", &self.shared.concurrency)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a builder with the access token and default settings.
    pub fn builder(token: impl Into<AccessToken>) -> ClientBuilder {
        ClientBuilder {
            token: token.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            attempt_timeout: Duration::from_secs(30),
            deadline: None,
            user_agent_prefix: None,
            http: None,
            batch_size: MAX_BATCH_SIZE,
            concurrency: 8,
            retry: RetryPolicy::default(),
            rate_limit: RateLimit::default(),
        }
    }

    /// Looks up the v3 workflow ID of each flow ID.
    ///
    /// Returns one outcome per distinct flow ID, in input order. Failed batches appear as
    /// [`Outcome::Failed`] and never hide the results of other batches.
    pub async fn flow_ids_to_workflow_ids<I>(&self, ids: I) -> Report<FlowId>
    where
        I: IntoIterator,
        I::Item: Into<FlowId>,
    {
        self.map_one_kind(ids.into_iter().map(Into::<FlowId>::into))
            .await
    }

    /// Looks up the v4 flow ID of each workflow ID.
    ///
    /// Returns one outcome per distinct workflow ID, in input order. Failed batches appear
    /// as [`Outcome::Failed`] and never hide the results of other batches.
    pub async fn workflow_ids_to_flow_ids<I>(&self, ids: I) -> Report<WorkflowId>
    where
        I: IntoIterator,
        I::Item: Into<WorkflowId>,
    {
        self.map_one_kind(ids.into_iter().map(Into::<WorkflowId>::into))
            .await
    }

    /// Looks up IDs of one kind and returns the report keyed by that kind.
    async fn map_one_kind<T>(&self, ids: impl Iterator<Item = T>) -> Report<T>
    where
        T: Copy + Into<Id> + TryFrom<Id>,
    {
        let report = self.map_ids(ids.map(Into::into)).await;
        convert_report(report, |id| match T::try_from(id) {
            Ok(id) => id,
            Err(_) => unreachable!("every input was of one kind, and outcomes echo inputs"),
        })
    }

    /// Looks up a mixed list of flow IDs and workflow IDs.
    ///
    /// Returns one outcome per distinct input, in input order.
    pub async fn map_ids<I>(&self, ids: I) -> Report<Id>
    where
        I: IntoIterator,
        I::Item: Into<Id>,
    {
        let ids: Vec<Id> = ids.into_iter().map(Into::into).collect();
        let progress = Progress::new();
        let stream = self.positioned(futures::stream::iter(ids), progress.clone());
        let mut outcomes: Vec<(u64, Outcome)> =
            stream.flat_map(futures::stream::iter).collect().await;
        outcomes.sort_unstable_by_key(|&(position, _)| position);
        let outcomes = outcomes.into_iter().map(|(_, outcome)| outcome).collect();
        Report::new(outcomes, progress.snapshot())
    }

    /// Streams the outcomes of a mixed input stream as batches finish.
    ///
    /// The input is pulled only as batches are formed, and outcomes are handed over as
    /// their batches finish, so results do not pile up in memory. Dropping duplicates
    /// keeps a hash set of every distinct `u64` ID seen, so memory grows with the number
    /// of distinct IDs, not with the number of results. By the table layout of std's
    /// `HashSet`, that is an estimated 10 to 21 bytes per distinct ID.
    /// Outcomes come in completion order. [`MappingStream::progress`] gives live counters.
    pub fn stream<S>(&self, ids: S) -> MappingStream
    where
        S: Stream<Item = Id> + Send + 'static,
    {
        let progress = Progress::new();
        let batches = self.positioned(ids, progress.clone());
        MappingStream {
            batches: Box::pin(batches),
            pending: Vec::new().into_iter(),
            progress,
        }
    }

    /// Streams the outcomes of an iterator of IDs; see [`Client::stream`].
    pub fn stream_iter<I>(&self, ids: I) -> MappingStream
    where
        I: IntoIterator,
        I::Item: Into<Id> + 'static,
        I::IntoIter: Send + 'static,
    {
        self.stream(futures::stream::iter(ids.into_iter().map(Into::into)))
    }

    /// Runs batches of `ids` with bounded concurrency and yields each batch's outcomes
    /// with their input positions.
    fn positioned<S>(
        &self,
        ids: S,
        progress: Progress,
    ) -> impl Stream<Item = Vec<(u64, Outcome)>> + Send + 'static
    where
        S: Stream<Item = Id> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        let deadline = shared.deadline.map(|deadline| Instant::now() + deadline);
        let concurrency = shared.concurrency;
        let call = Arc::new(CallState::default());
        batches(ids, shared.batch_size, progress.clone())
            .map(move |batch| {
                run_batch(
                    Arc::clone(&shared),
                    batch,
                    deadline,
                    progress.clone(),
                    Arc::clone(&call),
                )
            })
            .buffer_unordered(concurrency)
    }
}

fn convert_report<I: Copy>(report: Report<Id>, convert: impl Fn(Id) -> I) -> Report<I> {
    let stats = *report.stats();
    let outcomes = report
        .into_outcomes()
        .into_iter()
        .map(|outcome| outcome.map_input(&convert))
        .collect();
    Report::new(outcomes, stats)
}

/// Outcomes of finished batches, each with its input position.
type BatchOutcomes = Pin<Box<dyn Stream<Item = Vec<(u64, Outcome)>> + Send>>;

/// Stream of [`Outcome`]s returned by [`Client::stream`], in completion order.
#[must_use = "streams do nothing unless polled"]
pub struct MappingStream {
    batches: BatchOutcomes,
    pending: std::vec::IntoIter<(u64, Outcome)>,
    progress: Progress,
}

impl MappingStream {
    /// Returns the live counters of this stream; clones stay valid after it ends.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }
}

impl fmt::Debug for MappingStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappingStream")
            .field("progress", &self.progress.snapshot())
            .finish_non_exhaustive()
    }
}

impl Stream for MappingStream {
    type Item = Outcome;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Outcome>> {
        loop {
            if let Some((_, outcome)) = self.pending.next() {
                return Poll::Ready(Some(outcome));
            }
            match self.batches.as_mut().poll_next(cx) {
                Poll::Ready(Some(outcomes)) => self.pending = outcomes.into_iter(),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
