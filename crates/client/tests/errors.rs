//! Error mapping and the failures that are never retried, against httpmock.

mod common;

use common::{answer, builder, error_body, flow, flow_input};
use httpmock::MockServer;
use hubspot_workflow_ids::{ErrorKind, FlowId, InputError, InvalidIdReason, WorkflowId};
use hubspot_workflow_ids_api_httpmock::MockServerExt;
use serde_json::json;

#[tokio::test]
async fn unauthorized_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|_, then| {
        then.client_error(
            401,
            &error_body(json!({
                "status": "error",
                "message": "Authentication credentials not found.",
                "correlationId": "corr-401",
                "category": "INVALID_AUTHENTICATION",
            })),
        );
    });
    let client = builder(&server.base_url()).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 1);
    let errors = report.errors();
    assert_eq!(errors.len(), 1);
    let error = errors[0];
    assert!(error.is_authentication());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(error.correlation_id(), Some("corr-401"));
    assert_eq!(error.category(), Some("INVALID_AUTHENTICATION"));
    assert_eq!(error.attempts(), 1);
    assert_eq!(error.inputs(), [flow(1)]);
    assert_eq!(error.to_string(), "authentication failed (HTTP 401)");
}

#[tokio::test]
async fn missing_scopes_named() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|_, then| {
        then.client_error(
            403,
            &error_body(json!({
                "status": "error",
                "message": "This app hasn't been granted all required scopes to make this call.",
                "correlationId": "corr-403",
                "category": "MISSING_SCOPES",
                "errors": [{
                    "message": "One or more of the following scopes are required.",
                    "context": { "requiredGranularScopes": ["automation"] },
                }],
            })),
        );
    });
    let client = builder(&server.base_url()).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 1);
    let error = report.errors()[0];
    assert!(error.is_missing_scopes());
    assert_eq!(error.missing_scopes(), ["automation"]);
    assert_eq!(error.correlation_id(), Some("corr-403"));
    assert_eq!(error.to_string(), "missing scopes (HTTP 403): automation");
}

#[tokio::test]
async fn validation_error_not_resent() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|_, then| {
        then.client_error(
            400,
            &error_body(json!({
                "status": "error",
                "message": "Invalid input (index 0): flowId must be a decimal string",
                "correlationId": "corr-400",
                "category": "VALIDATION_ERROR",
            })),
        );
    });
    let client = builder(&server.base_url()).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 1);
    let error = report.errors()[0];
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(
        error.message(),
        Some("Invalid input (index 0): flowId must be a decimal string")
    );
}

#[tokio::test]
async fn not_found_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|_, then| {
        then.into_inner()
            .status(404)
            .header("content-type", "text/html")
            .header("x-hubspot-correlation-id", "corr-404")
            .body("<html>Not Found</html>");
    });
    let client = builder(&server.base_url()).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 1);
    let error = report.errors()[0];
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(error.correlation_id(), Some("corr-404"));
}

#[tokio::test]
async fn daily_limit_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|_, then| {
        then.client_error(
            429,
            &error_body(json!({
                "status": "error",
                "message": "You have reached your daily limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": "corr-daily",
                "policyName": "DAILY",
            })),
        )
        .into_inner()
        .header("retry-after", "3600");
    });
    let client = builder(&server.base_url()).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 1);
    let error = report.errors()[0];
    assert!(error.is_rate_limited());
    assert_eq!(error.policy_name(), Some("DAILY"));
    assert_eq!(
        error.retry_after(),
        Some(std::time::Duration::from_secs(3600))
    );
    assert_eq!(report.stats().rate_limited, 1);
    assert_eq!(report.stats().retries, 0);
}

#[tokio::test]
async fn html_server_error_keeps_details() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|_, then| {
        then.into_inner()
            .status(503)
            .header("content-type", "text/html; charset=utf-8")
            .header("x-hubspot-correlation-id", "corr-html")
            .body(format!("<html><body>{}</body></html>", "x".repeat(5_000)));
    });
    let client = builder(&server.base_url()).max_retries(2).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 3, "first attempt and two retries");
    let error = report.errors()[0];
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.correlation_id(), Some("corr-html"));
    assert_eq!(error.content_type(), Some("text/html; charset=utf-8"));
    let snippet = error.body_snippet().unwrap();
    assert!(snippet.starts_with("<html><body>xxx"), "{snippet}");
    assert!(snippet.len() <= 512);
    assert_eq!(error.attempts(), 3);
    assert!(std::error::Error::source(error).is_some());
}

