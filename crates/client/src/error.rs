//! Errors: [`Error`] for a batch that HubSpot or the network failed, [`InputError`] for
//! invalid IDs and configuration, rejected before anything is sent.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::id::{Id, IdKind};
use crate::retry::{Failure, Fault};

/// Boxed cause of an [`Error`], returned by [`std::error::Error::source`].
pub(crate) type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Invalid input, rejected before any request is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A value that is not a valid flow or workflow ID.
    #[error("invalid {kind} {value:?}: {reason}")]
    InvalidId {
        /// Kind of ID the value was parsed as.
        kind: IdKind,
        /// The rejected value, shortened when long.
        value: String,
        /// Reason the value was rejected.
        reason: InvalidIdReason,
    },
    /// A client setting outside its allowed range.
    #[error("invalid {setting}: {reason}")]
    InvalidConfig {
        /// Name of the builder method that received the value.
        setting: &'static str,
        /// Problem with the value, and which values are allowed.
        reason: String,
    },
}

/// Reason an ID was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidIdReason {
    /// The value was empty.
    Empty,
    /// The value was negative.
    Negative,
    /// The value contained something other than the digits 0-9.
    NotDecimal,
    /// The value exceeded `i64::MAX`, the largest ID HubSpot's signed 64-bit IDs can hold.
    OutOfRange,
}

impl fmt::Display for InvalidIdReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidIdReason::Empty => f.write_str("the value is empty"),
            InvalidIdReason::Negative => f.write_str("IDs cannot be negative"),
            InvalidIdReason::NotDecimal => f.write_str("expected only the digits 0-9"),
            InvalidIdReason::OutOfRange => {
                write!(f, "exceeds the maximum ID {} (i64::MAX)", i64::MAX)
            }
        }
    }
}

/// Class of an [`Error`], for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// HubSpot rejected the access token (HTTP 401).
    Authentication,
    /// The token lacks scopes the endpoint needs (HTTP 403 with category `MISSING_SCOPES`).
    MissingScopes,
    /// HubSpot denied access for another reason (HTTP 403).
    Forbidden,
    /// HubSpot's rate limit was hit (HTTP 429) and retries did not get past it.
    RateLimited,
    /// HubSpot rejected the request as invalid (HTTP 400).
    Validation,
    /// HubSpot returned HTTP 404.
    NotFound,
    /// HubSpot or a proxy failed (HTTP 5xx, including Cloudflare's 524).
    Server,
    /// An attempt took longer than the per-attempt timeout (or the server sent HTTP 408).
    Timeout,
    /// The overall deadline of the call passed before the batch succeeded.
    DeadlineExceeded,
    /// The connection failed: refused, reset, or closed before the whole body arrived.
    Transport,
    /// A success response whose body is not the documented JSON.
    Decode,
    /// A status this client does not expect from the endpoint, such as a redirect.
    UnexpectedStatus,
    /// A 207 response reported an error other than `OBJECT_NOT_FOUND` for some inputs,
    /// with a status or category that no other kind covers.
    Rejected,
    /// The request could not be built, for example because the access token is not a
    /// valid header value.
    InvalidRequest,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication failed",
            ErrorKind::MissingScopes => "missing scopes",
            ErrorKind::Forbidden => "access forbidden",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Validation => "invalid request",
            ErrorKind::NotFound => "not found",
            ErrorKind::Server => "server error",
            ErrorKind::Timeout => "request timed out",
            ErrorKind::DeadlineExceeded => "deadline exceeded",
            ErrorKind::Transport => "transport error",
            ErrorKind::Decode => "response could not be decoded",
            ErrorKind::UnexpectedStatus => "unexpected response",
            ErrorKind::Rejected => "inputs rejected",
            ErrorKind::InvalidRequest => "request could not be built",
        }
    }
}

