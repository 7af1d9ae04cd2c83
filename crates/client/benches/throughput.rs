//! Measures the client against the fake HubSpot server on 127.0.0.1 and prints three
//! ratios, each taken within one run:
//!
//! 1. peak resident memory (`VmHWM` of this process, fake server included) while
//!    streaming 1,000,000 IDs; target below 64 MiB. It runs first, so that the other
//!    measurements do not raise the peak;
//! 2. with a known rate limit, the throughput as a percentage of that limit, and the
//!    number of 429 responses, over at least 300 requests. The target is at least 97% and
//!    no 429;
//! 3. with no rate limit, the throughput as a percentage of a plain `reqwest` +
//!    `serde_json` loop that sends the same batches at the same concurrency to the same
//!    server. The target is at least 95%.
//!
//! Run with `cargo bench -p hubspot-workflow-ids --bench throughput`; it takes about
//! 20 s. The figures depend on the machine; record them with its CPU count.

use std::time::{Duration, Instant};

use futures::StreamExt;
use hubspot_workflow_ids::{Client, Id, RateLimit, WorkflowId};
use hubspot_workflow_ids_fake::{FakeHubSpot, Mappings};

const TOKEN: &str = "bench-token";

/// Batches in flight at once, for the client and for the plain loop.
const CONCURRENCY: usize = 8;

/// Rate limit of the fake server in the limited run: requests per window. With 100 per
/// window the client's limiter runs with a burst of 2, as it does for HubSpot's tiers.
const LIMIT_REQUESTS: u32 = 100;

/// Window of the fake server's rate limit in the limited run, shorter than HubSpot's
/// 10 s so that the run stays short.
const LIMIT_WINDOW: Duration = Duration::from_secs(2);

/// Requests of the limited run; at 50 per second it takes about 6.5 s.
const LIMITED_REQUESTS: u64 = 320;

/// Requests of each unlimited run.
const UNLIMITED_REQUESTS: u64 = 2_000;

/// IDs streamed in the memory run.
const STREAMED_IDS: u64 = 1_000_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    println!(
        "machine: {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    measure_streaming_memory().await;
    measure_limited_throughput().await;
    measure_unlimited_throughput().await;
}

async fn start_fake(rate_limit: Option<(u32, Duration)>) -> FakeHubSpot {
    let mut builder = FakeHubSpot::builder()
        .token(TOKEN)
        .mappings(Mappings::demo());
    if let Some((requests, window)) = rate_limit {
        builder = builder.rate_limit(requests, window);
    }
    builder.start().await.expect("fake server starts")
}

fn client(url: &str, rate_limit: RateLimit) -> Client {
    Client::builder(TOKEN)
        .base_url(url)
        .rate_limit(rate_limit)
        .concurrency(CONCURRENCY)
        .build()
        .expect("valid settings")
}

/// Workflow IDs for `requests` full batches of 100.
fn workflow_ids(requests: u64) -> impl Iterator<Item = Id> + Send + 'static {
    (1..=requests * 100).map(|n| Id::Workflow(WorkflowId::new(n).unwrap()))
}

async fn measure_streaming_memory() {
    let server = start_fake(None).await;
    let client = client(&server.url(), RateLimit::None);
    let before = peak_resident_kib();

    let started = Instant::now();
    let mut stream =
        client.stream_iter((1..=STREAMED_IDS).map(|n| Id::Workflow(WorkflowId::new(n).unwrap())));
    let progress = stream.progress();
    let mut outcomes: u64 = 0;
    while stream.next().await.is_some() {
        outcomes += 1;
    }
    let elapsed = started.elapsed();
    let after = peak_resident_kib();

    let stats = progress.snapshot();
    assert_eq!(outcomes, STREAMED_IDS, "one outcome per ID");
    println!(
        "(c) streamed {STREAMED_IDS} IDs in {} requests, {:.1} s: peak RSS {:.1} MiB \
         (target < 64 MiB; {:.1} MiB before streaming)",
        stats.requests,
        elapsed.as_secs_f64(),
        after as f64 / 1024.0,
        before as f64 / 1024.0,
    );
    server.shutdown().await;
}

