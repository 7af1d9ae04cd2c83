//! Client-side rate limiting, shared by every call of a [`Client`](crate::Client); the
//! rules are documented on [`RateLimit`].

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::error::InputError;
use crate::retry::rate_limit_interval;

/// Extra spacing between sends, as a fraction of `interval / max`.
pub const SAFETY_MARGIN: f64 = 0.02;

/// Header with the number of requests allowed per window.
const MAX_HEADER: &str = "x-hubspot-ratelimit-max";

/// Header with the number of requests left in the current window.
const REMAINING_HEADER: &str = "x-hubspot-ratelimit-remaining";

/// HubSpot's request limit per rolling 10-second window, by subscription.
///
/// NOTE: the numbers are HubSpot's published limits for private apps at the time of
/// writing, and HubSpot changes them now and then. The `X-HubSpot-RateLimit-Max` header
/// corrects a limit that is too generous.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubSpotTier {
    /// Free and Starter accounts: 100 requests per 10 s.
    FreeOrStarter,
    /// Professional and Enterprise accounts: 190 requests per 10 s.
    ProfessionalOrEnterprise,
    /// Accounts with the API limit increase: 250 requests per 10 s.
    ApiLimitIncrease,
}

impl HubSpotTier {
    /// Returns the requests allowed per 10-second window.
    pub const fn requests_per_window(self) -> u32 {
        match self {
            HubSpotTier::FreeOrStarter => 100,
            HubSpotTier::ProfessionalOrEnterprise => 190,
            HubSpotTier::ApiLimitIncrease => 250,
        }
    }
}

/// Rate at which a client may send requests.
///
/// HubSpot counts the requests of an account in a rolling window (10 s for most apps) and
/// returns 429 once a window contains its maximum. The client's limiter is a GCRA limiter
/// from `governor`, shared by every call of the client, that spaces sends evenly, with
/// three refinements:
///
/// * **Spacing.** Sends are spaced [`SAFETY_MARGIN`] further apart than `interval / max`,
///   because HubSpot counts arrivals, and the network can bring requests closer together
///   than they were sent. A GCRA limiter with burst `b` lets at most
///   `b + floor(window / spacing)` requests into any window, so the burst is the largest
///   value, at most 2, that keeps that count within `max`. A burst of 2 lets a send that
///   woke late be made up at once, so throughput stays at 1 / spacing.
/// * **Headers.** `X-HubSpot-RateLimit-Max` and `-Interval-Milliseconds` replace the
///   configured limit when they are stricter (or always, with
///   [`RateLimit::FromHeaders`]). When `X-HubSpot-RateLimit-Remaining` reaches 0, no
///   request is sent until one spacing after the request that saw it was sent, the
///   earliest time at which the rolling window can have room again.
/// * **Pauses.** After a 429, no request is sent until the wait it implies is over: every
///   batch respects one shared "not before" instant. This also applies with
///   [`RateLimit::None`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimit {
    /// No client-side limit. 429 responses and `Remaining: 0` still pause sending.
    None,
    /// Start at 100 requests per 10 s and follow the `X-HubSpot-RateLimit-Max` and
    /// `-Interval-Milliseconds` headers, up or down. This is the default.
    #[default]
    FromHeaders,
    /// The limit of a HubSpot subscription; headers may only lower it.
    Tier(HubSpotTier),
    /// `requests` per `interval`; headers may only lower it.
    PerInterval {
        /// Requests allowed per interval.
        requests: u32,
        /// Length of the rolling window.
        interval: Duration,
    },
}

/// Requests per window length: one rate, in the form HubSpot's headers give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    requests: u32,
    interval: Duration,
}

impl Window {
    const TEN_SECONDS: Duration = Duration::from_secs(10);

    /// Returns the time between two sends, including the safety margin.
    fn spacing(self) -> Duration {
        (self.interval / self.requests).mul_f64(1.0 + SAFETY_MARGIN)
    }

    /// Returns whether `self` allows fewer requests per second than `other`.
    fn is_stricter_than(self, other: Window) -> bool {
        let own = u128::from(self.requests) * other.interval.as_nanos();
        let theirs = u128::from(other.requests) * self.interval.as_nanos();
        own < theirs
    }

