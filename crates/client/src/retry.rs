//! Retry rules: which failed attempts are sent again, and after how long.
//!
//! The decision is the pure function [`decide`]. The endpoint only reads, so sending the
//! same POST again is safe, and every resend carries the byte-identical JSON body of the
//! first attempt.
//!
//! | failure | decision |
//! |---|---|
//! | 429 with policy `DAILY` | stop, and send no other batch of the call: nothing can succeed before the daily reset |
//! | 429 with `Retry-After` | wait that many seconds |
//! | 429, policy `TEN_SECONDLY_ROLLING` or `SECONDLY` | wait `X-HubSpot-RateLimit-Interval-Milliseconds`, else 10 s or 1 s |
//! | other 429 | wait the interval header if present, else back off |
//! | 5xx (500, 502, 503, 504, 524, …) | wait `Retry-After` if present, else back off |
//! | 408, attempt timeout, connection refused or reset, truncated body | back off |
//! | 401, or 403 `MISSING_SCOPES` | stop, and send no other batch of the call: the token fails for every request |
//! | 400, other 403, 404, other statuses, undecodable success bodies | stop |
//!
//! Backing off waits [`RetryPolicy::initial_backoff`], doubled after each retry and
//! capped at [`RetryPolicy::max_backoff`]. With jitter, a random extra of up to 100% of
//! that wait is added. At most [`RetryPolicy::max_retries`] retries follow the first
//! attempt, and none starts after the call's overall deadline.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Header with the length of HubSpot's rate-limit window, in milliseconds.
pub const INTERVAL_HEADER: &str = "x-hubspot-ratelimit-interval-milliseconds";

/// Policy name of HubSpot's daily limit; a 429 under it is not retried.
pub const DAILY_POLICY: &str = "DAILY";

/// Policy name of HubSpot's rolling ten-second limit.
pub const TEN_SECONDLY_ROLLING_POLICY: &str = "TEN_SECONDLY_ROLLING";

/// Policy name of HubSpot's per-second limit.
pub const SECONDLY_POLICY: &str = "SECONDLY";

/// Settings of the retry loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most retries after the first attempt of a batch.
    pub max_retries: u32,
    /// Wait before the first retry when the server gives no hint.
    pub initial_backoff: Duration,
    /// Largest wait that backing off reaches, before jitter.
    pub max_backoff: Duration,
    /// Whether a random extra of up to 100% is added to each backoff; off makes the
    /// waits deterministic, for tests.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// Returns 6 retries, backing off from 500 ms to at most 30 s, with jitter.
    fn default() -> Self {
        Self {
            max_retries: 6,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Returns the sequence of backoff waits for one batch.
    pub(crate) fn backoffs(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(2.0)
            .without_max_times();
        if self.jitter {
            builder = builder.with_jitter();
        }
        builder.build()
    }
}

/// Failure that happened before a complete response arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The attempt took longer than the per-attempt timeout.
    Timeout,
    /// The connection could not be opened, or was reset or closed.
    Connection,
    /// The body ended before its declared length, or in the middle of its JSON.
    TruncatedBody,
    /// A complete success body that is not the documented JSON.
    UndecodableBody,
    /// The request could not be built, so sending it again cannot help.
    InvalidRequest,
}

/// Facts about one failed attempt that the retry decision uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct Failure<'a> {
    /// HTTP status, when a response arrived.
    pub status: Option<StatusCode>,
    /// Response headers, when a response arrived.
    pub headers: Option<&'a HeaderMap>,
    /// HubSpot's error `category` from the body.
    pub category: Option<&'a str>,
    /// HubSpot's rate-limit `policyName` from the body.
    pub policy_name: Option<&'a str>,
    /// Failure before a complete response, if any.
    pub fault: Option<Fault>,
}

/// Outcome of [`decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Give up and report the failure.
    Stop(StopReason),
    /// Send the batch again after this wait.
    RetryAfter(Duration),
}

/// Reason for [`Decision::Stop`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The failure cannot go away by sending the same request again.
    NotRetryable,
    /// HubSpot's daily limit is spent; it resets at midnight in the account's time zone.
    DailyLimit,
    /// The batch already had [`RetryPolicy::max_retries`] retries.
    RetriesExhausted,
}

