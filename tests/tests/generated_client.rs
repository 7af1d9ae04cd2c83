//! The generated low-level client against httpmock, through the generated typed helpers.

use httpmock::MockServer;
use hubspot_workflow_ids_api::types::{
    ApiFlowBatchFetchMigrationFlowIdCoordinate, ApiFlowBatchFetchMigrationFlowIdCoordinateType,
    ApiFlowBatchFetchMigrationWorkflowIdCoordinate,
    ApiFlowBatchFetchMigrationWorkflowIdCoordinateType, ApiFlowBatchMigrationInput,
    ApiFlowBatchMigrationInputInputsItem, BatchReadWorkflowIdMappingsResponse,
};
use hubspot_workflow_ids_api::{Client, Error, RequestHooks, types};
use hubspot_workflow_ids_api_httpmock::MockServerExt;
use serde_json::{Value, json};

fn flow(id: &str) -> ApiFlowBatchMigrationInputInputsItem {
    ApiFlowBatchMigrationInputInputsItem::FlowIdCoordinate(
        ApiFlowBatchFetchMigrationFlowIdCoordinate {
            type_: ApiFlowBatchFetchMigrationFlowIdCoordinateType::FlowId,
            flow_id: Some(id.to_owned()),
        },
    )
}

fn workflow(id: &str) -> ApiFlowBatchMigrationInputInputsItem {
    ApiFlowBatchMigrationInputInputsItem::WorkflowIdCoordinate(
        ApiFlowBatchFetchMigrationWorkflowIdCoordinate {
            type_: ApiFlowBatchFetchMigrationWorkflowIdCoordinateType::WorkflowId,
            workflow_id: Some(id.to_owned()),
        },
    )
}

fn mixed_input() -> ApiFlowBatchMigrationInput {
    ApiFlowBatchMigrationInput {
        inputs: vec![flow("2147483648"), workflow("1001")],
    }
}

fn complete_body(results: Value) -> Value {
    json!({
        "status": "COMPLETE",
        "results": results,
        "requestedAt": "2026-12-04T10:00:00Z",
        "startedAt": "2026-12-04T10:00:00.120Z",
        "completedAt": "2026-12-04T10:00:00.350Z",
        "links": {},
    })
}

fn decoded(body: Value) -> BatchReadWorkflowIdMappingsResponse {
    serde_json::from_value(body).unwrap()
}

fn client(server: &MockServer) -> (Client, RequestHooks) {
    let hooks = RequestHooks::new();
    (Client::new(&server.base_url(), hooks.clone()), hooks)
}

async fn send(
    client: &Client,
) -> Result<
    progenitor_client::ResponseValue<BatchReadWorkflowIdMappingsResponse>,
    Error<types::Error>,
> {
    client
        .batch_read_workflow_id_mappings()
        .api_version("v4")
        .body(mixed_input())
        .send()
        .await
}

#[tokio::test]
async fn request_json_for_mixed_inputs_is_exact() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("POST")
            .path("/automation/v4/workflow-id-mappings/batch/read")
            .header("content-type", "application/json")
            .json_body(json!({"inputs": [
                {"flowId": "2147483648", "type": "FLOW_ID"},
                {"type": "WORKFLOW_ID", "workflowId": "1001"},
            ]}));
        then.status(200).json_body(complete_body(json!([])));
    });
    let (client, _) = client(&server);
    send(&client).await.unwrap();
    mock.assert();
}

#[tokio::test]
async fn typed_helper_matches_date_versioned_path() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|when, then| {
        when.api_version("2026-09-beta").body(&mixed_input());
        then.ok(&decoded(complete_body(json!([]))));
    });
    let (client, _) = client(&server);
    client
        .batch_read_workflow_id_mappings()
        .api_version("2026-09-beta")
        .body(mixed_input())
        .send()
        .await
        .unwrap();
    mock.assert();
}

#[tokio::test]
async fn hook_headers_reach_caller_supplied_client() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("POST")
            .header("authorization", "Bearer test-token")
            .header("x-caller-header", "kept");
        then.status(200).json_body(complete_body(json!([])));
    });
    let mut caller_headers = reqwest::header::HeaderMap::new();
    caller_headers.insert("x-caller-header", "kept".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(caller_headers)
        .build()
        .unwrap();
    let mut authorization = reqwest::header::HeaderValue::from_static("Bearer test-token");
    authorization.set_sensitive(true);
    let hooks = RequestHooks::new().with_header(reqwest::header::AUTHORIZATION, authorization);
    assert!(!format!("{hooks:?}").contains("test-token"));
    let client = Client::new_with_client(&server.base_url(), http, hooks.clone());
    send(&client).await.unwrap();
    mock.assert();
    assert_eq!(hooks.last_response().take().unwrap().status, 200);
}

#[tokio::test]
async fn ok_response_decodes_results() {
    let server = MockServer::start_async().await;
    server.batch_read_workflow_id_mappings(|when, then| {
        when.api_version("v4");
        then.ok(&decoded(complete_body(
            json!([{"flowId": 2147483648u64, "workflowId": 1001}]),
        )));
    });
    let (client, _) = client(&server);
    let response = send(&client).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.status, "COMPLETE");
    assert_eq!(response.results.len(), 1);
    assert_eq!(response.results[0].flow_id, 2_147_483_648);
    assert_eq!(response.results[0].workflow_id, 1001);
}

