//! The batch read endpoint: authentication, fault injection, rate limiting and lookup.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{StreamExt, future, stream};
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_pcg::Pcg64;
use serde_json::Value;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::fault::{Fault, FaultBody, FaultDecision, choose_faults};
use crate::rate_limit::{Decision, LimitHeaders};
use crate::request_log::{Failure, RequestInfo};
use crate::server::{Shared, TokenState};
use crate::wire::{self, BatchTimes, IdKind, MappingResult};

const CORRELATION_ID: HeaderName = HeaderName::from_static("x-hubspot-correlation-id");
const RATE_LIMIT_MAX: HeaderName = HeaderName::from_static("x-hubspot-ratelimit-max");
const RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-hubspot-ratelimit-remaining");
const RATE_LIMIT_INTERVAL: HeaderName =
    HeaderName::from_static("x-hubspot-ratelimit-interval-milliseconds");
const RATE_LIMIT_DAILY: HeaderName = HeaderName::from_static("x-hubspot-ratelimit-daily");
const RATE_LIMIT_DAILY_REMAINING: HeaderName =
    HeaderName::from_static("x-hubspot-ratelimit-daily-remaining");

const JSON: &str = "application/json;charset=utf-8";
const HTML: &str = "text/html; charset=UTF-8";

/// Response extension that makes the connection layer reset the connection instead of
/// sending the response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResetConnection;

/// Builds the router for the endpoint at every supported version.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/automation/{version}/workflow-id-mappings/batch/read",
            post(batch_read),
        )
        .fallback(route_not_found)
        .with_state(shared)
}

/// Returns whether the path segment after `/automation/` names a served API version:
/// `v4`, or a date version such as `2026-09` or `2026-09-beta`.
fn is_supported_version(version: &str) -> bool {
    if version == "v4" {
        return true;
    }
    let date = version.strip_suffix("-beta").unwrap_or(version);
    let Some((year, month)) = date.split_once('-') else {
        return false;
    };
    let all_digits = |text: &str| text.bytes().all(|byte| byte.is_ascii_digit());
    year.len() == 4
        && month.len() == 2
        && all_digits(year)
        && all_digits(month)
        && (1..=12).contains(&month.parse::<u8>().unwrap_or(0))
}

async fn route_not_found(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    let mut state = shared.lock();
    let correlation_id = new_correlation_id(&mut state.rng);
    let failure = Failure {
        status: Some(StatusCode::NOT_FOUND.as_u16()),
        fault: None,
    };
    let request = RequestInfo {
        number: None,
        token_index: None,
        correlation_id: &correlation_id,
    };
    state.request_log.record(failure, request, Instant::now());
    drop(state);
    let message = format!(
        "No route for {method} {}. This server serves POST {} and date-versioned paths such \
         as /automation/2026-09-beta/workflow-id-mappings/batch/read.",
        uri.path(),
        crate::ENDPOINT_PATH
    );
    let body = wire::error_body("OBJECT_NOT_FOUND", &message, &correlation_id);
    let mut response = json_response(StatusCode::NOT_FOUND, &body);
    insert_header(response.headers_mut(), CORRELATION_ID, &correlation_id);
    response
}

async fn batch_read(
    State(shared): State<Arc<Shared>>,
    Path(version): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_supported_version(&version) {
        return route_not_found(State(shared), method, uri).await;
    }

    let requested_at = Utc::now();
    let (number, correlation_id) = {
        let mut state = shared.lock();
        state.request_count += 1;
        state.counters.record_request();
        (state.request_count, new_correlation_id(&mut state.rng))
    };
    let mut exchange = Exchange {
        shared,
        number,
        correlation_id,
        token: None,
        limit_headers: None,
        fault: None,
    };

    // Authentication comes first, so that unauthenticated requests never get faults and
    // never count against a token's limits.
    let token = match authenticate(&exchange.shared, &headers) {
        Authentication::Rejected => {
            let body = wire::unauthorized_body(&exchange.correlation_id);
            return exchange.respond_json(StatusCode::UNAUTHORIZED, &body);
        }
        Authentication::MissingScope(token) => {
            exchange.authenticated(token);
            exchange.limit_headers = Some(exchange.peek_limits());
            let body = wire::missing_scopes_body(&exchange.correlation_id);
            return exchange.respond_json(StatusCode::FORBIDDEN, &body);
        }
        Authentication::Granted(token) => token,
    };
    exchange.authenticated(token);

    // Faults come before rate limiting, so a faulted request does not count against the
    // limits. Latency is the exception: the request goes on to be limited and responded to.
    let fault = exchange.choose_fault();
    if !fault.latency.is_zero() {
        exchange.fault = Some("latency");
        tokio::select! {
            () = tokio::time::sleep(fault.latency) => {}
            () = exchange.shared.shutdown.cancelled() => return reset_response(),
        }
    }
    if let Some(fault) = fault.fault {
        exchange.fault = Some(fault.name());
        return exchange.inject(fault, &body, requested_at).await;
    }

    if let Some(response) = exchange.apply_rate_limits() {
        return response;
    }

    let (status, body) = exchange.answer_batch(&body, requested_at);
    exchange.respond_json(status, &body)
}

