//! Operations endpoints (P7): `/healthz` (the process answers), `/readyz` (the database
//! answers and the server is not shutting down) and `/metrics` in Prometheus' text format.
//!
//! They hold no personal data: counts, sizes and times only.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use engine::metrics::Histogram;

use crate::AppState;

/// Upper bounds of the delivery histogram, in seconds.
const DELIVERY_BOUNDS: &[f64] = &[
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What the HTTP layer counts.
#[derive(Debug)]
pub struct Metrics {
    /// From an event's commit until it is written on a stream (replays count with their age).
    pub delivery: Histogram,
    /// Requests by route pattern and status.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            delivery: Histogram::new(DELIVERY_BOUNDS),
            requests: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Metrics {
    fn count(&self, route: String, status: u16) {
        *self
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((route, status))
            .or_default() += 1;
    }
}

/// Counts every request under its route pattern (never its concrete path, which may carry
/// ids), or `unmatched`.
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics.count(route, response.status().as_u16());
    response
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 200 while the database answers and the server takes requests; 503 when the
/// database does not answer or the server is shutting down.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if *state.shutdown.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    match state.engine.database_ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response(),
    }
}

/// `GET /metrics`, in Prometheus' text format 0.0.4.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    let engine = &state.engine;
    let (visitors, operators) = engine.bus().stream_counts();
    let _ = writeln!(out, "# HELP switchboard_streams_open Open event streams.");
    let _ = writeln!(out, "# TYPE switchboard_streams_open gauge");
    let _ = writeln!(
        out,
        "switchboard_streams_open{{kind=\"visitor\"}} {visitors}"
    );
    let _ = writeln!(
        out,
        "switchboard_streams_open{{kind=\"operator\"}} {operators}"
    );
    let _ = writeln!(
        out,
        "# HELP switchboard_events_published_total Events handed to this node's streams."
    );
    let _ = writeln!(out, "# TYPE switchboard_events_published_total counter");
    let _ = writeln!(
        out,
        "switchboard_events_published_total {}",
        engine.bus().published()
    );
    let _ = writeln!(
        out,
        "# HELP switchboard_delivery_seconds From an event's commit until it is written on a stream."
    );
    let _ = writeln!(out, "# TYPE switchboard_delivery_seconds histogram");
    state
        .metrics
        .delivery
        .render("switchboard_delivery_seconds", &mut out);
    let _ = writeln!(
        out,
        "# HELP switchboard_commit_batch_size Chat writes per committed transaction."
    );
    let _ = writeln!(out, "# TYPE switchboard_commit_batch_size histogram");
    engine
        .batch_stats()
        .sizes
        .render("switchboard_commit_batch_size", &mut out);
    let _ = writeln!(
        out,
        "# HELP switchboard_chats_waiting Visitor chats waiting for an operator."
    );
    let _ = writeln!(out, "# TYPE switchboard_chats_waiting gauge");
    // Left out while the database does not answer, rather than reported as zero.
    if let Ok(waiting) = engine.waiting_count().await {
        let _ = writeln!(out, "switchboard_chats_waiting {waiting}");
    }
    let _ = writeln!(
        out,
        "# HELP switchboard_http_requests_total HTTP requests by route and status."
    );
    let _ = writeln!(out, "# TYPE switchboard_http_requests_total counter");
    let requests = state
        .metrics
        .requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for ((route, status), count) in requests {
        let route = route.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(
            out,
            "switchboard_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// Shared by the two stream endpoints: the delivery histogram.
pub type Shared = Arc<Metrics>;