/// Decides whether a failed attempt is sent again, and after how long.
///
/// `retries_done` counts the retries already made for the batch (0 after the first
/// attempt). `backoff` is the wait to use when neither a header nor the policy gives one,
/// normally the next value of [`RetryPolicy`]'s exponential backoff. The module
/// documentation lists the rules.
pub fn decide(
    failure: &Failure<'_>,
    retries_done: u32,
    policy: &RetryPolicy,
    backoff: Duration,
) -> Decision {
    let wait = match retry_wait(failure, backoff) {
        Ok(wait) => wait,
        Err(reason) => return Decision::Stop(reason),
    };
    if retries_done >= policy.max_retries {
        return Decision::Stop(StopReason::RetriesExhausted);
    }
    Decision::RetryAfter(wait)
}

/// Returns the wait before resending, or why the failure is not retried.
fn retry_wait(failure: &Failure<'_>, backoff: Duration) -> Result<Duration, StopReason> {
    // An error status decides on its own, whatever happened to its body. A success
    // status, or none, leaves the decision to the fault.
    let status = match failure.status {
        Some(status) if !status.is_success() => status,
        _ => {
            return match failure.fault {
                Some(Fault::Timeout | Fault::Connection | Fault::TruncatedBody) => Ok(backoff),
                _ => Err(StopReason::NotRetryable),
            };
        }
    };
    let retry_after = failure.headers.and_then(retry_after);
    let interval = failure.headers.and_then(rate_limit_interval);

    if status == StatusCode::TOO_MANY_REQUESTS {
        return match (failure.policy_name, retry_after) {
            (Some(DAILY_POLICY), _) => Err(StopReason::DailyLimit),
            (_, Some(wait)) => Ok(wait),
            (Some(TEN_SECONDLY_ROLLING_POLICY), None) => {
                Ok(interval.unwrap_or(Duration::from_secs(10)))
            }
            (Some(SECONDLY_POLICY), None) => Ok(interval.unwrap_or(Duration::from_secs(1))),
            (_, None) => Ok(interval.unwrap_or(backoff)),
        };
    }
    if status.is_server_error() {
        return Ok(retry_after.unwrap_or(backoff));
    }
    if status == StatusCode::REQUEST_TIMEOUT {
        return Ok(backoff);
    }
    Err(StopReason::NotRetryable)
}

/// Reads `Retry-After` as whole or fractional seconds.
///
/// NOTE: the HTTP-date form of `Retry-After` is ignored, so such a response falls back to
/// the policy's window or to backing off.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: f64 = value.parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(seconds).ok()
}

