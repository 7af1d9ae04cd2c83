//! Request statistics that tests read through [`crate::FakeHubSpot::counters`].

use std::collections::BTreeMap;

/// Snapshot of what the server has received and sent since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Requests that reached the endpoint, whatever the outcome.
    pub requests: u64,
    /// Complete responses sent, by HTTP status. Injected status faults count here under
    /// their status. Resets, truncated bodies and hangs do not count here.
    pub responses_by_status: BTreeMap<u16, u64>,
    /// Length of the largest `inputs` array among the requests that the server validated,
    /// duplicates included. Batches rejected for exceeding the maximum count too.
    pub max_batch_size: usize,
    /// Responses with status 429 sent by the rate limiter, not by fault injection.
    pub rate_limited: u64,
    /// Fault rules that fired, latency rules included. One request can count more than once
    /// when latency rules fire before another fault.
    pub faults_injected: u64,
    /// The same counts for each token that passed authentication, keyed by the token.
    pub by_token: BTreeMap<String, TokenCounters>,
}

/// Counts for requests made with one token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCounters {
    /// Requests made with the token, including those rejected with 403.
    pub requests: u64,
    /// Complete responses sent, by HTTP status.
    pub responses_by_status: BTreeMap<u16, u64>,
    /// Length of the largest `inputs` array received.
    pub max_batch_size: usize,
    /// Responses with status 429 sent by the rate limiter.
    pub rate_limited: u64,
    /// Faults injected.
    pub faults_injected: u64,
}

impl Counters {
    /// Returns the number of responses sent with `status`.
    pub fn status(&self, status: u16) -> u64 {
        self.responses_by_status.get(&status).copied().unwrap_or(0)
    }

    /// Returns the counts for `token`, or zeros if the server never authenticated it.
    pub fn token(&self, token: &str) -> TokenCounters {
        self.by_token.get(token).cloned().unwrap_or_default()
    }

    pub(crate) fn record_request(&mut self) {
        self.requests += 1;
    }

    pub(crate) fn record_authenticated(&mut self, token: &str) {
        self.token_entry(token).requests += 1;
    }

    pub(crate) fn record_status(&mut self, token: Option<&str>, status: u16) {
        *self.responses_by_status.entry(status).or_default() += 1;
        if let Some(token) = token {
            *self
                .token_entry(token)
                .responses_by_status
                .entry(status)
                .or_default() += 1;
        }
    }

    pub(crate) fn record_batch_size(&mut self, token: &str, size: usize) {
        self.max_batch_size = self.max_batch_size.max(size);
        let entry = self.token_entry(token);
        entry.max_batch_size = entry.max_batch_size.max(size);
    }

    pub(crate) fn record_rate_limited(&mut self, token: &str) {
        self.rate_limited += 1;
        self.token_entry(token).rate_limited += 1;
    }

    pub(crate) fn record_fault(&mut self, token: &str) {
        self.faults_injected += 1;
        self.token_entry(token).faults_injected += 1;
    }

    fn token_entry(&mut self, token: &str) -> &mut TokenCounters {
        self.by_token.entry(token.to_owned()).or_default()
    }
}

impl TokenCounters {
    /// Returns the number of responses sent with `status` for this token.
    pub fn status(&self, status: u16) -> u64 {
        self.responses_by_status.get(&status).copied().unwrap_or(0)
    }
}