#[tokio::test]
async fn multi_status_decodes_errors() {
    let server = MockServer::start_async().await;
    let mut body = complete_body(json!([{"flowId": 2147483648u64, "workflowId": 1001}]));
    body["numErrors"] = json!(1);
    body["errors"] = json!([{
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "FLOW_NOT_FOUND",
        "message": "Could not find the flows",
        "context": {"ids": ["77"]},
        "errors": [],
        "links": {},
    }]);
    server.batch_read_workflow_id_mappings(|when, then| {
        when.api_version("v4");
        then.multi_status(&decoded(body));
    });
    let (client, _) = client(&server);
    let response = send(&client).await.unwrap();
    assert_eq!(response.status(), 207);
    assert_eq!(response.num_errors, Some(1));
    assert_eq!(response.errors[0].category, "OBJECT_NOT_FOUND");
    assert_eq!(response.errors[0].context["ids"], ["77"]);
    assert_eq!(
        response.errors[0].sub_category,
        Some(json!("FLOW_NOT_FOUND"))
    );
}

#[tokio::test]
async fn rate_limit_body_without_category_keeps_status_and_headers() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method("POST");
        then.status(429)
            .header("content-type", "application/json")
            .header("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
            .header("Retry-After", "2")
            .json_body(json!({
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": "not-a-uuid-7f3c",
                "policyName": "TEN_SECONDLY_ROLLING",
                "groupName": "publicapi:app:1",
            }));
    });
    let (client, _) = client(&server);
    let Err(Error::ErrorResponse(response)) = send(&client).await else {
        panic!("expected an error response");
    };
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(
        response.headers()["x-hubspot-ratelimit-interval-milliseconds"],
        "10000"
    );
    assert_eq!(response.category, None);
    assert_eq!(
        response.policy_name.as_deref(),
        Some("TEN_SECONDLY_ROLLING")
    );
    assert_eq!(response.error_type.as_deref(), Some("RATE_LIMIT"));
    assert_eq!(response.correlation_id, "not-a-uuid-7f3c");
}

#[tokio::test]
async fn html_server_error_keeps_status_in_last_response() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method("POST");
        then.status(500)
            .header("content-type", "text/html")
            .header(
                "X-HubSpot-Correlation-Id",
                "c0ffee00-0000-4000-8000-000000000001",
            )
            .body("<html><body>Internal Server Error</body></html>");
    });
    let (client, hooks) = client(&server);
    let error = send(&client).await.unwrap_err();
    let Error::InvalidResponsePayload(body, _) = error else {
        panic!("expected an undecodable payload, got {error:?}");
    };
    assert!(body.starts_with(b"<html>"));
    let head = hooks
        .last_response()
        .take()
        .expect("the response head was recorded");
    assert_eq!(head.status, 500);
    assert_eq!(
        head.headers["x-hubspot-correlation-id"],
        "c0ffee00-0000-4000-8000-000000000001"
    );
}

#[tokio::test]
async fn unknown_fields_and_status_are_accepted() {
    let server = MockServer::start_async().await;
    let mut body = complete_body(json!([{"flowId": 5, "workflowId": 6, "portalId": 99}]));
    body["status"] = json!("ARCHIVED_LATER");
    body["somethingNew"] = json!({"nested": [1, 2]});
    server.mock(|when, then| {
        when.method("POST");
        then.status(200).json_body(body);
    });
    let (client, _) = client(&server);
    let response = send(&client).await.unwrap();
    assert_eq!(response.status, "ARCHIVED_LATER");
    assert_eq!(response.results[0].flow_id, 5);
}

#[tokio::test]
async fn ids_beyond_32_and_53_bits_decode_exactly() {
    let server = MockServer::start_async().await;
    // 2^53 + 1 cannot be represented as an f64, so a lossy decoder would change it.
    let body = r#"{"status":"COMPLETE","startedAt":"2026-12-04T10:00:00Z","completedAt":"2026-12-04T10:00:01Z",
        "results":[{"flowId":2147483648,"workflowId":2147483649},{"flowId":9007199254740993,"workflowId":9223372036854775807}]}"#;
    server.mock(|when, then| {
        when.method("POST");
        then.status(200)
            .header("content-type", "application/json")
            .body(body);
    });
    let (client, _) = client(&server);
    let response = send(&client).await.unwrap();
    assert_eq!(response.results[0].flow_id, 2_147_483_648);
    assert_eq!(response.results[0].workflow_id, 2_147_483_649);
    assert_eq!(response.results[1].flow_id, 9_007_199_254_740_993);
    assert_eq!(response.results[1].workflow_id, i64::MAX);
}

#[test]
fn exported_json_schema_accepts_real_shaped_body() {
    let schema = schemars::schema_for!(BatchReadWorkflowIdMappingsResponse);
    let schema = serde_json::to_value(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut body = complete_body(json!([{"flowId": 9007199254740993u64, "workflowId": 1001}]));
    body["numErrors"] = json!(1);
    body["errors"] = json!([{
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": "Could not find the flows",
        "context": {"ids": ["77"]},
        "errors": [{"message": "not found", "code": "404"}],
        "links": {},
    }]);
    let problems: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}");

    let invalid = json!({"status": "COMPLETE", "results": "not a list"});
    assert!(!validator.is_valid(&invalid));
}
