//! Info-level log lines for requests that get a fault or an error status, with repeats
//! counted so that a flood of failures prints a bounded number of lines.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;
use tracing::info;

/// Maximum time that a repeated failure goes without a log line while it keeps happening.
const QUIET_PERIOD: Duration = Duration::from_secs(10);

/// Status and fault of one failed request, which group its repeats in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Failure {
    /// HTTP status sent, or `None` when the connection was reset or got no response.
    pub(crate) status: Option<u16>,
    /// Name of the injected fault, if one fired.
    pub(crate) fault: Option<&'static str>,
}

/// Details of one failed request that do not decide whether it is logged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestInfo<'a> {
    /// Position of the request among all requests to the endpoint, from 1, or `None` for
    /// a request to another path.
    pub(crate) number: Option<u64>,
    /// Position of the request's token in order of first use, from 1, or `None` when the
    /// request had no accepted token. The token itself is never logged.
    pub(crate) token_index: Option<usize>,
    pub(crate) correlation_id: &'a str,
}

/// Counts of one kind of failure.
#[derive(Debug)]
struct Repeats {
    total: u64,
    /// Failures of this kind that were not logged since the last line.
    suppressed: u64,
    last_logged: Instant,
}

/// Decides which failed requests get a log line.
///
/// Failures are grouped by status and fault. Within a group, the 1st, 2nd, 4th, 8th and
/// every later power-of-two occurrence is logged, and so is the first occurrence after
/// [`QUIET_PERIOD`] without a line. Each line carries the group's total and how many
/// occurrences were left out since the previous line. So n failures of one kind print at
/// most log2(n) + 1 lines plus one line per 10 s.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    groups: HashMap<Failure, Repeats>,
}

impl RequestLog {
    /// Counts `failure` and logs it at info level unless it is a suppressed repeat.
    pub(crate) fn record(&mut self, failure: Failure, request: RequestInfo<'_>, now: Instant) {
        let Some((total, suppressed)) = self.count(failure, now) else {
            return;
        };
        let message = if failure.fault.is_some() {
            "injected a fault"
        } else {
            "sent an error response"
        };
        info!(
            request = request.number,
            status = failure.status,
            fault = failure.fault,
            token_index = request.token_index,
            correlation_id = request.correlation_id,
            total,
            suppressed,
            "{message}"
        );
    }

    /// Counts `failure`, and returns the group's total and the number of suppressed
    /// repeats when this occurrence is logged, or `None` when it is suppressed.
    fn count(&mut self, failure: Failure, now: Instant) -> Option<(u64, u64)> {
        let repeats = self.groups.entry(failure).or_insert(Repeats {
            total: 0,
            suppressed: 0,
            last_logged: now,
        });
        repeats.total += 1;
        let quiet_too_long = now.duration_since(repeats.last_logged) >= QUIET_PERIOD;
        if !repeats.total.is_power_of_two() && !quiet_too_long {
            repeats.suppressed += 1;
            return None;
        }
        let suppressed = std::mem::take(&mut repeats.suppressed);
        repeats.last_logged = now;
        Some((repeats.total, suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICE_UNAVAILABLE: Failure = Failure {
        status: Some(503),
        fault: Some("status"),
    };

    #[test]
    fn flood_logs_powers_of_two() {
        let mut log = RequestLog::default();
        let now = Instant::now();

        let logged: Vec<(u64, u64)> = (0..1_000)
            .filter_map(|_| log.count(SERVICE_UNAVAILABLE, now))
            .collect();

        let totals: Vec<u64> = logged.iter().map(|&(total, _)| total).collect();
        assert_eq!(totals, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
        assert_eq!(
            logged[9],
            (512, 255),
            "the line counts the left-out repeats"
        );
    }

    #[test]
    fn repeat_logged_after_quiet_period() {
        let mut log = RequestLog::default();
        let start = Instant::now();
        for _ in 0..5 {
            log.count(SERVICE_UNAVAILABLE, start);
        }

        assert_eq!(
            log.count(SERVICE_UNAVAILABLE, start + Duration::from_secs(9)),
            None
        );
        assert_eq!(
            log.count(SERVICE_UNAVAILABLE, start + QUIET_PERIOD),
            Some((7, 2)),
            "the 5th and 6th occurrences were left out"
        );
    }

    #[test]
    fn groups_are_counted_apart() {
        let mut log = RequestLog::default();
        let now = Instant::now();
        let unauthorized = Failure {
            status: Some(401),
            fault: None,
        };

        assert_eq!(log.count(SERVICE_UNAVAILABLE, now), Some((1, 0)));
        assert_eq!(log.count(unauthorized, now), Some((1, 0)));
        assert_eq!(log.count(SERVICE_UNAVAILABLE, now), Some((2, 0)));
    }
}
