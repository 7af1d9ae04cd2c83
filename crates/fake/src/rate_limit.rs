//! Per-token rolling-window and daily request limits.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use tokio::time::Instant;

/// Limits that apply to each token separately.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RateLimits {
    /// Maximum requests within any rolling window, and the window's length.
    pub(crate) window: Option<(u32, Duration)>,
    /// Maximum requests per UTC calendar day.
    pub(crate) daily: Option<u64>,
}

/// Requests that one token made recently.
#[derive(Debug, Default)]
pub(crate) struct TokenUsage {
    /// Arrival times of the accepted requests within the current window, oldest first.
    window: VecDeque<Instant>,
    /// UTC day that `daily_count` belongs to.
    day: Option<NaiveDate>,
    daily_count: u64,
}

/// Limit that rejected a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// HubSpot's `TEN_SECONDLY_ROLLING` policy, used for every window length.
    Rolling,
    /// HubSpot's `DAILY` policy.
    Daily,
}

impl Policy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Policy::Rolling => "TEN_SECONDLY_ROLLING",
            Policy::Daily => "DAILY",
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            Policy::Rolling => "You have reached your ten_secondly_rolling limit.",
            Policy::Daily => "You have reached your daily limit.",
        }
    }
}

/// Values of the `X-HubSpot-RateLimit-*` response headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LimitHeaders {
    /// Window maximum, remaining requests and window length.
    pub(crate) window: Option<(u32, u32, Duration)>,
    /// Daily maximum and remaining requests.
    pub(crate) daily: Option<(u64, u64)>,
}

/// Result of counting one request against a token's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Accepted(LimitHeaders),
    Rejected {
        policy: Policy,
        /// Time until the request would be accepted.
        retry_after: Duration,
        headers: LimitHeaders,
    },
}

impl TokenUsage {
    /// Counts a request at `now` if both limits allow it.
    ///
    /// A rejected request is not counted, so a client that keeps retrying gets through as
    /// soon as the oldest accepted request leaves the window.
    pub(crate) fn try_acquire(&mut self, limits: &RateLimits, now: Instant) -> Decision {
        self.forget_expired(limits, now);

        if let Some(max) = limits.daily
            && self.daily_count >= max
        {
            return Decision::Rejected {
                policy: Policy::Daily,
                retry_after: duration_until_utc_midnight(),
                headers: self.headers(limits),
            };
        }
        if let Some((max, interval)) = limits.window
            && self.window.len() >= max as usize
        {
            let retry_after = self.window.front().map_or(interval, |&oldest| {
                (oldest + interval).saturating_duration_since(now)
            });
            return Decision::Rejected {
                policy: Policy::Rolling,
                retry_after,
                headers: self.headers(limits),
            };
        }

        if limits.window.is_some() {
            self.window.push_back(now);
        }
        self.daily_count += 1;
        Decision::Accepted(self.headers(limits))
    }

    /// Returns the header values without counting a request.
    pub(crate) fn peek(&mut self, limits: &RateLimits, now: Instant) -> LimitHeaders {
        self.forget_expired(limits, now);
        self.headers(limits)
    }

    fn forget_expired(&mut self, limits: &RateLimits, now: Instant) {
        if let Some((_, interval)) = limits.window {
            while let Some(&oldest) = self.window.front() {
                if now.saturating_duration_since(oldest) < interval {
                    break;
                }
                self.window.pop_front();
            }
        }
        let today = Utc::now().date_naive();
        if self.day != Some(today) {
            self.day = Some(today);
            self.daily_count = 0;
        }
    }

    fn headers(&self, limits: &RateLimits) -> LimitHeaders {
        LimitHeaders {
            window: limits.window.map(|(max, interval)| {
                let used = u32::try_from(self.window.len()).unwrap_or(u32::MAX);
                (max, max.saturating_sub(used), interval)
            }),
            daily: limits
                .daily
                .map(|max| (max, max.saturating_sub(self.daily_count))),
        }
    }
}

fn duration_until_utc_midnight() -> Duration {
    let now = Utc::now();
    let midnight = (now.date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    (midnight - now).to_std().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(10);

    #[test]
    fn window_rejects_then_recovers() {
        let limits = RateLimits {
            window: Some((2, INTERVAL)),
            daily: None,
        };
        let mut usage = TokenUsage::default();
        let start = Instant::now();

        let first = usage.try_acquire(&limits, start);
        assert_eq!(
            first,
            Decision::Accepted(LimitHeaders {
                window: Some((2, 1, INTERVAL)),
                daily: None,
            })
        );
        assert!(matches!(
            usage.try_acquire(&limits, start + Duration::from_secs(4)),
            Decision::Accepted(_)
        ));

        let rejected = usage.try_acquire(&limits, start + Duration::from_secs(5));
        let Decision::Rejected {
            policy,
            retry_after,
            headers,
        } = rejected
        else {
            panic!("expected a rejection, got {rejected:?}");
        };
        assert_eq!(policy, Policy::Rolling);
        assert_eq!(retry_after, Duration::from_secs(5));
        assert_eq!(headers.window, Some((2, 0, INTERVAL)));

        assert!(matches!(
            usage.try_acquire(&limits, start + INTERVAL),
            Decision::Accepted(_)
        ));
    }

    #[test]
    fn window_ignores_rejected_requests() {
        let limits = RateLimits {
            window: Some((1, INTERVAL)),
            daily: None,
        };
        let mut usage = TokenUsage::default();
        let start = Instant::now();

        assert!(matches!(
            usage.try_acquire(&limits, start),
            Decision::Accepted(_)
        ));
        for second in 1..10 {
            let now = start + Duration::from_secs(second);
            let decision = usage.try_acquire(&limits, now);
            assert!(
                matches!(decision, Decision::Rejected { .. }),
                "{decision:?}"
            );
        }

        let decision = usage.try_acquire(&limits, start + INTERVAL);
        assert_eq!(
            decision,
            Decision::Accepted(LimitHeaders {
                window: Some((1, 0, INTERVAL)),
                daily: None,
            })
        );
    }

    #[test]
    fn daily_cap_rejects_without_counting() {
        let limits = RateLimits {
            window: None,
            daily: Some(1),
        };
        let mut usage = TokenUsage::default();
        let now = Instant::now();
        assert!(matches!(
            usage.try_acquire(&limits, now),
            Decision::Accepted(_)
        ));
        for _ in 0..3 {
            let decision = usage.try_acquire(&limits, now);
            assert!(
                matches!(
                    decision,
                    Decision::Rejected {
                        policy: Policy::Daily,
                        ..
                    }
                ),
                "{decision:?}"
            );
        }
        assert_eq!(usage.daily_count, 1);
    }
}
