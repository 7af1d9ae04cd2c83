//! Retries of rate limits, server errors and connection faults, against the fake HubSpot
//! server.

mod common;

use std::time::Duration;

use common::{assert_demo_mapped, builder, fake, flow, map_demo};
use futures::StreamExt;
use hubspot_workflow_ids::{Client, FlowId, Outcome, WorkflowId};
use hubspot_workflow_ids_fake::{Fault, FaultBody, FaultRule};

#[tokio::test]
async fn server_errors_retried_then_succeed() {
    for status in [500, 502, 503, 524] {
        for body in [FaultBody::Json, FaultBody::Html, FaultBody::Empty] {
            let server =
                fake(|b| b.fault(FaultRule::next(1, Fault::Status { status, body }))).await;
            let client = builder(&server.url()).build().unwrap();

            let report = map_demo(&client).await;

            assert_demo_mapped(&report);
            assert_eq!(report.stats().requests, 2, "{status} {body:?}");
            assert_eq!(report.stats().retries, 1, "{status} {body:?}");
            assert_eq!(server.counters().status(status), 1, "{status} {body:?}");
            server.shutdown().await;
        }
    }
}

#[tokio::test]
async fn reset_connection_retried() {
    let server = fake(|b| b.fault(FaultRule::next(1, Fault::Reset))).await;
    let client = builder(&server.url()).build().unwrap();

    let report = map_demo(&client).await;

    assert_demo_mapped(&report);
    assert_eq!(report.stats().retries, 1);
    assert_eq!(server.counters().requests, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn truncated_body_retried() {
    let server = fake(|b| b.fault(FaultRule::next(1, Fault::Truncated))).await;
    let client = builder(&server.url()).build().unwrap();

    let report = map_demo(&client).await;

    assert_demo_mapped(&report);
    assert_eq!(report.stats().retries, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn hanging_server_times_out_then_retried() {
    let server = fake(|b| b.fault(FaultRule::next(1, Fault::Hang))).await;
    let client = builder(&server.url())
        .attempt_timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    let report = map_demo(&client).await;

    assert_demo_mapped(&report);
    assert_eq!(report.stats().retries, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn hanging_server_fails_at_deadline() {
    let server = fake(|b| b.fault(FaultRule::always(Fault::Hang))).await;
    let client = builder(&server.url())
        .attempt_timeout(Duration::from_millis(50))
        .deadline(Duration::from_millis(150))
        .max_retries(1_000)
        .build()
        .unwrap();

    let report = map_demo(&client).await;

    let errors = report.errors();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].is_timeout(), "{}", errors[0]);
    assert_eq!(report.failed().count(), 3);
    server.shutdown().await;
}

/// Sends two batches at once against a limit of one request per window, so that exactly
/// one of them is rate limited.
async fn two_batches_one_rate_limited(send_retry_after: bool) {
    let server = fake(|b| {
        b.rate_limit(1, Duration::from_millis(300))
            .retry_after(send_retry_after)
    })
    .await;
    let client = builder(&server.url())
        .batch_size(2)
        .concurrency(2)
        .build()
        .unwrap();

    let report = map_demo(&client).await;

    assert_demo_mapped(&report);
    assert_eq!(server.counters().rate_limited, 1);
    assert_eq!(report.stats().rate_limited, 1);
    assert_eq!(report.stats().requests, 3);
    assert_eq!(report.stats().retries, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    two_batches_one_rate_limited(true).await;
}

#[tokio::test]
async fn rate_limited_without_retry_after() {
    two_batches_one_rate_limited(false).await;
}

#[tokio::test]
async fn daily_limit_reported_at_once() {
    let server = fake(|b| b.daily_limit(1)).await;
    let client = builder(&server.url()).batch_size(2).build().unwrap();

    let report = map_demo(&client).await;

    assert_eq!(
        report.mapped().count(),
        2,
        "the first batch fits the daily limit"
    );
    let errors = report.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].policy_name(), Some("DAILY"));
    assert_eq!(report.stats().requests, 2);
    assert_eq!(report.stats().retries, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn missing_scope_token_reported() {
    let server = fake(|b| b.token_without_scope("no-scope-token")).await;
    let client = Client::builder("no-scope-token")
        .base_url(server.url())
        .build()
        .unwrap();

    let report = map_demo(&client).await;

    let error = report.errors()[0];
    assert!(error.is_missing_scopes(), "{error}");
    assert!(error.correlation_id().is_some());
    assert_eq!(report.stats().requests, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn stream_reports_progress() {
    let server = fake(|b| b).await;
    let client = builder(&server.url())
        .batch_size(3)
        .concurrency(2)
        .build()
        .unwrap();
    let ids = (1001..=1010)
        .chain(1001..=1005)
        .map(|n| hubspot_workflow_ids::Id::Workflow(WorkflowId::new(n).unwrap()));

    let mut stream = client.stream_iter(ids);
    let progress = stream.progress();
    let mut outcomes = Vec::new();
    while let Some(outcome) = stream.next().await {
        outcomes.push(outcome);
    }

    assert_eq!(outcomes.len(), 10);
    let unmapped: Vec<u64> = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Outcome::Unmapped { .. }))
        .map(|outcome| outcome.input().get())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(unmapped, [1004, 1007]);
    let snapshot = progress.snapshot();
    assert_eq!(snapshot.inputs, 15);
    assert_eq!(snapshot.unique_inputs, 10);
    assert_eq!(snapshot.batches_done, 4);
    assert_eq!(snapshot.ids_done, 10);
    assert_eq!(snapshot.mapped, 8);
    assert_eq!(snapshot.requests, 4);
    server.shutdown().await;
}

#[tokio::test]
async fn resend_is_byte_identical() {
    use hubspot_workflow_ids_api_httpmock::MockServerExt;

    let server = httpmock::MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|when, then| {
        when.into_inner()
            .body(r#"{"inputs":[{"flowId":"1","type":"FLOW_ID"},{"flowId":"9223372036854775807","type":"FLOW_ID"}]}"#);
        then.into_inner().status(502).body("");
    });
    let client = builder(&server.base_url()).max_retries(2).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap(), FlowId::MAX])
        .await;

    assert_eq!(
        mock.calls_async().await,
        3,
        "every attempt matched the exact bytes"
    );
    assert_eq!(report.failed().count(), 2);
    assert_eq!(
        report.errors()[0].inputs(),
        [flow(1), flow(i64::MAX as u64)]
    );
}