/// Failure of one batch, after the retries that the retry rules allow.
///
/// Every error keeps what HubSpot returned, even when the body was HTML, empty or not the
/// documented JSON. That is the HTTP status and headers, `category` and `subCategory`,
/// and the inputs of the batch. HubSpot's correlation ID comes from the body, or else from
/// the `X-HubSpot-Correlation-Id` header. `Display` is short, and the cause is available through
/// [`source`](std::error::Error::source).
///
/// After a 429 under the `DAILY` policy, the call sends no more requests. Each batch that
/// has not been sent yet fails with a copy of that 429's status, headers and body fields,
/// with [`attempts`](Self::attempts) 0 and a source that explains why it was not sent. A batch
/// waiting to retry another failure stops the same way, with its attempts so far.
#[derive(Debug)]
#[non_exhaustive]
pub struct Error {
    kind: ErrorKind,
    status: Option<StatusCode>,
    headers: HeaderMap,
    correlation_id: Option<String>,
    category: Option<String>,
    sub_category: Option<String>,
    message: Option<String>,
    policy_name: Option<String>,
    missing_scopes: Vec<String>,
    retry_after: Option<Duration>,
    content_type: Option<String>,
    body_snippet: Option<String>,
    inputs: Vec<Id>,
    attempts: u32,
    fault: Option<Fault>,
    source: Option<BoxError>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            kind,
            status: None,
            headers: HeaderMap::new(),
            correlation_id: None,
            category: None,
            sub_category: None,
            message: None,
            policy_name: None,
            missing_scopes: Vec::new(),
            retry_after: None,
            content_type: None,
            body_snippet: None,
            inputs: Vec::new(),
            attempts: 0,
            fault: None,
            source: None,
        }
    }

    /// Returns the class of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Returns the HTTP status of the last response, if a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// Returns the headers of the last response; empty when no response arrived.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Returns HubSpot's correlation ID of the last response, from the body's
    /// `correlationId` or else the `X-HubSpot-Correlation-Id` header. Quote it to HubSpot
    /// support.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// Returns HubSpot's error `category`, such as `VALIDATION_ERROR` or `MISSING_SCOPES`.
    pub fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }

    /// Returns HubSpot's `subCategory`, when the body has one.
    pub fn sub_category(&self) -> Option<&str> {
        self.sub_category.as_deref()
    }

    /// Returns HubSpot's human-readable `message`.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Returns the rate-limit policy of a 429, such as `TEN_SECONDLY_ROLLING`, `SECONDLY`
    /// or `DAILY`.
    pub fn policy_name(&self) -> Option<&str> {
        self.policy_name.as_deref()
    }

    /// Returns the scopes that HubSpot reported as required but not granted.
    pub fn missing_scopes(&self) -> &[String] {
        &self.missing_scopes
    }

    /// Returns the wait that the last rate-limited response asked for, from
    /// `Retry-After` or the policy's window.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Returns the `Content-Type` of the last response.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Returns the start of a body that could not be decoded, at most 512 bytes, with
    /// invalid UTF-8 replaced.
    pub fn body_snippet(&self) -> Option<&str> {
        self.body_snippet.as_deref()
    }

    /// Returns the inputs this error concerns: every input of a failed batch, or the
    /// inputs that an error in a 207 response names.
    pub fn inputs(&self) -> &[Id] {
        &self.inputs
    }

    /// Returns how many HTTP attempts were made for the batch; 0 when none was sent, for
    /// example after an earlier `DAILY` 429 of the same call.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Returns whether HubSpot rejected the token (HTTP 401).
    pub fn is_authentication(&self) -> bool {
        self.kind == ErrorKind::Authentication
    }

    /// Returns whether the token lacks required scopes.
    pub fn is_missing_scopes(&self) -> bool {
        self.kind == ErrorKind::MissingScopes
    }

    /// Returns whether the batch failed on HubSpot's rate limit.
    pub fn is_rate_limited(&self) -> bool {
        self.kind == ErrorKind::RateLimited
    }

    /// Returns whether the attempt or the call ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::Timeout | ErrorKind::DeadlineExceeded)
    }

    /// Returns what the retry decision needs to know about this error.
    pub(crate) fn failure(&self) -> Failure<'_> {
        Failure {
            status: self.status,
            headers: Some(&self.headers),
            category: self.category.as_deref(),
            policy_name: self.policy_name.as_deref(),
            fault: self.fault,
        }
    }

    /// Builds the error of a batch that is not sent because `first`, an earlier 429 of
    /// the same call under the `DAILY` policy, showed that the daily limit is spent.
    ///
    /// It copies the response details of `first`, so that callers see the same status,
    /// policy and correlation ID, and it has no inputs and no attempts yet.
    /// Returns a copy of `first`, the error that stopped the call, for a batch that was not
    /// sent because of it.
    pub(crate) fn not_sent_after(first: &Error) -> Self {
        Self {
            kind: first.kind,
            status: first.status,
            headers: first.headers.clone(),
            correlation_id: first.correlation_id.clone(),
            category: first.category.clone(),
            sub_category: first.sub_category.clone(),
            message: first.message.clone(),
            policy_name: first.policy_name.clone(),
            missing_scopes: first.missing_scopes.clone(),
            retry_after: first.retry_after,
            content_type: first.content_type.clone(),
            body_snippet: None,
            inputs: Vec::new(),
            attempts: 0,
            fault: None,
            source: Some(Box::new(NotSent {
                stopped_by: first.kind,
            })),
        }
    }

    pub(crate) fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    pub(crate) fn with_response(mut self, status: Option<StatusCode>, headers: HeaderMap) -> Self {
        self.status = status;
        self.content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        self.correlation_id = headers
            .get(CORRELATION_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        self.headers = headers;
        self
    }

    pub(crate) fn with_body_fields(mut self, fields: BodyFields) -> Self {
        // The body's correlation ID takes precedence over the header's.
        if fields.correlation_id.is_some() {
            self.correlation_id = fields.correlation_id;
        }
        self.category = fields.category;
        self.sub_category = fields.sub_category;
        self.message = fields.message;
        self.policy_name = fields.policy_name;
        self.missing_scopes = fields.missing_scopes;
        self
    }

    pub(crate) fn with_body_snippet(mut self, body: &[u8]) -> Self {
        self.body_snippet = Some(snippet(body));
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    pub(crate) fn set_retry_after(&mut self, wait: Option<Duration>) {
        self.retry_after = wait;
    }

    pub(crate) fn set_inputs(&mut self, inputs: Vec<Id>) {
        self.inputs = inputs;
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.attempts = attempts;
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        match (self.status, &self.policy_name) {
            (Some(status), Some(policy)) if self.kind == ErrorKind::RateLimited => {
                write!(f, " (HTTP {}, policy {policy})", status.as_u16())?;
            }
            (Some(status), _) => write!(f, " (HTTP {})", status.as_u16())?,
            (None, _) => {}
        }
        if self.kind == ErrorKind::MissingScopes && !self.missing_scopes.is_empty() {
            write!(f, ": {}", self.missing_scopes.join(", "))?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

/// Source of the errors of batches that were not sent because an earlier request of the
/// call got an error that every request would get.
#[derive(Debug)]
struct NotSent {
    stopped_by: ErrorKind,
}

impl fmt::Display for NotSent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self.stopped_by {
            ErrorKind::RateLimited => {
                "a 429 under the DAILY policy, and HubSpot rejects every request until the \
                 daily limit resets"
            }
            ErrorKind::MissingScopes => "a 403 because the token lacks a required scope",
            _ => "a 401 because HubSpot does not accept the token",
        };
        write!(
            f,
            "not sent, because an earlier request of this call got {reason}"
        )
    }
}

impl StdError for NotSent {}

/// Response header that carries HubSpot's correlation ID.
pub(crate) const CORRELATION_ID_HEADER: &str = "x-hubspot-correlation-id";

/// Largest part of an undecodable body that an [`Error`] keeps.
pub(crate) const MAX_SNIPPET_BYTES: usize = 512;

/// Returns the start of `body` as text, cut at [`MAX_SNIPPET_BYTES`].
fn snippet(body: &[u8]) -> String {
    let end = body.len().min(MAX_SNIPPET_BYTES);
    String::from_utf8_lossy(&body[..end]).into_owned()
}

/// Fields of a HubSpot error body that callers branch on.
///
/// Read from a loosely parsed JSON value, so that bodies which miss required fields of the
/// documented `Error` schema still give up what they contain.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct BodyFields {
    pub(crate) category: Option<String>,
    pub(crate) sub_category: Option<String>,
    pub(crate) correlation_id: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) policy_name: Option<String>,
    pub(crate) missing_scopes: Vec<String>,
}

