//! Counters of a running call, readable while it runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Live counters of one mapping call; clones share them.
///
/// Read [`Progress::snapshot`] from another task, for example to draw a progress bar,
/// while the call runs.
#[derive(Clone, Debug)]
pub struct Progress(Arc<Counters>);

#[derive(Debug)]
struct Counters {
    started: Instant,
    inputs: AtomicU64,
    unique_inputs: AtomicU64,
    batches_done: AtomicU64,
    ids_done: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    limiter_wait_nanos: AtomicU64,
    mapped: AtomicU64,
    unmapped: AtomicU64,
    failed: AtomicU64,
}

/// Values of a [`Progress`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgressSnapshot {
    /// IDs read from the input so far, duplicates included.
    pub inputs: u64,
    /// Distinct IDs read so far.
    pub unique_inputs: u64,
    /// Batches with a final outcome.
    pub batches_done: u64,
    /// Distinct IDs with a final outcome.
    pub ids_done: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests that were resends of a failed attempt.
    pub retries: u64,
    /// Responses with status 429.
    pub rate_limited: u64,
    /// Time that batches spent waiting for the rate limiter, added up over batches.
    pub limiter_wait: Duration,
    /// IDs that have a mapping.
    pub mapped: u64,
    /// IDs that HubSpot has no mapping for.
    pub unmapped: u64,
    /// IDs whose batch or lookup failed.
    pub failed: u64,
    /// Time since the call started.
    pub elapsed: Duration,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Self(Arc::new(Counters {
            started: Instant::now(),
            inputs: AtomicU64::new(0),
            unique_inputs: AtomicU64::new(0),
            batches_done: AtomicU64::new(0),
            ids_done: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            limiter_wait_nanos: AtomicU64::new(0),
            mapped: AtomicU64::new(0),
            unmapped: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }))
    }

    /// Returns the current values.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let counters = &self.0;
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ProgressSnapshot {
            inputs: read(&counters.inputs),
            unique_inputs: read(&counters.unique_inputs),
            batches_done: read(&counters.batches_done),
            ids_done: read(&counters.ids_done),
            requests: read(&counters.requests),
            retries: read(&counters.retries),
            rate_limited: read(&counters.rate_limited),
            limiter_wait: Duration::from_nanos(read(&counters.limiter_wait_nanos)),
            mapped: read(&counters.mapped),
            unmapped: read(&counters.unmapped),
            failed: read(&counters.failed),
            elapsed: counters.started.elapsed(),
        }
    }

    pub(crate) fn add_input(&self, unique: bool) {
        self.0.inputs.fetch_add(1, Ordering::Relaxed);
        if unique {
            self.0.unique_inputs.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn add_request(&self, is_retry: bool) {
        self.0.requests.fetch_add(1, Ordering::Relaxed);
        if is_retry {
            self.0.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn add_rate_limited(&self) {
        self.0.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_limiter_wait(&self, wait: Duration) {
        let nanos = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        self.0
            .limiter_wait_nanos
            .fetch_add(nanos, Ordering::Relaxed);
    }

    pub(crate) fn add_batch(&self, mapped: u64, unmapped: u64, failed: u64) {
        let counters = &self.0;
        counters.batches_done.fetch_add(1, Ordering::Relaxed);
        counters
            .ids_done
            .fetch_add(mapped + unmapped + failed, Ordering::Relaxed);
        counters.mapped.fetch_add(mapped, Ordering::Relaxed);
        counters.unmapped.fetch_add(unmapped, Ordering::Relaxed);
        counters.failed.fetch_add(failed, Ordering::Relaxed);
    }
}
