//! Operations endpoints over HTTP (P7): liveness, readiness that follows the database and the
//! shutdown, and Prometheus metrics that move with the traffic they count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{SseReader, TestServer};
use reqwest::StatusCode;

/// The value of the first sample line starting with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

async fn scrape(server: &TestServer) -> String {
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_follow_the_traffic() {
    let server = TestServer::start().await;
    let get = |path: &str| server.client.get(server.url(path)).send();
    let health = get("/healthz").await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(get("/readyz").await.unwrap().status(), StatusCode::OK);

    let before = scrape(&server).await;
    for series in [
        "switchboard_streams_open{kind=\"visitor\"}",
        "switchboard_streams_open{kind=\"operator\"}",
        "switchboard_events_published_total",
        "switchboard_delivery_seconds_count",
        "switchboard_commit_batch_size_count",
        "switchboard_chats_waiting",
    ] {
        assert_eq!(sample(&before, series), Some(0.0), "{series} in\n{before}");
    }

    // A visitor with a stream open starts a chat and writes: every series moves.
    let token = server.new_visitor().await;
    let mut stream = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/visitor/events"))
            .bearer_auth(&token),
    )
    .await;
    let chat = server.start_chat(&token, "hello").await;
    server.say(&token, &chat, "anyone?").await;
    let mut read = 0;
    while read < 3 && stream.next(Duration::from_secs(2)).await.is_some() {
        read += 1;
    }
    assert_eq!(read, 3, "chat_started, the first message and the second");
    let after = scrape(&server).await;
    let value = |series: &str| sample(&after, series).unwrap_or_else(|| panic!("{series}"));
    assert_eq!(value("switchboard_streams_open{kind=\"visitor\"}"), 1.0);
    assert!(value("switchboard_events_published_total") >= 3.0);
    assert!(value("switchboard_delivery_seconds_count") >= 3.0);
    assert!(value("switchboard_delivery_seconds_bucket{le=\"+Inf\"}") >= 3.0);
    assert!(value("switchboard_commit_batch_size_count") >= 2.0);
    assert_eq!(value("switchboard_chats_waiting"), 1.0);
    // Counted by route pattern, never by a path carrying ids.
    assert_eq!(
        value("switchboard_http_requests_total{route=\"/api/v1/visitor/chats\",status=\"201\"}"),
        1.0
    );
    assert_eq!(
        value(
            "switchboard_http_requests_total{route=\"/api/v1/visitor/chats/{chat_id}/messages\",status=\"200\"}"
        ),
        1.0
    );
    assert!(!after.contains(&chat), "no chat id in the metrics");

    // The database gone: not ready, with the reason.
    server.app.store.close().await;
    let refused = get("/readyz").await.unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.text().await.unwrap(), "database unavailable\n");

    // Shutting down: not ready any more, while still alive.
    server.state.shutdown.send_replace(true);
    assert_eq!(
        get("/readyz").await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(get("/healthz").await.unwrap().status(), StatusCode::OK);
    server.stop().await;
}