impl BodyFields {
    /// Reads the fields from a JSON body; returns `None` when the body is not JSON.
    pub(crate) fn from_json_bytes(body: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        Some(Self::from_value(&value))
    }

    pub(crate) fn from_value(value: &serde_json::Value) -> Self {
        let text = |name: &str| value.get(name).and_then(text_of);
        let mut fields = Self {
            category: text("category"),
            sub_category: text("subCategory"),
            correlation_id: text("correlationId"),
            message: text("message"),
            policy_name: text("policyName"),
            missing_scopes: Vec::new(),
        };
        fields.missing_scopes = scopes_in_body(value, fields.message.as_deref());
        fields
    }
}

/// Returns a JSON string as is, and any other non-null value as compact JSON.
///
/// HubSpot sends `subCategory` as a string in some errors and an object in others.
fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

/// Context keys under which HubSpot lists the scopes a 403 requires.
const SCOPE_KEYS: [&str; 2] = ["requiredScopes", "requiredGranularScopes"];

/// Collects the scopes a `MISSING_SCOPES` body names, in order and without repeats.
///
/// HubSpot lists them under `requiredScopes` or `requiredGranularScopes`, either in
/// `errors[].context` or in the top-level `context`, and some messages carry them as text
/// in the form `{missingScopes=[a, b]}`.
fn scopes_in_body(value: &serde_json::Value, message: Option<&str>) -> Vec<String> {
    let mut scopes = Vec::new();
    let mut add = |scope: &str| {
        let scope = scope.trim();
        if !scope.is_empty() && !scopes.iter().any(|known| known == scope) {
            scopes.push(scope.to_owned());
        }
    };

    let details = value.get("errors").and_then(|errors| errors.as_array());
    let contexts = details
        .into_iter()
        .flatten()
        .filter_map(|detail| detail.get("context"))
        .chain(value.get("context"));
    for context in contexts {
        for key in SCOPE_KEYS {
            let listed = context.get(key).and_then(|list| list.as_array());
            for scope in listed.into_iter().flatten().filter_map(|s| s.as_str()) {
                add(scope);
            }
        }
    }

    let messages = details
        .into_iter()
        .flatten()
        .filter_map(|detail| detail.get("message").and_then(|m| m.as_str()))
        .chain(message);
    for text in messages {
        for scope in scopes_in_message(text) {
            add(scope);
        }
    }
    scopes
}