#[tokio::test]
async fn undecodable_success_reported() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|_, then| {
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .body(r#"{"unexpected": true}"#);
    });
    let client = builder(&server.base_url()).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 1);
    let error = report.errors()[0];
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(error.body_snippet(), Some(r#"{"unexpected": true}"#));
}

#[tokio::test]
async fn failed_batch_keeps_other_results() {
    let server = MockServer::start_async().await;
    server.batch_read_workflow_id_mappings(|when, then| {
        when.body(&flow_input([1, 2]));
        then.ok(&answer([(1, 10), (2, 20)], vec![]));
    });
    server.batch_read_workflow_id_mappings(|when, then| {
        when.body(&flow_input([3, 4]));
        then.into_inner().status(500).body("");
    });
    let client = builder(&server.base_url())
        .batch_size(2)
        .max_retries(1)
        .build()
        .unwrap();

    let report = client
        .flow_ids_to_workflow_ids([1_u64, 2, 3, 4].map(|n| FlowId::new(n).unwrap()))
        .await;

    assert_eq!(report.mapped().count(), 2);
    let failed: Vec<u64> = report.failed().map(|(id, _)| id.get()).collect();
    assert_eq!(failed, [3, 4]);
    assert!(!report.is_complete());
    assert_eq!(report.errors().len(), 1, "one error shared by the batch");
}

#[tokio::test]
async fn invalid_ids_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|_, then| {
        then.ok(&answer([], vec![]));
    });
    let client = builder(&server.base_url()).build().unwrap();

    let texts = ["1001", "12x", "1003"];
    let parsed: Result<Vec<WorkflowId>, InputError> = texts.iter().map(|t| t.parse()).collect();

    let error = parsed.unwrap_err();
    assert!(matches!(
        error,
        InputError::InvalidId {
            reason: InvalidIdReason::NotDecimal,
            ..
        }
    ));
    assert!(error.to_string().contains("\"12x\""), "{error}");
    assert!(WorkflowId::try_from(-4_i64).is_err());
    assert!("".parse::<FlowId>().is_err());
    assert!("18446744073709551616".parse::<FlowId>().is_err());
    drop(client);
    assert_eq!(mock.calls_async().await, 0);
}

#[test]
fn invalid_settings_rejected() {
    let cases = [
        builder("http://127.0.0.1:1").batch_size(0),
        builder("http://127.0.0.1:1").batch_size(101),
        builder("http://127.0.0.1:1").concurrency(0),
        builder("not a url"),
        builder("ftp://127.0.0.1"),
        builder("http://127.0.0.1:1").api_version("v4/../x"),
        builder("http://127.0.0.1:1").api_version(""),
        hubspot_workflow_ids::Client::builder(""),
        hubspot_workflow_ids::Client::builder("line\nbreak"),
    ];
    for (index, case) in cases.into_iter().enumerate() {
        let error = case.build().unwrap_err();
        assert!(
            matches!(error, InputError::InvalidConfig { .. }),
            "case {index}: {error}"
        );
    }
}

/// Sends 300 flow IDs (3 batches, one at a time) to a server that responds to every request with
/// `status` and `body`, and returns the report and the number of requests the server saw.
async fn map_300_against(
    status: u16,
    body: serde_json::Value,
) -> (hubspot_workflow_ids::Report<FlowId>, usize) {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|_, then| {
        then.client_error(status, &error_body(body));
    });
    let client = builder(&server.base_url()).build().unwrap();
    let ids = (1..=300).map(|id| FlowId::new(id).unwrap());
    let report = client.flow_ids_to_workflow_ids(ids).await;
    (report, mock.calls_async().await)
}

#[tokio::test]
async fn unauthorized_stops_the_call() {
    let (report, calls) = map_300_against(
        401,
        json!({
            "status": "error",
            "message": "Authentication credentials not found.",
            "correlationId": "corr-401",
            "category": "INVALID_AUTHENTICATION",
        }),
    )
    .await;

    assert_eq!(calls, 1);
    assert_eq!(report.outcomes().len(), 300);
    assert_eq!(report.failed().count(), 300);
    assert!(report.failed().all(|(_, error)| error.is_authentication()));
    let unsent = report.failed().last().unwrap().1;
    assert_eq!(unsent.attempts(), 0);
    let cause = std::error::Error::source(unsent.as_ref())
        .unwrap()
        .to_string();
    assert!(cause.contains("does not accept the token"), "{cause}");
    assert_eq!(report.stats().requests, 1);
}

#[tokio::test]
async fn missing_scopes_stop_the_call() {
    let (report, calls) = map_300_against(
        403,
        json!({
            "status": "error",
            "message": "This app hasn't been granted all required scopes to make this call.",
            "correlationId": "corr-403",
            "category": "MISSING_SCOPES",
            "errors": [{"message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": ["automation"]}}],
        }),
    )
    .await;

    assert_eq!(calls, 1);
    assert_eq!(report.failed().count(), 300);
    let unsent = report.failed().last().unwrap().1;
    assert!(unsent.is_missing_scopes());
    assert_eq!(unsent.missing_scopes(), ["automation"]);
}

#[tokio::test]
async fn not_found_does_not_stop_the_call() {
    let (report, calls) = map_300_against(
        404,
        json!({
            "status": "error",
            "message": "Not found",
            "correlationId": "corr-404",
            "category": "OBJECT_NOT_FOUND",
        }),
    )
    .await;

    // A 404 is not retried, but it does not mean that the other batches fail, so each is sent.
    assert_eq!(calls, 3);
    assert_eq!(report.failed().count(), 300);
}