enum Authentication {
    /// The `Authorization` header is missing, malformed or has an unknown token.
    Rejected,
    MissingScope(String),
    Granted(String),
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Authentication {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    let Some(token) = token else {
        return Authentication::Rejected;
    };

    let tokens = &shared.config.tokens;
    if tokens.is_empty() {
        return Authentication::Granted(token.to_owned());
    }
    match tokens.get(token) {
        Some(true) => Authentication::Granted(token.to_owned()),
        Some(false) => Authentication::MissingScope(token.to_owned()),
        None => Authentication::Rejected,
    }
}

/// One request in progress, with what its response headers and counters need.
struct Exchange {
    shared: Arc<Shared>,
    /// Position of the request among all requests to the endpoint, from 1.
    number: u64,
    correlation_id: String,
    /// Token that passed authentication, scoped or not.
    token: Option<String>,
    limit_headers: Option<LimitHeaders>,
    /// Name of the fault injected into this request, for its log line.
    fault: Option<&'static str>,
}

impl Exchange {
    fn authenticated(&mut self, token: String) {
        self.shared.lock().counters.record_authenticated(&token);
        self.token = Some(token);
    }

    fn token(&self) -> &str {
        self.token.as_deref().unwrap_or_default()
    }

    fn peek_limits(&self) -> LimitHeaders {
        let limits = self.shared.config.limits;
        let mut state = self.shared.lock();
        token_state(&mut state.tokens, self.token())
            .usage
            .peek(&limits, Instant::now())
    }

    fn choose_fault(&self) -> FaultDecision {
        let mut state = self.shared.lock();
        let state = &mut *state;
        let decision = choose_faults(&mut state.faults, self.number, &mut state.rng);
        for _ in 0..decision.fired {
            state.counters.record_fault(self.token());
        }
        if decision.fired > 0 {
            debug!(
                request = self.number,
                latency_ms = decision.latency.as_millis(),
                fault = ?decision.fault,
                "injecting faults"
            );
        }
        decision
    }

    /// Counts the request against the token's limits, and returns the 429 response if a
    /// limit rejects it.
    fn apply_rate_limits(&mut self) -> Option<Response> {
        let limits = self.shared.config.limits;
        let (decision, group_name) = {
            let mut state = self.shared.lock();
            let token_state = token_state(&mut state.tokens, self.token());
            let decision = token_state.usage.try_acquire(&limits, Instant::now());
            (decision, token_state.group_name.clone())
        };

        match decision {
            Decision::Accepted(headers) => {
                self.limit_headers = Some(headers);
                None
            }
            Decision::Rejected {
                policy,
                retry_after,
                headers,
            } => {
                self.limit_headers = Some(headers);
                self.shared
                    .lock()
                    .counters
                    .record_rate_limited(self.token());
                debug!(
                    request = self.number,
                    policy = policy.name(),
                    "rate limited"
                );
                let body = wire::rate_limit_body(
                    policy.message(),
                    policy.name(),
                    &group_name,
                    &self.correlation_id,
                );
                let mut response = self.respond_json(StatusCode::TOO_MANY_REQUESTS, &body);
                if self.shared.config.send_retry_after {
                    let seconds = retry_after_seconds(retry_after);
                    insert_header(response.headers_mut(), RETRY_AFTER, &seconds.to_string());
                }
                Some(response)
            }
        }
    }

