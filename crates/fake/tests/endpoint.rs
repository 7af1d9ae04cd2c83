//! Responses of the batch read endpoint without rate limits or faults.

mod common;

use common::{NO_SCOPE_TOKEN, TOKEN, builder, client, inputs, post, post_with};
use hubspot_workflow_ids_fake::{FakeHubSpot, Mappings};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Returns the `results` array as sorted (flowId, workflowId) pairs.
fn sorted_results(body: &Value) -> Vec<(u64, u64)> {
    let mut pairs: Vec<(u64, u64)> = body["results"]
        .as_array()
        .expect("results is an array")
        .iter()
        .map(|result| {
            (
                result["flowId"].as_u64().expect("flowId is an integer"),
                result["workflowId"]
                    .as_u64()
                    .expect("workflowId is an integer"),
            )
        })
        .collect();
    pairs.sort_unstable();
    pairs
}

fn assert_timestamps(body: &Value) {
    for field in ["requestedAt", "startedAt", "completedAt"] {
        let text = body[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} missing"));
        assert!(text.ends_with('Z'), "{field} = {text}");
        assert!(
            chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            "{field} = {text}"
        );
    }
}

#[tokio::test]
async fn all_mapped_returns_200() {
    let server = builder().start().await.unwrap();

    let reply = post(
        &server,
        &inputs(&[1001, 1003], &[2_147_483_648, 9_223_372_036_854_775_807]),
    )
    .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "COMPLETE");
    assert_eq!(
        sorted_results(&reply.body),
        vec![
            (250_000_001, 1001),
            (2_147_483_648, 1002),
            (9_007_199_254_740_993, 1003),
            (9_223_372_036_854_775_807, 1010),
        ]
    );
    assert!(reply.body.get("numErrors").is_none(), "{}", reply.body);
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    assert_timestamps(&reply.body);
    assert!(reply.header("x-hubspot-correlation-id").is_some());
    assert_eq!(
        reply.header("content-type"),
        Some("application/json;charset=utf-8")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn ids_keep_full_precision_on_the_wire() {
    let server = builder().start().await.unwrap();

    let response = common::send(&client(), &server, Some(TOKEN), &inputs(&[1003], &[]))
        .await
        .unwrap();
    let text = response.text().await.unwrap();

    assert!(
        text.contains(r#"{"flowId":9007199254740993,"workflowId":1003}"#),
        "{text}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn partial_miss_returns_207_naming_ids() {
    let server = builder().start().await.unwrap();

    let body = inputs(&[1001, 1004, 1007], &[999, 3_141_592_653, 998]);
    let reply = post(&server, &body).await;

    assert_eq!(reply.status, StatusCode::MULTI_STATUS);
    assert_eq!(reply.body["status"], "COMPLETE");
    assert_eq!(
        sorted_results(&reply.body),
        vec![(250_000_001, 1001), (3_141_592_653, 1009)]
    );
    assert_eq!(reply.body["numErrors"], 2);
    let errors = reply.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    for error in errors {
        assert_eq!(error["status"], "error");
        assert_eq!(error["category"], "OBJECT_NOT_FOUND");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(error["errors"], json!([]));
        assert_eq!(error["links"], json!({}));
    }
    assert_eq!(errors[0]["context"]["ids"], json!(["999", "998"]));
    assert_eq!(errors[1]["context"]["ids"], json!(["1004", "1007"]));
    assert_timestamps(&reply.body);
    server.shutdown().await;
}

#[tokio::test]
async fn no_match_returns_207_with_empty_results() {
    let server = builder().start().await.unwrap();

    let reply = post(&server, &inputs(&[1004], &[])).await;

    assert_eq!(reply.status, StatusCode::MULTI_STATUS);
    assert_eq!(reply.body["results"], json!([]));
    assert_eq!(reply.body["numErrors"], 1);
    assert_eq!(reply.body["errors"][0]["context"]["ids"], json!(["1004"]));
    server.shutdown().await;
}

#[tokio::test]
async fn duplicate_inputs_answered_once() {
    let server = builder().start().await.unwrap();

    let body = inputs(&[1001, 1001, 1004, 1004], &[250_000_001]);
    let reply = post(&server, &body).await;

    assert_eq!(reply.status, StatusCode::MULTI_STATUS);
    // The flow ID input is a different input for the same pair, so the pair comes twice.
    assert_eq!(
        sorted_results(&reply.body),
        vec![(250_000_001, 1001), (250_000_001, 1001)]
    );
    assert_eq!(reply.body["errors"][0]["context"]["ids"], json!(["1004"]));
    server.shutdown().await;
}

#[tokio::test]
async fn empty_inputs_returns_200() {
    let server = builder().start().await.unwrap();

    let reply = post(&server, r#"{"inputs":[]}"#).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["results"], json!([]));
    server.shutdown().await;
}

#[tokio::test]
async fn results_order_is_shuffled_and_seeded() {
    let workflow_ids: Vec<u64> = vec![1001, 1002, 1003, 1005, 1006, 1008, 1009, 1010];
    let body = inputs(&workflow_ids, &[]);
    let mut orders = Vec::new();
    for _ in 0..2 {
        let server = builder().seed(5).start().await.unwrap();
        let reply = post(&server, &body).await;
        let order: Vec<u64> = reply.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|result| result["workflowId"].as_u64().unwrap())
            .collect();
        orders.push(order);
        server.shutdown().await;
    }

    assert_eq!(orders[0], orders[1]);
    assert_ne!(orders[0], workflow_ids);
    let mut sorted = orders[0].clone();
    sorted.sort_unstable();
    assert_eq!(sorted, workflow_ids);
}

#[tokio::test]
async fn missing_token_returns_401() {
    let server = builder().start().await.unwrap();

    let reply = post_with(&server, None, &inputs(&[1001], &[])).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["status"], "error");
    assert_eq!(reply.body["category"], "INVALID_AUTHENTICATION");
    let message = reply.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Authentication credentials not found."),
        "{message}"
    );
    let correlation_id = reply.body["correlationId"].as_str().unwrap();
    assert_eq!(correlation_id.len(), 36, "{correlation_id}");
    assert_eq!(
        reply.header("x-hubspot-correlation-id"),
        Some(correlation_id)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_token_returns_401() {
    let server = builder().start().await.unwrap();

    let reply = post_with(&server, Some("stolen-token"), &inputs(&[1001], &[])).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.body["category"], "INVALID_AUTHENTICATION");
    server.shutdown().await;
}

#[tokio::test]
async fn non_bearer_scheme_returns_401() {
    let server = builder().start().await.unwrap();

    let response = client()
        .post(server.endpoint_url())
        .header("authorization", format!("Basic {TOKEN}"))
        .body(inputs(&[1001], &[]))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    server.shutdown().await;
}

#[tokio::test]
async fn any_token_accepted_without_configuration() {
    let server = FakeHubSpot::builder().start().await.unwrap();

    let reply = post_with(&server, Some("whatever"), &inputs(&[1001], &[])).await;
    let anonymous = post_with(&server, None, &inputs(&[1001], &[])).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    server.shutdown().await;
}

#[tokio::test]
async fn token_without_scope_returns_403() {
    let server = builder().start().await.unwrap();

    let reply = post_with(&server, Some(NO_SCOPE_TOKEN), &inputs(&[1001], &[])).await;

    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.body["status"], "error");
    assert_eq!(reply.body["category"], "MISSING_SCOPES");
    let message = reply.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("This app hasn't been granted all required scopes to make this call."),
        "{message}"
    );
    assert_eq!(
        reply.body["errors"],
        json!([{
            "message": "One or more of the following scopes are required.",
            "context": { "requiredGranularScopes": ["automation"] },
        }])
    );
    assert_eq!(
        reply.body["links"],
        json!({ "scopes": "https://developers.hubspot.com/scopes" })
    );
    assert!(reply.body["correlationId"].is_string());
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_bodies_return_400() {
    let server = builder().start().await.unwrap();
    let cases = [
        ("malformed JSON", r#"{"inputs":["#, "Invalid input JSON"),
        ("array body", "[]", "Invalid input JSON"),
        ("missing inputs", "{}", "`inputs` is missing"),
        (
            "inputs not an array",
            r#"{"inputs":{}}"#,
            "must be an array",
        ),
        ("input not an object", r#"{"inputs":["1001"]}"#, "inputs[0]"),
        (
            "missing type",
            r#"{"inputs":[{"workflowId":"1001"}]}"#,
            "`type` is missing",
        ),
        (
            "wrong type",
            r#"{"inputs":[{"type":"WORKFLOW","workflowId":"1001"}]}"#,
            "invalid `type` \"WORKFLOW\"",
        ),
        (
            "type of the other field",
            r#"{"inputs":[{"type":"FLOW_ID","workflowId":"1001"}]}"#,
            "`flowId` is missing",
        ),
        (
            "missing ID",
            r#"{"inputs":[{"type":"WORKFLOW_ID"},{"type":"FLOW_ID","flowId":"1"}]}"#,
            "inputs[0]: the required field `workflowId` is missing",
        ),
        (
            "non-numeric ID",
            r#"{"inputs":[{"type":"FLOW_ID","flowId":"1"},{"type":"FLOW_ID","flowId":"12a"}]}"#,
            "inputs[1]: invalid `flowId` \"12a\"",
        ),
        (
            "negative ID",
            r#"{"inputs":[{"type":"WORKFLOW_ID","workflowId":"-1001"}]}"#,
            "invalid `workflowId` \"-1001\"",
        ),
        (
            "ID as a JSON number",
            r#"{"inputs":[{"type":"WORKFLOW_ID","workflowId":1001}]}"#,
            "expected a decimal string",
        ),
        (
            "ID above u64",
            r#"{"inputs":[{"type":"FLOW_ID","flowId":"18446744073709551616"}]}"#,
            "invalid `flowId`",
        ),
    ];

    for (case, body, expected) in cases {
        let reply = post(&server, body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{case}");
        assert_eq!(reply.body["status"], "error", "{case}");
        assert_eq!(reply.body["category"], "VALIDATION_ERROR", "{case}");
        assert!(reply.body["correlationId"].is_string(), "{case}");
        let message = reply.body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{case}: {message}");
    }
    assert_eq!(server.counters().status(400), cases.len() as u64);
    server.shutdown().await;
}

#[tokio::test]
async fn batch_over_100_returns_400() {
    let server = builder().start().await.unwrap();
    let ids: Vec<u64> = (1..=101).collect();

    let at_limit = post(&server, &inputs(&ids[..100], &[])).await;
    let over_limit = post(&server, &inputs(&ids, &[])).await;

    assert_eq!(at_limit.status, StatusCode::MULTI_STATUS);
    assert_eq!(over_limit.status, StatusCode::BAD_REQUEST);
    assert_eq!(over_limit.body["category"], "VALIDATION_ERROR");
    let message = over_limit.body["message"].as_str().unwrap();
    assert!(message.contains("101"), "{message}");
    assert!(message.contains("maximum is 100"), "{message}");
    assert_eq!(server.counters().max_batch_size, 101);
    server.shutdown().await;
}

#[tokio::test]
async fn batch_limit_is_configurable() {
    let server = builder().max_batch_size(2).start().await.unwrap();

    let reply = post(&server, &inputs(&[1001, 1002, 1003], &[])).await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let message = reply.body["message"].as_str().unwrap();
    assert!(message.contains("maximum is 2"), "{message}");
    server.shutdown().await;
}

#[tokio::test]
async fn date_versioned_path_is_served() {
    let server = builder().start().await.unwrap();
    let client = client();

    for version in ["2026-09-beta", "2026-03"] {
        let url = format!(
            "{}/automation/{version}/workflow-id-mappings/batch/read",
            server.url()
        );
        let response = client
            .post(url)
            .bearer_auth(TOKEN)
            .body(inputs(&[1002], &[]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{version}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["results"][0]["flowId"], 2_147_483_648u64, "{version}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_are_rejected() {
    let server = builder().start().await.unwrap();
    let client = client();
    let url = |path: &str| format!("{}{path}", server.url());

    let unknown_version = client
        .post(url("/automation/v3/workflow-id-mappings/batch/read"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let unknown_path = client
        .post(url("/automation/v4/flows"))
        .send()
        .await
        .unwrap();
    let get = client.get(server.endpoint_url()).send().await.unwrap();

    assert_eq!(unknown_version.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown_path.status(), StatusCode::NOT_FOUND);
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(server.counters().requests, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn counters_track_statuses_and_tokens() {
    let server = builder().start().await.unwrap();

    post(&server, &inputs(&[1001], &[])).await;
    post(&server, &inputs(&[1001, 1004, 1005], &[])).await;
    post(&server, "{}").await;
    post_with(&server, None, "{}").await;
    post_with(&server, Some(NO_SCOPE_TOKEN), "{}").await;

    let counters = server.counters();
    assert_eq!(counters.requests, 5);
    assert_eq!(counters.status(200), 1);
    assert_eq!(counters.status(207), 1);
    assert_eq!(counters.status(400), 1);
    assert_eq!(counters.status(401), 1);
    assert_eq!(counters.status(403), 1);
    assert_eq!(counters.max_batch_size, 3);
    assert_eq!(counters.rate_limited, 0);
    assert_eq!(counters.faults_injected, 0);

    let scoped = counters.token(TOKEN);
    assert_eq!(scoped.requests, 3);
    assert_eq!(scoped.status(200), 1);
    assert_eq!(scoped.status(207), 1);
    assert_eq!(scoped.status(400), 1);
    assert_eq!(scoped.max_batch_size, 3);
    let unscoped = counters.token(NO_SCOPE_TOKEN);
    assert_eq!(unscoped.requests, 1);
    assert_eq!(unscoped.status(403), 1);
    assert_eq!(counters.by_token.len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn generated_mappings_are_served() {
    let mappings = Mappings::generated(3, 50);
    let pairs = mappings.to_vec();
    let server = builder().mappings(mappings).start().await.unwrap();

    let workflow_ids: Vec<u64> = pairs.iter().map(|pair| pair.workflow_id).collect();
    let reply = post(&server, &inputs(&workflow_ids, &[])).await;

    assert_eq!(reply.status, StatusCode::OK);
    let mut expected: Vec<(u64, u64)> = pairs
        .iter()
        .map(|pair| (pair.flow_id, pair.workflow_id))
        .collect();
    expected.sort_unstable();
    assert_eq!(sorted_results(&reply.body), expected);
    server.shutdown().await;
}
