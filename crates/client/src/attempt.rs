//! Sending one batch: rate limiting, HTTP attempts with retries, and attribution.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hubspot_workflow_ids_api::{RequestHooks, ResponseValue, types};
use reqwest::header::HeaderMap;
use tokio::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

use crate::batch::{Batch, attribute, request_body};
use crate::classify::{classify, item_error};
use crate::error::{CORRELATION_ID_HEADER, Error, ErrorKind};
use crate::limiter::Limiter;
use crate::outcome::Outcome;
use crate::progress::Progress;
use crate::retry::{self, Decision, RetryPolicy};

/// Successful response of the generated client.
type Answer = ResponseValue<types::BatchReadWorkflowIdMappingsResponse>;

/// Settings and state shared by every call of one client.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    /// `Authorization` and `User-Agent`, added to every request by the generated client's hook.
    pub(crate) request_headers: HeaderMap,
    pub(crate) base_url: String,
    pub(crate) api_version: String,
    /// Request path with the API version filled in, for logs.
    pub(crate) path: String,
    pub(crate) batch_size: usize,
    pub(crate) concurrency: usize,
    pub(crate) attempt_timeout: Duration,
    pub(crate) deadline: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) limiter: Limiter,
}

/// State of one call that its batches share.
#[derive(Debug, Default)]
pub(crate) struct CallState {
    /// Copy of the call's first error that no later request can avoid: a 429 under the
    /// `DAILY` policy (until HubSpot's daily reset), a 401 (the token is not accepted), or a
    /// 403 `MISSING_SCOPES` (the token lacks the scope). Once it is set, no batch of the call
    /// sends another request.
    stop: OnceLock<Error>,
}

impl CallState {
    /// Returns the error for a batch that stops because an earlier request of the call got
    /// an error that every request would get, or `None` while none has.
    fn stop_error(&self, attempts: u32) -> Option<Error> {
        let first = self.stop.get()?;
        let mut error = Error::not_sent_after(first);
        error.set_attempts(attempts);
        Some(error)
    }

    /// Records `error` if it is the call's first error that every later request would get.
    fn observe(&self, error: &Error) {
        let stops_call = match error.kind() {
            ErrorKind::RateLimited => error.policy_name() == Some(retry::DAILY_POLICY),
            ErrorKind::Authentication | ErrorKind::MissingScopes => true,
            _ => false,
        };
        if stops_call {
            self.stop.get_or_init(|| Error::not_sent_after(error));
        }
    }
}

/// Sends one batch and returns an outcome for each of its inputs, with its position.
///
/// A batch that fails after its retries gives every input a [`Outcome::Failed`] that shares
/// one error. Its failure affects other batches only when it is a `DAILY` 429, because
/// then the batches of the call that have not sent yet fail without sending.
pub(crate) async fn run_batch(
    shared: Arc<Shared>,
    batch: Batch,
    deadline: Option<Instant>,
    progress: Progress,
    call: Arc<CallState>,
) -> Vec<(u64, Outcome)> {
    let inputs = batch.ids();
    let body = request_body(&batch);

    let sent = send_with_retries(&shared, &body, inputs.len(), deadline, &progress, &call).await;
    let outcomes = match sent {
        Ok(answer) => {
            let status = answer.status();
            let headers = answer.headers().clone();
            attribute(&inputs, &answer, |item, named| {
                item_error(item, named, status, &headers)
            })
        }
        Err(mut error) => {
            error.set_inputs(inputs.clone());
            let error = Arc::new(error);
            inputs
                .iter()
                .map(|&input| Outcome::Failed {
                    input,
                    error: Arc::clone(&error),
                })
                .collect()
        }
    };

    count_outcomes(&progress, &outcomes);
    batch
        .entries
        .iter()
        .map(|&(position, _)| position)
        .zip(outcomes)
        .collect()
}

fn count_outcomes(progress: &Progress, outcomes: &[Outcome]) {
    let (mut mapped, mut unmapped, mut failed) = (0, 0, 0);
    for outcome in outcomes {
        match outcome {
            Outcome::Mapped { .. } => mapped += 1,
            Outcome::Unmapped { .. } => unmapped += 1,
            Outcome::Failed { .. } => failed += 1,
        }
    }
    progress.add_batch(mapped, unmapped, failed);
}