    /// Validates the batch and looks its IDs up, returning the status and body to send.
    fn answer_batch(&self, body: &[u8], requested_at: DateTime<Utc>) -> (StatusCode, Value) {
        let started_at = Utc::now();
        let request = match wire::parse_batch_request(body, self.shared.config.max_batch_size) {
            Ok(request) => request,
            Err(error) => {
                if let Some(size) = error.batch_size {
                    self.shared
                        .lock()
                        .counters
                        .record_batch_size(self.token(), size);
                }
                let body =
                    wire::error_body("VALIDATION_ERROR", &error.message, &self.correlation_id);
                return (StatusCode::BAD_REQUEST, body);
            }
        };

        let mappings = &self.shared.config.mappings;
        let mut results = Vec::new();
        let mut missing_flow_ids = Vec::new();
        let mut missing_workflow_ids = Vec::new();
        for input in &request.inputs {
            match input.kind {
                IdKind::Flow => match mappings.workflow_id_for(input.id) {
                    Some(workflow_id) => results.push(MappingResult {
                        flow_id: input.id,
                        workflow_id,
                    }),
                    None => missing_flow_ids.push(input.id),
                },
                IdKind::Workflow => match mappings.flow_id_for(input.id) {
                    Some(flow_id) => results.push(MappingResult {
                        flow_id,
                        workflow_id: input.id,
                    }),
                    None => missing_workflow_ids.push(input.id),
                },
            }
        }
        {
            let mut state = self.shared.lock();
            state
                .counters
                .record_batch_size(self.token(), request.batch_size);
            // HubSpot does not keep input order, so neither does the fake.
            results.shuffle(&mut state.rng);
        }

        let times = BatchTimes {
            requested_at: format_timestamp(requested_at),
            started_at: format_timestamp(started_at),
            completed_at: format_timestamp(Utc::now()),
        };
        let body =
            wire::batch_response_body(&results, &missing_flow_ids, &missing_workflow_ids, &times);
        let status = if missing_flow_ids.is_empty() && missing_workflow_ids.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::MULTI_STATUS
        };
        (status, body)
    }

    /// Builds the response for a fault other than [`Fault::Latency`].
    async fn inject(&mut self, fault: Fault, body: &[u8], requested_at: DateTime<Utc>) -> Response {
        match fault {
            Fault::Status { status, body } => self.status_fault(status, body),
            Fault::Reset => {
                self.log_failure(None);
                reset_response()
            }
            Fault::Hang => {
                self.log_failure(None);
                self.shared.shutdown.cancelled().await;
                reset_response()
            }
            Fault::Truncated => {
                self.limit_headers = Some(self.peek_limits());
                let (status, value) = self.answer_batch(body, requested_at);
                let full_body = Bytes::from(value.to_string());
                let sent = full_body.slice(..full_body.len() / 2);
                // The body yields once before failing, so that hyper flushes the headers and
                // the first half. An immediate error would make it drop them unsent.
                let failure = async {
                    tokio::task::yield_now().await;
                    Err(io::Error::other("body truncated by fault injection"))
                };
                let chunks = stream::once(future::ready(Ok(sent))).chain(stream::once(failure));
                let mut response = Response::new(Body::from_stream(chunks));
                *response.status_mut() = status;
                let headers = response.headers_mut();
                insert_header(headers, CONTENT_TYPE, JSON);
                insert_header(headers, CONTENT_LENGTH, &full_body.len().to_string());
                self.insert_common_headers(headers);
                self.log_failure(Some(status));
                response
            }
            Fault::Latency(_) => unreachable!("latency is applied before the request is answered"),
        }
    }

    fn status_fault(&mut self, status: u16, body: FaultBody) -> Response {
        let status = StatusCode::from_u16(status)
            .inspect_err(|error| warn!(status, %error, "invalid fault status, sending 500"))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.limit_headers = Some(self.peek_limits());
        let reason = reason_phrase(status);
        match body {
            FaultBody::Json => {
                let message = format!(
                    "The request failed with status {} ({reason}), injected by the fake HubSpot \
                     server.",
                    status.as_u16()
                );
                let body = wire::error_body(category_for(status), &message, &self.correlation_id);
                self.respond_json(status, &body)
            }
            FaultBody::Html => {
                let code = status.as_u16();
                let page = format!(
                    "<!DOCTYPE html>\n<html><head><title>{code} {reason}</title></head>\
                     <body><h1>{code} {reason}</h1><p>Injected by the fake HubSpot server.</p>\
                     </body></html>\n"
                );
                self.respond(status, Some(HTML), Bytes::from(page))
            }
            FaultBody::Empty => self.respond(status, None, Bytes::new()),
        }
    }

    fn respond_json(&self, status: StatusCode, body: &Value) -> Response {
        self.respond(status, Some(JSON), Bytes::from(body.to_string()))
    }

