//! Batching, deduplication and attribution, against httpmock through the generated helpers.

mod common;

use common::{answer, builder, flow, flow_input, workflow, workflow_input};
use httpmock::MockServer;
use hubspot_workflow_ids::{FlowId, Id, Outcome, WorkflowId};
use hubspot_workflow_ids_api_httpmock::MockServerExt;
use serde_json::json;

#[tokio::test]
async fn splits_250_ids_into_three_batches() {
    let server = MockServer::start_async().await;
    let ranges = [(1..=100), (101..=200), (201..=250)];
    let mocks: Vec<_> = ranges
        .iter()
        .map(|range| {
            let input = flow_input(range.clone());
            let body = answer(range.clone().map(|id| (id, id + 10_000)), vec![]);
            server.batch_read_workflow_id_mappings(|when, then| {
                when.api_version("v4").body(&input);
                then.ok(&body);
            })
        })
        .collect();
    let client = builder(&server.base_url()).concurrency(3).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids((1..=250).map(|n| FlowId::new(n).unwrap()))
        .await;

    for mock in &mocks {
        assert_eq!(mock.calls_async().await, 1);
    }
    assert_eq!(report.outcomes().len(), 250);
    assert_eq!(report.mapped().count(), 250);
    assert_eq!(report.stats().requests, 3);
    let first = report.outcomes()[0].mapping().unwrap();
    assert_eq!(first.workflow_id, WorkflowId::new(10_001).unwrap());
}

#[tokio::test]
async fn batch_boundaries() {
    let server = MockServer::start_async().await;
    let hundred = server.batch_read_workflow_id_mappings(|when, then| {
        when.body(&flow_input(1..=100));
        then.ok(&answer([], vec![]));
    });
    let one = server.batch_read_workflow_id_mappings(|when, then| {
        when.body(&flow_input([101]));
        then.ok(&answer([], vec![]));
    });
    let client = builder(&server.base_url()).build().unwrap();

    let empty = client.flow_ids_to_workflow_ids(Vec::<FlowId>::new()).await;
    assert!(empty.outcomes().is_empty());
    assert_eq!(hundred.calls_async().await, 0);

    client
        .flow_ids_to_workflow_ids((1..=100).map(|n| FlowId::new(n).unwrap()))
        .await;
    assert_eq!(hundred.calls_async().await, 1);

    client
        .flow_ids_to_workflow_ids((1..=101).map(|n| FlowId::new(n).unwrap()))
        .await;
    assert_eq!(hundred.calls_async().await, 2);
    assert_eq!(one.calls_async().await, 1);
}

#[tokio::test]
async fn duplicates_sent_once() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|when, then| {
        when.body(&workflow_input([7, 8, 9]));
        then.ok(&answer([(70, 7), (80, 8)], vec![]));
    });
    let client = builder(&server.base_url()).batch_size(3).build().unwrap();

    let ids = [7_u64, 8, 7, 9, 8, 7].map(|n| WorkflowId::new(n).unwrap());
    let report = client.workflow_ids_to_flow_ids(ids).await;

    assert_eq!(mock.calls_async().await, 1);
    let inputs: Vec<u64> = report.outcomes().iter().map(|o| o.input().get()).collect();
    assert_eq!(inputs, [7, 8, 9]);
    assert_eq!(report.stats().inputs, 6);
    assert_eq!(report.stats().unique_inputs, 3);
    assert_eq!(
        report.unmapped().collect::<Vec<_>>(),
        [WorkflowId::new(9).unwrap()]
    );
}

#[tokio::test]
async fn shuffled_results_matched_by_id() {
    let server = MockServer::start_async().await;
    // Results arrive in another order than the inputs, and one input has none.
    server.batch_read_workflow_id_mappings(|when, then| {
        when.body(&flow_input([1, 2, 3, 2_147_483_648, 9_007_199_254_740_993]));
        then.ok(&answer(
            [
                (9_007_199_254_740_993, 1003),
                (3, 30),
                (2_147_483_648, 1002),
                (1, 10),
            ],
            vec![],
        ));
    });
    let client = builder(&server.base_url()).build().unwrap();

    let report = client
        .flow_ids_to_workflow_ids(
            [1_u64, 2, 3, 2_147_483_648, 9_007_199_254_740_993].map(|n| FlowId::new(n).unwrap()),
        )
        .await;

    let pairs: Vec<(u64, Option<u64>)> = report
        .outcomes()
        .iter()
        .map(|outcome| {
            let workflow_id = outcome.mapping().map(|m| m.workflow_id.get());
            (outcome.input().get(), workflow_id)
        })
        .collect();
    assert_eq!(
        pairs,
        [
            (1, Some(10)),
            (2, None),
            (3, Some(30)),
            (2_147_483_648, Some(1002)),
            (9_007_199_254_740_993, Some(1003)),
        ]
    );
}