/// Reads `X-HubSpot-RateLimit-Interval-Milliseconds`.
pub fn rate_limit_interval(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(INTERVAL_HEADER)?.to_str().ok()?;
    let millis: u64 = value.trim().parse().ok()?;
    (millis > 0).then(|| Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: Duration = Duration::from_millis(7);

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn status(code: u16) -> Option<StatusCode> {
        Some(StatusCode::from_u16(code).unwrap())
    }

    #[test]
    fn decision_table() {
        let none = HeaderMap::new();
        let retry_after_2 = headers(&[("retry-after", "2")]);
        let interval_250 = headers(&[(INTERVAL_HEADER, "250")]);
        let retry = Decision::RetryAfter;
        let stop = Decision::Stop;

        #[rustfmt::skip]
        let cases: Vec<(&str, Failure<'_>, Decision)> = vec![
            ("429 daily", Failure { status: status(429), headers: Some(&retry_after_2), policy_name: Some("DAILY"), ..Failure::default() }, stop(StopReason::DailyLimit)),
            ("429 retry-after", Failure { status: status(429), headers: Some(&retry_after_2), policy_name: Some("TEN_SECONDLY_ROLLING"), ..Failure::default() }, retry(Duration::from_secs(2))),
            ("429 rolling with interval", Failure { status: status(429), headers: Some(&interval_250), policy_name: Some("TEN_SECONDLY_ROLLING"), ..Failure::default() }, retry(Duration::from_millis(250))),
            ("429 rolling without headers", Failure { status: status(429), headers: Some(&none), policy_name: Some("TEN_SECONDLY_ROLLING"), ..Failure::default() }, retry(Duration::from_secs(10))),
            ("429 secondly", Failure { status: status(429), headers: Some(&none), policy_name: Some("SECONDLY"), ..Failure::default() }, retry(Duration::from_secs(1))),
            ("429 unknown policy", Failure { status: status(429), headers: Some(&none), ..Failure::default() }, retry(BACKOFF)),
            ("429 undecodable body", Failure { status: status(429), headers: Some(&interval_250), fault: Some(Fault::UndecodableBody), ..Failure::default() }, retry(Duration::from_millis(250))),
            ("500", Failure { status: status(500), ..Failure::default() }, retry(BACKOFF)),
            ("502 html", Failure { status: status(502), fault: Some(Fault::UndecodableBody), ..Failure::default() }, retry(BACKOFF)),
            ("503 retry-after", Failure { status: status(503), headers: Some(&retry_after_2), ..Failure::default() }, retry(Duration::from_secs(2))),
            ("504", Failure { status: status(504), ..Failure::default() }, retry(BACKOFF)),
            ("524", Failure { status: status(524), ..Failure::default() }, retry(BACKOFF)),
            ("408", Failure { status: status(408), ..Failure::default() }, retry(BACKOFF)),
            ("timeout", Failure { fault: Some(Fault::Timeout), ..Failure::default() }, retry(BACKOFF)),
            ("reset", Failure { fault: Some(Fault::Connection), ..Failure::default() }, retry(BACKOFF)),
            ("truncated 200", Failure { status: status(200), fault: Some(Fault::TruncatedBody), ..Failure::default() }, retry(BACKOFF)),
            ("undecodable 200", Failure { status: status(200), fault: Some(Fault::UndecodableBody), ..Failure::default() }, stop(StopReason::NotRetryable)),
            ("invalid request", Failure { fault: Some(Fault::InvalidRequest), ..Failure::default() }, stop(StopReason::NotRetryable)),
            ("400", Failure { status: status(400), category: Some("VALIDATION_ERROR"), ..Failure::default() }, stop(StopReason::NotRetryable)),
            ("401", Failure { status: status(401), headers: Some(&retry_after_2), ..Failure::default() }, stop(StopReason::NotRetryable)),
            ("403", Failure { status: status(403), category: Some("MISSING_SCOPES"), ..Failure::default() }, stop(StopReason::NotRetryable)),
            ("404", Failure { status: status(404), ..Failure::default() }, stop(StopReason::NotRetryable)),
            ("302", Failure { status: status(302), ..Failure::default() }, stop(StopReason::NotRetryable)),
        ];

        let policy = RetryPolicy::default();
        for (name, failure, expected) in cases {
            assert_eq!(
                decide(&failure, 0, &policy, BACKOFF),
                expected,
                "case {name}"
            );
        }
    }

    #[test]
    fn stops_after_max_retries() {
        let policy = RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        };
        let failure = Failure {
            status: status(503),
            ..Failure::default()
        };
        assert_eq!(
            decide(&failure, 1, &policy, BACKOFF),
            Decision::RetryAfter(BACKOFF)
        );
        assert_eq!(
            decide(&failure, 2, &policy, BACKOFF),
            Decision::Stop(StopReason::RetriesExhausted)
        );
    }

    #[test]
    fn non_retryable_wins_over_exhausted() {
        let policy = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        let failure = Failure {
            status: status(401),
            ..Failure::default()
        };
        assert_eq!(
            decide(&failure, 0, &policy, BACKOFF),
            Decision::Stop(StopReason::NotRetryable)
        );
    }

    #[test]
    fn backoff_doubles_and_caps_without_jitter() {
        let policy = RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            jitter: false,
        };
        let waits: Vec<u128> = policy.backoffs().take(4).map(|d| d.as_millis()).collect();
        assert_eq!(waits, [100, 200, 350, 350]);
    }

    #[test]
    fn jitter_stays_within_double() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        for wait in policy.backoffs().take(50) {
            assert!(wait >= Duration::from_millis(100), "{wait:?}");
            assert!(wait <= Duration::from_millis(200), "{wait:?}");
        }
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1.5")])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")])), None);
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Wed, 21 Oct 2015 07:28:00 GMT"
            )])),
            None
        );
    }
}