    /// Returns the largest burst, at most 2, that keeps any window within `requests`.
    fn burst(self) -> u32 {
        let sends_per_window = self.interval.as_secs_f64() / self.spacing().as_secs_f64();
        let room = self
            .requests
            .saturating_sub(sends_per_window.floor() as u32);
        room.clamp(1, 2)
    }

    fn limiter(self) -> DefaultDirectRateLimiter {
        let burst = NonZeroU32::new(self.burst()).unwrap_or(NonZeroU32::MIN);
        // The spacing is positive because validation rejects zero requests and intervals.
        let quota = Quota::with_period(self.spacing())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        RateLimiter::direct(quota)
    }
}

/// Limit in force, and whether headers may raise it.
#[derive(Debug)]
struct Current {
    window: Option<Window>,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
    follows_headers_up: bool,
}

/// Rate limiter state shared by every call of one client.
#[derive(Debug)]
pub(crate) struct Limiter {
    current: Mutex<Current>,
    not_before: Mutex<Option<Instant>>,
}

impl Limiter {
    /// Creates the limiter for a validated setting.
    pub(crate) fn new(setting: RateLimit) -> Self {
        let (window, follows_headers_up) = match setting {
            RateLimit::None => (None, false),
            RateLimit::FromHeaders => (Some(Window::tier(HubSpotTier::FreeOrStarter)), true),
            RateLimit::Tier(tier) => (Some(Window::tier(tier)), false),
            RateLimit::PerInterval { requests, interval } => {
                (Some(Window { requests, interval }), false)
            }
        };
        Self {
            current: Mutex::new(Current {
                window,
                limiter: window.map(|window| Arc::new(window.limiter())),
                follows_headers_up,
            }),
            not_before: Mutex::new(None),
        }
    }

    /// Waits until a request may be sent and returns how long that took.
    pub(crate) async fn acquire(&self) -> Duration {
        let started = Instant::now();
        self.wait_for_pause().await;
        let limiter = self.lock_current().limiter.clone();
        if let Some(limiter) = limiter {
            limiter.until_ready().await;
        }
        // A 429 seen by another batch while this one waited pauses it too.
        self.wait_for_pause().await;
        started.elapsed()
    }