#[tokio::test]
async fn partial_207_attributed() {
    let server = MockServer::start_async().await;
    let errors = vec![
        json!({
            "status": "error", "category": "OBJECT_NOT_FOUND", "message": "not found",
            "context": { "ids": ["2"] }, "errors": [], "links": {},
        }),
        json!({
            "status": "500", "category": "INTERNAL_ERROR", "message": "lookup failed",
            "context": { "workflowIds": ["3"] }, "errors": [], "links": {},
        }),
    ];
    server.batch_read_workflow_id_mappings(|when, then| {
        when.body(&workflow_input([1, 2, 3, 4]));
        then.multi_status(&answer([(100, 1)], errors))
            .into_inner()
            .header("X-HubSpot-Correlation-Id", "corr-207");
    });
    let client = builder(&server.base_url()).build().unwrap();

    let report = client
        .workflow_ids_to_flow_ids([1_u64, 2, 3, 4].map(|n| WorkflowId::new(n).unwrap()))
        .await;

    let outcomes = report.outcomes();
    assert_eq!(
        outcomes[0].mapping().unwrap().flow_id,
        FlowId::new(100).unwrap()
    );
    assert!(matches!(outcomes[1], Outcome::Unmapped { .. }));
    let error = outcomes[2].error().expect("input 3 failed");
    assert_eq!(error.category(), Some("INTERNAL_ERROR"));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(error.message(), Some("lookup failed"));
    assert_eq!(error.correlation_id(), Some("corr-207"));
    assert_eq!(error.inputs(), [workflow(3)]);
    assert!(matches!(outcomes[3], Outcome::Unmapped { .. }));
    assert_eq!(report.stats().requests, 1, "a 207 is not retried");
}

#[tokio::test]
async fn mixed_ids_batched_by_kind() {
    let server = MockServer::start_async().await;
    let flows = server.batch_read_workflow_id_mappings(|when, then| {
        when.body(&flow_input([5, 6]));
        then.ok(&answer([(5, 50)], vec![]));
    });
    let workflows = server.batch_read_workflow_id_mappings(|when, then| {
        when.body(&workflow_input([5]));
        then.ok(&answer([(500, 5)], vec![]));
    });
    let client = builder(&server.base_url()).build().unwrap();

    let report = client.map_ids([flow(5), workflow(5), flow(6)]).await;

    assert_eq!(flows.calls_async().await, 1);
    assert_eq!(workflows.calls_async().await, 1);
    let mapped: Vec<(Id, u64, u64)> = report
        .mapped()
        .map(|(input, m)| (input, m.flow_id.get(), m.workflow_id.get()))
        .collect();
    assert_eq!(mapped, [(flow(5), 5, 50), (workflow(5), 500, 5)]);
    assert_eq!(report.unmapped().collect::<Vec<_>>(), [flow(6)]);
}

#[tokio::test]
async fn date_versioned_path() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|when, then| {
        when.api_version("2026-09-beta").body(&flow_input([1]));
        then.ok(&answer([(1, 2)], vec![]));
    });
    let client = builder(&server.base_url())
        .api_version("2026-09-beta")
        .build()
        .unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 1);
    assert!(report.is_complete());
}

#[tokio::test]
async fn sends_bearer_token_and_user_agent() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|when, then| {
        when.into_inner()
            .header("authorization", format!("Bearer {}", common::TOKEN))
            .header("user-agent", hubspot_workflow_ids::USER_AGENT);
        then.ok(&answer([], vec![]));
    });
    let client = builder(&server.base_url()).build().unwrap();

    client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn caller_supplied_http_client_gets_token() {
    let server = MockServer::start_async().await;
    let mock = server.batch_read_workflow_id_mappings(|when, then| {
        when.into_inner()
            .header("authorization", format!("Bearer {}", common::TOKEN))
            .header("user-agent", hubspot_workflow_ids::USER_AGENT)
            .header("x-proxy-tag", "migration");
        then.ok(&answer([], vec![]));
    });
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-proxy-tag", "migration".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let client = builder(&server.base_url())
        .http_client(http)
        .build()
        .unwrap();

    let report = client
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;

    assert_eq!(mock.calls_async().await, 1);
    assert!(report.is_complete());
}