    /// Builds a complete response, adds the HubSpot headers and counts its status.
    fn respond(&self, status: StatusCode, content_type: Option<&str>, body: Bytes) -> Response {
        self.shared
            .lock()
            .counters
            .record_status(self.token.as_deref(), status.as_u16());
        debug!(
            request = self.number,
            status = status.as_u16(),
            correlation_id = %self.correlation_id,
            "responding"
        );
        if status.is_client_error() || status.is_server_error() || self.fault.is_some() {
            self.log_failure(Some(status));
        }

        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        if let Some(content_type) = content_type {
            insert_header(headers, CONTENT_TYPE, content_type);
        }
        self.insert_common_headers(headers);
        response
    }

    /// Logs this request's error status or fault, unless it is a suppressed repeat.
    fn log_failure(&self, status: Option<StatusCode>) {
        let failure = Failure {
            status: status.map(|status| status.as_u16()),
            fault: self.fault,
        };
        let mut state = self.shared.lock();
        let state = &mut *state;
        let token_index = self
            .token
            .as_deref()
            .map(|token| token_state(&mut state.tokens, token).index);
        let request = RequestInfo {
            number: Some(self.number),
            token_index,
            correlation_id: &self.correlation_id,
        };
        state.request_log.record(failure, request, Instant::now());
    }

    fn insert_common_headers(&self, headers: &mut HeaderMap) {
        insert_header(headers, CORRELATION_ID, &self.correlation_id);
        let Some(limits) = self.limit_headers else {
            return;
        };
        if let Some((max, remaining, interval)) = limits.window {
            insert_header(headers, RATE_LIMIT_MAX, &max.to_string());
            insert_header(headers, RATE_LIMIT_REMAINING, &remaining.to_string());
            insert_header(
                headers,
                RATE_LIMIT_INTERVAL,
                &interval.as_millis().to_string(),
            );
        }
        if let Some((max, remaining)) = limits.daily {
            insert_header(headers, RATE_LIMIT_DAILY, &max.to_string());
            insert_header(headers, RATE_LIMIT_DAILY_REMAINING, &remaining.to_string());
        }
    }
}

/// Returns the rate limiter state of `token`, creating it on first use.
fn token_state<'a>(
    tokens: &'a mut std::collections::HashMap<String, TokenState>,
    token: &str,
) -> &'a mut TokenState {
    let next_index = tokens.len() + 1;
    tokens
        .entry(token.to_owned())
        .or_insert_with(|| TokenState {
            index: next_index,
            usage: Default::default(),
            group_name: format!("fake-hubspot:token-{next_index}"),
        })
}

/// Rounds up to whole seconds, and to at least 1 so that clients never retry at once.
fn retry_after_seconds(retry_after: Duration) -> u64 {
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    seconds.max(1)
}

fn reset_response() -> Response {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(ResetConnection);
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    insert_header(response.headers_mut(), CONTENT_TYPE, JSON);
    response
}

fn insert_header(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    let value = HeaderValue::from_str(value).expect("header values built here are visible ASCII");
    headers.insert(name, value);
}

fn new_correlation_id(rng: &mut Pcg64) -> String {
    let bytes = rng.random::<u128>().to_be_bytes();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn format_timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn reason_phrase(status: StatusCode) -> &'static str {
    match status.as_u16() {
        // Cloudflare's status for an origin that accepted the connection but did not
        // respond in time. The http crate has no reason phrase for it.
        524 => "A Timeout Occurred",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// Returns the `category` of a JSON status fault body.
fn category_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        429 => "RATE_LIMITS",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 | 524 => "GATEWAY_TIMEOUT",
        400..=499 => "VALIDATION_ERROR",
        _ => "INTERNAL_ERROR",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_v4_and_date_versions() {
        for version in ["v4", "2026-09", "2026-09-beta", "2025-12"] {
            assert!(is_supported_version(version), "{version}");
        }
        for version in [
            "v3",
            "v5",
            "2026-13",
            "2026-9",
            "26-09",
            "2026-09-alpha",
            "",
        ] {
            assert!(!is_supported_version(version), "{version}");
        }
    }

    #[test]
    fn retry_after_rounds_up_to_a_second() {
        let cases = [(0, 1), (1, 1), (999, 1), (1000, 1), (1001, 2), (9_500, 10)];
        for (millis, seconds) in cases {
            let retry_after = Duration::from_millis(millis);
            assert_eq!(retry_after_seconds(retry_after), seconds, "{millis} ms");
        }
    }
}