    async fn wait_for_pause(&self) {
        loop {
            let until = *self
                .not_before
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }

    /// Holds every send until `until`, unless a later pause is already set.
    pub(crate) fn pause_until(&self, until: Instant) {
        let mut not_before = self
            .not_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if not_before.is_none_or(|current| current < until) {
            *not_before = Some(until);
        }
    }

    /// Applies the rate-limit headers of a response to a request sent at `sent_at`.
    pub(crate) fn observe(&self, headers: &HeaderMap, sent_at: Instant) {
        let max = header_u32(headers, MAX_HEADER);
        let interval = rate_limit_interval(headers);

        let spacing = {
            let mut current = self.lock_current();
            if let (Some(requests), Some(interval)) = (max, interval)
                && requests > 0
            {
                let reported = Window { requests, interval };
                current.adopt(reported);
            }
            current.window.map(Window::spacing)
        };

        if header_u32(headers, REMAINING_HEADER) == Some(0) {
            let spacing = spacing
                .or_else(|| {
                    Some(
                        Window {
                            requests: max?,
                            interval: interval?,
                        }
                        .spacing(),
                    )
                })
                .unwrap_or(Duration::from_millis(100));
            tracing::debug!(
                pause_ms = spacing.as_millis() as u64,
                "rate-limit window full, pausing sends"
            );
            self.pause_until(sent_at + spacing);
        }
    }

    fn lock_current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Current {
    /// Switches to the window a response reported when the rules allow it.
    fn adopt(&mut self, reported: Window) {
        let Some(window) = self.window else {
            // `RateLimit::None`: the caller asked for no client-side limit.
            return;
        };
        let change = if self.follows_headers_up {
            reported != window
        } else {
            reported.is_stricter_than(window)
        };
        if change {
            tracing::debug!(
                requests = reported.requests,
                interval_ms = reported.interval.as_millis() as u64,
                "rate limit changed by response headers"
            );
            self.window = Some(reported);
            self.limiter = Some(Arc::new(reported.limiter()));
        }
    }
}

impl Window {
    fn tier(tier: HubSpotTier) -> Self {
        Window {
            requests: tier.requests_per_window(),
            interval: Self::TEN_SECONDS,
        }
    }
}

/// Checks a rate-limit setting.
pub(crate) fn validate(setting: RateLimit) -> Result<(), InputError> {
    if let RateLimit::PerInterval { requests, interval } = setting {
        if requests == 0 {
            return Err(InputError::InvalidConfig {
                setting: "rate_limit",
                reason: "requests per interval must be at least 1".to_owned(),
            });
        }
        if interval < Duration::from_millis(1) {
            return Err(InputError::InvalidConfig {
                setting: "rate_limit",
                reason: format!("interval must be at least 1 ms, got {interval:?}"),
            });
        }
    }
    Ok(())
}

fn header_u32(headers: &HeaderMap, name: &str) -> Option<u32> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(requests: u32, seconds: u64) -> Window {
        Window {
            requests,
            interval: Duration::from_secs(seconds),
        }
    }

    #[test]
    fn burst_keeps_any_window_within_max() {
        for requests in [1, 2, 10, 49, 50, 51, 100, 190, 250, 1000] {
            let window = window(requests, 10);
            let per_window =
                (window.interval.as_secs_f64() / window.spacing().as_secs_f64()).floor() as u32;
            assert!(
                window.burst() + per_window <= requests,
                "{requests} per window"
            );
        }
    }

    #[test]
    fn tier_bursts() {
        assert_eq!(Window::tier(HubSpotTier::FreeOrStarter).burst(), 2);
        assert_eq!(window(10, 10).burst(), 1);
    }

    #[test]
    fn stricter_compares_rates() {
        assert!(window(100, 10).is_stricter_than(window(190, 10)));
        assert!(!window(19, 1).is_stricter_than(window(190, 10)));
        assert!(window(18, 1).is_stricter_than(window(190, 10)));
    }

    #[test]
    fn headers_lower_but_do_not_raise_explicit_limit() {
        let limiter = Limiter::new(RateLimit::Tier(HubSpotTier::ProfessionalOrEnterprise));
        let mut headers = HeaderMap::new();
        headers.insert(MAX_HEADER, "250".parse().unwrap());
        headers.insert(crate::retry::INTERVAL_HEADER, "10000".parse().unwrap());
        limiter.observe(&headers, Instant::now());
        assert_eq!(limiter.lock_current().window, Some(window(190, 10)));

        headers.insert(MAX_HEADER, "100".parse().unwrap());
        limiter.observe(&headers, Instant::now());
        assert_eq!(limiter.lock_current().window, Some(window(100, 10)));
    }

    #[test]
    fn headers_raise_default_limit() {
        let limiter = Limiter::new(RateLimit::FromHeaders);
        let mut headers = HeaderMap::new();
        headers.insert(MAX_HEADER, "190".parse().unwrap());
        headers.insert(crate::retry::INTERVAL_HEADER, "10000".parse().unwrap());
        limiter.observe(&headers, Instant::now());
        assert_eq!(limiter.lock_current().window, Some(window(190, 10)));
    }

    #[test]
    fn remaining_zero_pauses_sends() {
        let limiter = Limiter::new(RateLimit::None);
        let mut headers = HeaderMap::new();
        headers.insert(MAX_HEADER, "10".parse().unwrap());
        headers.insert(crate::retry::INTERVAL_HEADER, "1000".parse().unwrap());
        headers.insert(REMAINING_HEADER, "0".parse().unwrap());
        let sent_at = Instant::now();
        limiter.observe(&headers, sent_at);
        let until = limiter.not_before.lock().unwrap().unwrap();
        assert_eq!(until, sent_at + window(10, 1).spacing());
        assert_eq!(limiter.lock_current().window, None);
    }

    #[test]
    fn rejects_zero_requests() {
        let setting = RateLimit::PerInterval {
            requests: 0,
            interval: Duration::from_secs(1),
        };
        assert!(validate(setting).is_err());
    }
}
