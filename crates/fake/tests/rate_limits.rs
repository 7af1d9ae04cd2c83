//! Rolling-window and daily rate limits, per token.

mod common;

use std::time::Duration;

use common::{Reply, TOKEN, builder, client, inputs, post, post_with, send};
use reqwest::StatusCode;
use serde_json::json;

const LONG_WINDOW: Duration = Duration::from_secs(600);

fn assert_rolling_429(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let correlation_id = reply.body["correlationId"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.body,
        json!({
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": correlation_id,
            "policyName": "TEN_SECONDLY_ROLLING",
            "groupName": "fake-hubspot:token-1",
        })
    );
    assert!(reply.body.get("category").is_none());
    assert_eq!(
        reply.header("x-hubspot-correlation-id"),
        Some(correlation_id.as_str())
    );
}

#[tokio::test]
async fn window_limit_returns_429() {
    let server = builder().rate_limit(3, LONG_WINDOW).start().await.unwrap();
    let body = inputs(&[1001], &[]);

    let mut remaining = Vec::new();
    for _ in 0..3 {
        let reply = post(&server, &body).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-hubspot-ratelimit-max"), Some("3"));
        assert_eq!(
            reply.header("x-hubspot-ratelimit-interval-milliseconds"),
            Some("600000")
        );
        remaining.push(
            reply
                .header("x-hubspot-ratelimit-remaining")
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);

    let rejected = post(&server, &body).await;
    assert_rolling_429(&rejected);
    assert_eq!(rejected.header("x-hubspot-ratelimit-max"), Some("3"));
    assert_eq!(rejected.header("x-hubspot-ratelimit-remaining"), Some("0"));
    assert_eq!(
        rejected.header("x-hubspot-ratelimit-interval-milliseconds"),
        Some("600000")
    );
    assert_eq!(rejected.header("retry-after"), None);

    let counters = server.counters();
    assert_eq!(counters.rate_limited, 1);
    assert_eq!(counters.status(429), 1);
    assert_eq!(counters.token(TOKEN).rate_limited, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn retry_after_is_optional() {
    let server = builder()
        .rate_limit(1, LONG_WINDOW)
        .retry_after(true)
        .start()
        .await
        .unwrap();
    let body = inputs(&[1001], &[]);

    let accepted = post(&server, &body).await;
    let rejected = post(&server, &body).await;

    assert_eq!(accepted.header("retry-after"), None);
    assert_eq!(rejected.status, StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = rejected.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=600).contains(&seconds), "Retry-After: {seconds}");
    server.shutdown().await;
}

#[tokio::test]
async fn rejected_requests_do_not_count() {
    // The window must outlast the seven requests below, which take milliseconds.
    let interval = Duration::from_secs(2);
    let server = builder().rate_limit(2, interval).start().await.unwrap();
    let client = client();
    let body = inputs(&[1001], &[]);

    for _ in 0..2 {
        let response = send(&client, &server, Some(TOKEN), &body).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    for _ in 0..5 {
        let response = send(&client, &server, Some(TOKEN), &body).await.unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    // Once the accepted requests leave the window, the rejected ones have left no trace.
    tokio::time::sleep(interval + Duration::from_millis(200)).await;
    let response = send(&client, &server, Some(TOKEN), &body).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-hubspot-ratelimit-remaining"], "1");
    server.shutdown().await;
}

#[tokio::test]
async fn limits_apply_per_token() {
    let server = builder()
        .token("second-token")
        .rate_limit(1, LONG_WINDOW)
        .start()
        .await
        .unwrap();
    let body = inputs(&[1001], &[]);

    let first = post(&server, &body).await;
    let first_again = post(&server, &body).await;
    let second = post_with(&server, Some("second-token"), &body).await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first_again.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn daily_cap_returns_429_daily() {
    let server = builder().daily_limit(2).start().await.unwrap();
    let body = inputs(&[1001], &[]);

    let mut daily_remaining = Vec::new();
    for _ in 0..2 {
        let reply = post(&server, &body).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-hubspot-ratelimit-daily"), Some("2"));
        daily_remaining.push(
            reply
                .header("x-hubspot-ratelimit-daily-remaining")
                .unwrap()
                .to_owned(),
        );
        assert_eq!(reply.header("x-hubspot-ratelimit-max"), None);
    }
    assert_eq!(daily_remaining, ["1", "0"]);

    let rejected = post(&server, &body).await;
    assert_eq!(rejected.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(rejected.body["policyName"], "DAILY");
    assert_eq!(rejected.body["errorType"], "RATE_LIMIT");
    assert_eq!(
        rejected.body["message"],
        "You have reached your daily limit."
    );
    assert!(rejected.body.get("category").is_none());
    assert_eq!(rejected.header("x-hubspot-ratelimit-daily"), Some("2"));
    assert_eq!(
        rejected.header("x-hubspot-ratelimit-daily-remaining"),
        Some("0")
    );
    assert_eq!(server.counters().rate_limited, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn daily_cap_checked_before_window() {
    let server = builder()
        .rate_limit(1, LONG_WINDOW)
        .daily_limit(1)
        .start()
        .await
        .unwrap();
    let body = inputs(&[1001], &[]);

    post(&server, &body).await;
    let rejected = post(&server, &body).await;

    assert_eq!(rejected.body["policyName"], "DAILY");
    assert_eq!(rejected.header("x-hubspot-ratelimit-remaining"), Some("0"));
    assert_eq!(
        rejected.header("x-hubspot-ratelimit-daily-remaining"),
        Some("0")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn no_limit_headers_without_limits() {
    let server = builder().start().await.unwrap();

    let reply = post(&server, &inputs(&[1001], &[])).await;

    assert_eq!(reply.header("x-hubspot-ratelimit-max"), None);
    assert_eq!(reply.header("x-hubspot-ratelimit-daily"), None);
    assert!(reply.header("x-hubspot-correlation-id").is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn unauthenticated_requests_do_not_count() {
    let server = builder().rate_limit(1, LONG_WINDOW).start().await.unwrap();
    let body = inputs(&[1001], &[]);

    for _ in 0..3 {
        let reply = post_with(&server, None, &body).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.header("x-hubspot-ratelimit-max"), None);
    }
    let reply = post(&server, &body).await;

    assert_eq!(reply.status, StatusCode::OK);
    server.shutdown().await;
}

#[tokio::test]
async fn concurrent_requests_respect_the_limit() {
    let server = builder().rate_limit(20, LONG_WINDOW).start().await.unwrap();
    let client = client();
    let body = inputs(&[1001], &[]);

    let requests = (0..50).map(|_| send(&client, &server, Some(TOKEN), &body));
    let responses = futures_util::future::join_all(requests).await;
    let mut accepted = 0;
    let mut rejected = 0;
    for response in responses {
        match response.unwrap().status() {
            StatusCode::OK => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => rejected += 1,
            other => panic!("unexpected status {other}"),
        }
    }

    assert_eq!(accepted, 20);
    assert_eq!(rejected, 30);
    let counters = server.counters();
    assert_eq!(counters.requests, 50);
    assert_eq!(counters.rate_limited, 30);
    assert_eq!(counters.status(200), 20);
    server.shutdown().await;
}
