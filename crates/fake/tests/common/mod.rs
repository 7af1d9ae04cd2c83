//! Helpers shared by the integration tests.

// Each test binary compiles this module and uses a different subset of it.
#![allow(dead_code)]

use std::time::Duration;

use hubspot_workflow_ids_fake::{FakeHubSpot, FakeHubSpotBuilder};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// Token with the automation scope, accepted by [`builder`].
pub const TOKEN: &str = "demo-token";
/// Token without the automation scope, accepted by [`builder`].
pub const NO_SCOPE_TOKEN: &str = "no-scope-token";

/// Returns a builder with [`TOKEN`], [`NO_SCOPE_TOKEN`] and the demo data.
pub fn builder() -> FakeHubSpotBuilder {
    FakeHubSpot::builder()
        .token(TOKEN)
        .token_without_scope(NO_SCOPE_TOKEN)
}

/// Returns a client whose timeout only stops a test that would otherwise wait forever.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

/// Builds a request body with the workflow IDs first, then the flow IDs.
pub fn inputs(workflow_ids: &[u64], flow_ids: &[u64]) -> String {
    let workflow_inputs = workflow_ids
        .iter()
        .map(|id| format!(r#"{{"type":"WORKFLOW_ID","workflowId":"{id}"}}"#));
    let flow_inputs = flow_ids
        .iter()
        .map(|id| format!(r#"{{"type":"FLOW_ID","flowId":"{id}"}}"#));
    let all: Vec<String> = workflow_inputs.chain(flow_inputs).collect();
    format!(r#"{{"inputs":[{}]}}"#, all.join(","))
}

/// Sends `body` to the v4 endpoint with `token` as the bearer token, if any.
pub async fn send(
    client: &reqwest::Client,
    server: &FakeHubSpot,
    token: Option<&str>,
    body: &str,
) -> reqwest::Result<reqwest::Response> {
    let mut request = client
        .post(server.endpoint_url())
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await
}

/// Status, headers and JSON body of one response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Returns a header's value as text, or `None` if the header is missing.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("header is visible ASCII"))
    }
}

/// Sends `body` with [`TOKEN`] and parses the JSON response.
pub async fn post(server: &FakeHubSpot, body: &str) -> Reply {
    post_with(server, Some(TOKEN), body).await
}

/// Sends `body` with `token` and parses the JSON response.
pub async fn post_with(server: &FakeHubSpot, token: Option<&str>, body: &str) -> Reply {
    let response = send(&client(), server, token, body)
        .await
        .expect("request succeeds");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body is complete");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("body is not JSON ({error}): {text}"));
    Reply {
        status,
        headers,
        body,
    }
}
