//! Injected faults as a reqwest client sees them.

mod common;

use std::time::Duration;

use common::{TOKEN, builder, client, inputs, post, send};
use hubspot_workflow_ids_fake::{Fault, FaultBody, FaultRule};
use reqwest::StatusCode;

fn status_fault(status: u16, body: FaultBody) -> Fault {
    Fault::Status { status, body }
}

#[tokio::test]
async fn reset_fails_the_request() {
    let server = builder()
        .fault(FaultRule::at_requests([1], Fault::Reset))
        .start()
        .await
        .unwrap();
    let client = client();
    let body = inputs(&[1001], &[]);

    let error = send(&client, &server, Some(TOKEN), &body)
        .await
        .expect_err("a reset connection has no response");
    let after = send(&client, &server, Some(TOKEN), &body).await.unwrap();

    assert!(!error.is_timeout(), "{error:?}");
    assert!(error.is_request(), "{error:?}");
    assert_eq!(after.status(), StatusCode::OK);
    let counters = server.counters();
    assert_eq!(counters.requests, 2);
    assert_eq!(counters.faults_injected, 1);
    assert_eq!(counters.status(200), 1);
    assert_eq!(counters.responses_by_status.values().sum::<u64>(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn reset_on_reused_connection_is_not_retried() {
    let server = builder()
        .fault(FaultRule::at_requests([2], Fault::Reset))
        .start()
        .await
        .unwrap();
    let client = client();
    let body = inputs(&[1001], &[]);

    let first = send(&client, &server, Some(TOKEN), &body).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    first.bytes().await.unwrap();
    let error = send(&client, &server, Some(TOKEN), &body)
        .await
        .expect_err("a reset connection has no response");

    assert!(error.is_request(), "{error:?}");
    assert_eq!(server.counters().requests, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn truncated_body_fails_reading() {
    let server = builder()
        .fault(FaultRule::next(1, Fault::Truncated))
        .start()
        .await
        .unwrap();
    let client = client();

    let response = send(&client, &server, Some(TOKEN), &inputs(&[1001, 1004], &[]))
        .await
        .expect("the status line and headers arrive");
    let status = response.status();
    let content_length = response.content_length();
    let error = response
        .bytes()
        .await
        .expect_err("the body ends before Content-Length");

    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert!(content_length.is_some_and(|length| length > 0));
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    assert_eq!(server.counters().faults_injected, 1);
    assert_eq!(server.counters().status(207), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn html_503_is_sent() {
    let server = builder()
        .fault(FaultRule::always(status_fault(503, FaultBody::Html)))
        .start()
        .await
        .unwrap();

    let response = send(&client(), &server, Some(TOKEN), &inputs(&[1001], &[]))
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = response.text().await.unwrap();

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(text.starts_with("<!DOCTYPE html>"), "{text}");
    assert!(text.contains("503 Service Unavailable"), "{text}");
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
    assert_eq!(server.counters().status(503), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn json_and_empty_5xx_are_sent() {
    let server = builder()
        .fault(FaultRule::at_requests(
            [1],
            status_fault(500, FaultBody::Json),
        ))
        .fault(FaultRule::at_requests(
            [2],
            status_fault(502, FaultBody::Empty),
        ))
        .fault(FaultRule::at_requests(
            [3],
            status_fault(524, FaultBody::Json),
        ))
        .start()
        .await
        .unwrap();
    let client = client();
    let body = inputs(&[1001], &[]);

    let json_500 = send(&client, &server, Some(TOKEN), &body).await.unwrap();
    let json_500_status = json_500.status();
    let json_500_body: serde_json::Value = json_500.json().await.unwrap();
    let empty_502 = send(&client, &server, Some(TOKEN), &body).await.unwrap();
    let empty_502_status = empty_502.status();
    let empty_502_body = empty_502.bytes().await.unwrap();
    let json_524 = post(&server, &body).await;

    assert_eq!(json_500_status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(json_500_body["status"], "error");
    assert_eq!(json_500_body["category"], "INTERNAL_ERROR");
    assert!(json_500_body["correlationId"].is_string());
    assert_eq!(empty_502_status, StatusCode::BAD_GATEWAY);
    assert!(empty_502_body.is_empty());
    assert_eq!(json_524.status.as_u16(), 524);
    assert_eq!(json_524.body["category"], "GATEWAY_TIMEOUT");
    let message = json_524.body["message"].as_str().unwrap();
    assert!(message.contains("A Timeout Occurred"), "{message}");
    server.shutdown().await;
}

#[tokio::test]
async fn hang_times_out_the_client() {
    let server = builder()
        .fault(FaultRule::next(1, Fault::Hang))
        .start()
        .await
        .unwrap();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let error = send(&impatient, &server, Some(TOKEN), &inputs(&[1001], &[]))
        .await
        .expect_err("a hanging request never gets a response");

    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(server.counters().faults_injected, 1);
    // Shutting down resets the hanging connection instead of waiting for it.
    tokio::time::timeout(Duration::from_secs(4), server.shutdown())
        .await
        .expect("shutdown finishes before the grace period ends");
}

#[tokio::test]
async fn latency_delays_then_answers() {
    let delay = Duration::from_millis(200);
    let server = builder()
        .fault(FaultRule::next(1, Fault::Latency(delay)))
        .start()
        .await
        .unwrap();

    let started = tokio::time::Instant::now();
    let reply = post(&server, &inputs(&[1001], &[])).await;

    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(server.counters().faults_injected, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn latency_combines_with_later_fault() {
    let server = builder()
        .fault(FaultRule::always(Fault::Latency(Duration::from_millis(10))))
        .fault(FaultRule::at_requests(
            [2],
            status_fault(503, FaultBody::Json),
        ))
        .start()
        .await
        .unwrap();
    let body = inputs(&[1001], &[]);

    let first = post(&server, &body).await;
    let second = post(&server, &body).await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(server.counters().faults_injected, 3);
    server.shutdown().await;
}

#[tokio::test]
async fn schedule_hits_listed_request_numbers() {
    let server = builder()
        .fault(FaultRule::at_requests(
            [3, 7],
            status_fault(503, FaultBody::Json),
        ))
        .start()
        .await
        .unwrap();
    let body = inputs(&[1001], &[]);

    let mut failed = Vec::new();
    for number in 1..=8 {
        if post(&server, &body).await.status == StatusCode::SERVICE_UNAVAILABLE {
            failed.push(number);
        }
    }

    assert_eq!(failed, vec![3, 7]);
    server.shutdown().await;
}

#[tokio::test]
async fn unauthenticated_requests_get_no_fault() {
    let server = builder()
        .fault(FaultRule::at_requests(
            [1],
            status_fault(503, FaultBody::Json),
        ))
        .fault(FaultRule::next(1, status_fault(500, FaultBody::Json)))
        .start()
        .await
        .unwrap();
    let body = inputs(&[1001], &[]);

    let unauthenticated = common::post_with(&server, None, &body).await;
    let authenticated = post(&server, &body).await;

    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    assert_eq!(authenticated.status, StatusCode::INTERNAL_SERVER_ERROR);
    server.shutdown().await;
}

#[tokio::test]
async fn rate_faults_repeat_with_the_seed() {
    let body = inputs(&[1001], &[]);
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = builder()
            .seed(11)
            .fault(FaultRule::rate(0.5, status_fault(503, FaultBody::Empty)))
            .start()
            .await
            .unwrap();
        let client = client();
        let mut statuses = Vec::new();
        for _ in 0..30 {
            let response = send(&client, &server, Some(TOKEN), &body).await.unwrap();
            statuses.push(response.status().as_u16());
        }
        assert_eq!(
            server.counters().faults_injected,
            statuses.iter().filter(|&&status| status == 503).count() as u64
        );
        runs.push(statuses);
        server.shutdown().await;
    }

    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&503), "{:?}", runs[0]);
    assert!(runs[0].contains(&200), "{:?}", runs[0]);
}

#[tokio::test]
async fn faulted_requests_skip_rate_limits() {
    let server = builder()
        .rate_limit(1, Duration::from_secs(600))
        .fault(FaultRule::next(3, status_fault(503, FaultBody::Json)))
        .start()
        .await
        .unwrap();
    let body = inputs(&[1001], &[]);

    for _ in 0..3 {
        let reply = post(&server, &body).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(reply.header("x-hubspot-ratelimit-remaining"), Some("1"));
    }
    let reply = post(&server, &body).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-hubspot-ratelimit-remaining"), Some("0"));
    server.shutdown().await;
}

#[tokio::test]
async fn faults_can_change_while_running() {
    let server = builder().start().await.unwrap();
    let body = inputs(&[1001], &[]);

    let before = post(&server, &body).await;
    server.add_fault(FaultRule::always(status_fault(504, FaultBody::Json)));
    let during = post(&server, &body).await;
    server.clear_faults();
    let after = post(&server, &body).await;

    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(during.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(after.status, StatusCode::OK);
    server.shutdown().await;
}