async fn measure_limited_throughput() {
    let server = start_fake(Some((LIMIT_REQUESTS, LIMIT_WINDOW))).await;
    let client = client(
        &server.url(),
        RateLimit::PerInterval {
            requests: LIMIT_REQUESTS,
            interval: LIMIT_WINDOW,
        },
    );

    let started = Instant::now();
    let report = client.map_ids(workflow_ids(LIMITED_REQUESTS)).await;
    let elapsed = started.elapsed();

    let stats = report.stats();
    let limit_per_second = f64::from(LIMIT_REQUESTS) / LIMIT_WINDOW.as_secs_f64();
    let achieved = stats.requests as f64 / elapsed.as_secs_f64();
    println!(
        "(a) limit {LIMIT_REQUESTS} per {:?}: {} requests in {:.2} s = {:.2}/s, \
         {:.1}% of the limit (target >= 97%); 429 responses: {} (server counted {}); \
         complete: {}",
        LIMIT_WINDOW,
        stats.requests,
        elapsed.as_secs_f64(),
        achieved,
        100.0 * achieved / limit_per_second,
        stats.rate_limited,
        server.counters().rate_limited,
        report.is_complete(),
    );
    server.shutdown().await;
}

async fn measure_unlimited_throughput() {
    let server = start_fake(None).await;
    let url = server.url();
    let client = client(&url, RateLimit::None);
    let plain = reqwest::Client::new();

    // Two rounds each, alternating, and the best of each, to damp noise on a small machine.
    let mut best_client: f64 = 0.0;
    let mut best_plain: f64 = 0.0;
    for _ in 0..2 {
        best_plain = best_plain.max(plain_loop(&plain, &url).await);

        let started = Instant::now();
        let report = client.map_ids(workflow_ids(UNLIMITED_REQUESTS)).await;
        let rate = report.stats().requests as f64 / started.elapsed().as_secs_f64();
        assert!(report.is_complete());
        best_client = best_client.max(rate);
    }
    println!(
        "(b) no limit, concurrency {CONCURRENCY}: client {best_client:.0} requests/s, \
         plain reqwest + serde_json {best_plain:.0} requests/s: {:.1}% (target >= 95%)",
        100.0 * best_client / best_plain
    );
    server.shutdown().await;
}

/// Sends the same batches as the client with `reqwest` and `serde_json` alone and
/// returns the requests per second.
async fn plain_loop(http: &reqwest::Client, base_url: &str) -> f64 {
    let endpoint = format!("{base_url}/automation/v4/workflow-id-mappings/batch/read");
    let started = Instant::now();
    let ok = futures::stream::iter(0..UNLIMITED_REQUESTS)
        .map(|batch| {
            let inputs: Vec<serde_json::Value> = (batch * 100 + 1..=batch * 100 + 100)
                .map(|n| serde_json::json!({ "workflowId": n.to_string(), "type": "WORKFLOW_ID" }))
                .collect();
            let body = serde_json::json!({ "inputs": inputs });
            let request = http.post(&endpoint).bearer_auth(TOKEN).json(&body);
            async move {
                let response = request.send().await.ok()?;
                let bytes = response.bytes().await.ok()?;
                serde_json::from_slice::<serde_json::Value>(&bytes).ok()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter(|answer| futures::future::ready(answer.is_some()))
        .count()
        .await;
    assert_eq!(
        ok as u64, UNLIMITED_REQUESTS,
        "every plain request succeeded"
    );
    UNLIMITED_REQUESTS as f64 / started.elapsed().as_secs_f64()
}

/// Returns the peak resident set size of this process in KiB, from `VmHWM`.
fn peak_resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