/// Sends the batch until it succeeds or the retry rules in [`retry`] stop it.
///
/// Every attempt sends the same `body` value, so the JSON is byte-identical.
async fn send_with_retries(
    shared: &Shared,
    body: &types::ApiFlowBatchMigrationInput,
    batch_size: usize,
    deadline: Option<Instant>,
    progress: &Progress,
    call: &CallState,
) -> Result<Answer, Error> {
    let mut backoffs = shared.retry.backoffs();
    let mut attempts: u32 = 0;
    let mut previous: Option<Error> = None;
    loop {
        if let Some(error) = call.stop_error(attempts) {
            return Err(error);
        }

        // Wait for the limiter and any pause after a 429, but not past the deadline.
        let acquire = shared.limiter.acquire();
        let waited = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, acquire).await {
                Ok(waited) => waited,
                Err(_) => return Err(deadline_error(attempts, previous)),
            },
            None => acquire.await,
        };
        progress.add_limiter_wait(waited);
        if waited >= Duration::from_millis(1) {
            tracing::debug!(
                wait_ms = waited.as_millis() as u64,
                "waited for the rate limiter"
            );
        }

        let mut timeout = shared.attempt_timeout;
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(deadline_error(attempts, previous));
            }
            timeout = timeout.min(left);
        }

        // Another batch may have got an error that stops the call while this one waited.
        if let Some(error) = call.stop_error(attempts) {
            return Err(error);
        }

        progress.add_request(attempts > 0);
        attempts += 1;
        let sent_at = Instant::now();
        let span = tracing::debug_span!(
            "hubspot_request",
            "http.request.method" = "POST",
            "url.path" = %shared.path,
            attempt = attempts,
            batch_size,
            "http.response.status_code" = Empty,
            duration_ms = Empty,
            correlation_id = Empty,
        );
        let result = send_once(shared, body, timeout)
            .instrument(span.clone())
            .await;
        span.record("duration_ms", sent_at.elapsed().as_millis() as u64);

        let mut error = match result {
            Ok(answer) => {
                span.record("http.response.status_code", answer.status().as_u16());
                if let Some(id) = answer.headers().get(CORRELATION_ID_HEADER) {
                    span.record("correlation_id", id.to_str().unwrap_or_default());
                }
                shared.limiter.observe(answer.headers(), sent_at);
                return Ok(answer);
            }
            Err(error) => error,
        };

        if let Some(status) = error.status() {
            span.record("http.response.status_code", status.as_u16());
        }
        if let Some(id) = error.correlation_id() {
            span.record("correlation_id", id);
        }
        error.set_attempts(attempts);
        call.observe(&error);
        shared.limiter.observe(error.headers(), sent_at);
        let rate_limited = error.kind() == ErrorKind::RateLimited;
        if rate_limited {
            progress.add_rate_limited();
        }

        let backoff = backoffs.next().unwrap_or(shared.retry.max_backoff);
        let wait = match retry::decide(&error.failure(), attempts - 1, &shared.retry, backoff) {
            Decision::Stop(reason) => {
                tracing::debug!(?reason, error = %error, attempts, "not retrying batch");
                return Err(error);
            }
            Decision::RetryAfter(wait) => wait,
        };

        let resume_at = Instant::now() + wait;
        if rate_limited {
            error.set_retry_after(Some(wait));
            shared.limiter.pause_until(resume_at);
        }
        if deadline.is_some_and(|deadline| resume_at >= deadline) {
            tracing::debug!(error = %error, attempts, "retry would pass the deadline");
            return Err(error);
        }
        tracing::debug!(error = %error, attempts, wait_ms = wait.as_millis() as u64, "retrying batch");
        tokio::time::sleep(wait).await;
        previous = Some(error);
    }
}

/// Sends one HTTP attempt through the generated client.
///
/// Each attempt gets its own generated client and [`RequestHooks`], over the shared
/// connection pool, so concurrent attempts never read each other's status.
async fn send_once(
    shared: &Shared,
    body: &types::ApiFlowBatchMigrationInput,
    timeout: Duration,
) -> Result<Answer, Error> {
    let hooks = shared
        .request_headers
        .iter()
        .fold(RequestHooks::new(), |hooks, (name, value)| {
            hooks.with_header(name.clone(), value.clone())
        });
    let last_response = hooks.last_response().clone();
    let api = hubspot_workflow_ids_api::Client::new_with_client(
        &shared.base_url,
        shared.http.clone(),
        hooks,
    );
    let request = api
        .batch_read_workflow_id_mappings()
        .api_version(shared.api_version.as_str())
        .body(body.clone())
        .send();

    match tokio::time::timeout(timeout, request).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(error)) => Err(classify(error, last_response.take()).await),
        Err(elapsed) => {
            let (status, headers) = match last_response.take() {
                Some(head) => (Some(head.status), head.headers),
                None => (None, Default::default()),
            };
            Err(Error::new(ErrorKind::Timeout)
                .with_response(status, headers)
                .with_fault(retry::Fault::Timeout)
                .with_source(elapsed))
        }
    }
}

/// Builds the error for a batch whose deadline passed before its next attempt. The
/// failure of the previous attempt, if any, becomes its source.
fn deadline_error(attempts: u32, previous: Option<Error>) -> Error {
    let mut error = Error::new(ErrorKind::DeadlineExceeded);
    if let Some(previous) = previous {
        error = error.with_source(previous);
    }
    error.set_attempts(attempts);
    error
}
