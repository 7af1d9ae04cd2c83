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

/// Workflow IDs 1 to `count`, as inputs of a mixed call.
fn workflow_ids(count: u64) -> Vec<hubspot_workflow_ids::Id> {
    (1..=count).map(common::workflow).collect()
}

#[tokio::test]
async fn daily_limit_stops_unsent_batches() {
    let server = fake(|b| b.daily_limit(1)).await;
    let client = builder(&server.url()).build().unwrap();

    let report = client.map_ids(workflow_ids(300)).await;

    assert_eq!(server.counters().requests, 2, "1 accepted and 1 DAILY 429");
    assert_eq!(server.counters().rate_limited, 1);
    assert_eq!(report.outcomes().len(), 300);
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 200, "the second and third batches fail");
    for (input, error) in &failed {
        assert!(error.is_rate_limited(), "{input}: {error}");
        assert_eq!(error.policy_name(), Some("DAILY"), "{input}");
    }

    let errors = report.errors();
    assert_eq!(errors.len(), 2, "one error per failed batch");
    assert_eq!(errors[0].attempts(), 1, "the second batch was sent once");
    assert_eq!(errors[1].attempts(), 0, "the third batch was not sent");
    assert_eq!(errors[1].inputs().len(), 100);
    assert_eq!(errors[1].status(), errors[0].status());
    assert_eq!(errors[1].correlation_id(), errors[0].correlation_id());

    let stats = report.stats();
    assert_eq!(stats.requests, 2);
    assert_eq!(stats.retries, 0);
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.batches_done, 3);
    assert_eq!(stats.ids_done, 300);
    assert_eq!(stats.failed, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn daily_limit_bounds_concurrent_sends() {
    const CONCURRENCY: usize = 4;
    let server = fake(|b| b.daily_limit(1)).await;
    let client = builder(&server.url())
        .concurrency(CONCURRENCY)
        .build()
        .unwrap();

    let report = client.map_ids(workflow_ids(2_000)).await;

    // Batches already in flight when the first DAILY 429 arrives still reach the server,
    // and one more can start when the accepted batch frees its slot first.
    let requests = server.counters().requests;
    assert!(
        requests <= CONCURRENCY as u64 + 1,
        "{requests} requests reached the server"
    );
    assert_eq!(report.stats().requests, requests);
    assert_eq!(report.outcomes().len(), 2_000);
    assert_eq!(report.failed().count(), 1_900);
    for (input, error) in report.failed() {
        assert_eq!(error.policy_name(), Some("DAILY"), "{input}");
    }
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
