//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::time::Duration;

use hubspot_workflow_ids::{Client, ClientBuilder, FlowId, Id, RateLimit, WorkflowId};
use hubspot_workflow_ids_api::types;
use hubspot_workflow_ids_fake::{FakeHubSpot, Mappings};
use serde_json::{Value, json};

/// Token that the fake server accepts and the logs must never show.
pub const TOKEN: &str = "pat-na1-secret-token-0123456789";

/// Builder pointed at `base_url` with no rate limit, tiny deterministic backoffs and one
/// batch at a time.
pub fn builder(base_url: &str) -> ClientBuilder {
    Client::builder(TOKEN)
        .base_url(base_url)
        .rate_limit(RateLimit::None)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .jitter(false)
        .max_retries(3)
        .concurrency(1)
}

/// Request body that the client sends for these flow IDs.
pub fn flow_input(ids: impl IntoIterator<Item = u64>) -> types::ApiFlowBatchMigrationInput {
    let inputs: Vec<Value> = ids
        .into_iter()
        .map(|id| json!({ "flowId": id.to_string(), "type": "FLOW_ID" }))
        .collect();
    serde_json::from_value(json!({ "inputs": inputs })).unwrap()
}

/// Request body that the client sends for these workflow IDs.
pub fn workflow_input(ids: impl IntoIterator<Item = u64>) -> types::ApiFlowBatchMigrationInput {
    let inputs: Vec<Value> = ids
        .into_iter()
        .map(|id| json!({ "workflowId": id.to_string(), "type": "WORKFLOW_ID" }))
        .collect();
    serde_json::from_value(json!({ "inputs": inputs })).unwrap()
}

/// 200 or 207 body with these `(flowId, workflowId)` results and error objects.
pub fn answer(
    results: impl IntoIterator<Item = (u64, u64)>,
    errors: Vec<Value>,
) -> types::BatchReadWorkflowIdMappingsResponse {
    let results: Vec<Value> = results
        .into_iter()
        .map(|(flow, workflow)| json!({ "flowId": flow, "workflowId": workflow }))
        .collect();
    serde_json::from_value(json!({
        "status": "COMPLETE",
        "results": results,
        "numErrors": errors.len(),
        "errors": errors,
        "startedAt": "2026-12-04T10:00:00Z",
        "completedAt": "2026-12-04T10:00:01Z",
    }))
    .unwrap()
}

/// HubSpot error body of a 4xx or 5xx response.
pub fn error_body(value: Value) -> types::Error {
    serde_json::from_value(value).unwrap()
}

/// Flow ID `n` as a mixed-call input.
pub fn flow(n: u64) -> Id {
    Id::Flow(FlowId::new(n).unwrap())
}

/// Workflow ID `n` as a mixed-call input.
pub fn workflow(n: u64) -> Id {
    Id::Workflow(WorkflowId::new(n).unwrap())
}

/// Log output captured from `tracing`, at every level.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Installs, for the whole process, a subscriber that writes every event and span here.
    ///
    /// A process-wide subscriber, rather than a per-thread one, keeps every callsite enabled:
    /// `tracing` caches whether a callsite is enabled, and a test without a subscriber on
    /// another thread can otherwise cache it as disabled.
    pub fn install_global(&self) {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(self.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other subscriber is installed in this test binary");
    }

    /// Returns everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = CapturedLogs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

pub async fn fake(
    configure: impl FnOnce(
        hubspot_workflow_ids_fake::FakeHubSpotBuilder,
    ) -> hubspot_workflow_ids_fake::FakeHubSpotBuilder,
) -> FakeHubSpot {
    let builder = FakeHubSpot::builder()
        .token(TOKEN)
        .mappings(Mappings::demo())
        .seed(7);
    configure(builder).start().await.unwrap()
}

/// Workflow IDs of the demo data, and the flow IDs they map to.
pub const DEMO_MAPPED: [(u64, u64); 2] = [(1001, 250_000_001), (1002, 2_147_483_648)];

pub async fn map_demo(client: &Client) -> hubspot_workflow_ids::Report<WorkflowId> {
    client
        .workflow_ids_to_flow_ids([1001_u64, 1002, 1004].map(|n| WorkflowId::new(n).unwrap()))
        .await
}

pub fn assert_demo_mapped(report: &hubspot_workflow_ids::Report<WorkflowId>) {
    assert!(report.is_complete(), "{:?}", report.errors());
    let mapped: Vec<(u64, u64)> = report
        .mapped()
        .map(|(input, mapping)| (input.get(), mapping.flow_id.get()))
        .collect();
    assert_eq!(mapped, DEMO_MAPPED);
    assert_eq!(
        report.unmapped().map(|id| id.get()).collect::<Vec<_>>(),
        [1004]
    );
}