/// Returns the scopes of a `missingScopes=[a, b]` fragment in a message.
fn scopes_in_message(message: &str) -> Vec<&str> {
    const MARKER: &str = "missingScopes=[";
    let Some(start) = message.find(MARKER) else {
        return Vec::new();
    };
    let rest = &message[start + MARKER.len()..];
    let Some(end) = rest.find(']') else {
        return Vec::new();
    };
    rest[..end].split(',').map(str::trim).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scopes_from_error_details() {
        let body = json!({
            "category": "MISSING_SCOPES",
            "correlationId": "c-1",
            "message": "This app hasn't been granted all required scopes.",
            "errors": [{
                "message": "One or more of the following scopes are required.",
                "context": { "requiredGranularScopes": ["automation", "crm.objects.read"] }
            }]
        });
        let fields = BodyFields::from_value(&body);
        assert_eq!(fields.missing_scopes, ["automation", "crm.objects.read"]);
        assert_eq!(fields.category.as_deref(), Some("MISSING_SCOPES"));
        assert_eq!(fields.correlation_id.as_deref(), Some("c-1"));
    }

    #[test]
    fn scopes_from_top_level_context() {
        let body = json!({ "context": { "requiredScopes": ["automation"] } });
        assert_eq!(BodyFields::from_value(&body).missing_scopes, ["automation"]);
    }

    #[test]
    fn scopes_from_message_text() {
        let body = json!({
            "message": "The scope needed for this API call isn't available {missingScopes=[automation, oauth]}"
        });
        assert_eq!(
            BodyFields::from_value(&body).missing_scopes,
            ["automation", "oauth"]
        );
    }

    #[test]
    fn sub_category_object_kept_as_json() {
        let body = json!({ "subCategory": { "reason": "x" } });
        let fields = BodyFields::from_value(&body);
        assert_eq!(fields.sub_category.as_deref(), Some(r#"{"reason":"x"}"#));
    }

    #[test]
    fn snippet_is_capped() {
        let body = vec![b'a'; 10_000];
        let error = Error::new(ErrorKind::Decode).with_body_snippet(&body);
        assert_eq!(error.body_snippet().unwrap().len(), MAX_SNIPPET_BYTES);
    }

    #[test]
    fn display_is_short_and_lowercase() {
        let mut error = Error::new(ErrorKind::RateLimited)
            .with_response(Some(StatusCode::TOO_MANY_REQUESTS), HeaderMap::new())
            .with_body_fields(BodyFields {
                policy_name: Some("DAILY".into()),
                ..BodyFields::default()
            });
        error.set_attempts(1);
        assert_eq!(error.to_string(), "rate limited (HTTP 429, policy DAILY)");
    }
}
