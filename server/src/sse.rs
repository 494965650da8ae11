//! Server-sent events: turns an engine stream into an SSE response.
//!
//! Each event is `id: <event id>`, `event: <type>`, `data: <ChatEvent JSON>`. Signals (typing,
//! viewing, presence) are `event: <type>`, `data: <Signal JSON>` with no `id:`, so they never
//! move the point a reconnecting client resumes from. The stream starts
//! with a `retry` hint, sends a heartbeat comment every 15 seconds so proxies keep idle streams
//! open, and ends when the engine says the client lagged (it reconnects and replays) or when
//! the server shuts down.

use std::convert::Infallible;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use domain::{ErrorCode, EventId};
use engine::stream::{EventStream, StreamItem};
use futures::Stream;
use futures::stream::{self, StreamExt};
use tokio::sync::watch;

use crate::ApiError;

/// How long a client waits before reconnecting: at least this…
const RETRY: Duration = Duration::from_millis(500);
/// …plus up to this much, at random, so that clients cut off together (a restart) do not all
/// come back in the same instant.
const RETRY_JITTER_MS: u64 = 1000;

/// This stream's reconnection delay.
fn retry_delay() -> Duration {
    use std::hash::{BuildHasher, Hasher};
    // A fresh `RandomState` is randomly keyed: enough randomness for spreading reconnects.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    RETRY + Duration::from_millis(random % RETRY_JITTER_MS)
}
/// Heartbeat interval.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Where a client resumes: the `Last-Event-ID` header, else `?last_event_id=`, else `None`
/// (only live events). A malformed value is a bad request.
pub fn resume_point(headers: &HeaderMap, query: Option<&str>) -> Result<Option<EventId>, ApiError> {
    let header = headers
        .get("last-event-id")
        .map(|value| value.to_str().unwrap_or("x"));
    match header.or(query).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => value.parse::<EventId>().map(Some).map_err(|_| {
            ApiError::new(ErrorCode::BadRequest, "Last-Event-ID must be an event id.")
        }),
    }
}

/// The event id a stream starts after: the client's resume point, or the newest event (only
/// live events) for a client that has none. A resume point past the newest event answers
/// `reload_required`.
pub async fn start_after(
    engine: &engine::Engine,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<EventId, ApiError> {
    let resume = resume_point(headers, query)?;
    let newest = engine.last_event_id().await?;
    match resume {
        // Replaying after an event the log does not hold would pass nothing, and the client
        // would wait on a stream that skips everything up to its position: it must reload.
        Some(after) if after > newest => Err(ApiError::new(
            ErrorCode::ReloadRequired,
            "This stream position is ahead of the server's events; load afresh.",
        )),
        Some(after) => Ok(after),
        None => Ok(newest),
    }
}

/// An operator's stream, for the console (cookie) and the operator API (token) alike: the
/// dashboard changes of `channels` (`all`, or channel ids) and the events of their chats,
/// resumed after the client's point; it ends with the session or token.
pub async fn operator_stream(
    state: &crate::AppState,
    session: &engine::Session,
    channels: Option<&str>,
    last_event_id: Option<&str>,
    headers: &HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let interest = domain::reach::Interest::parse_query(channels)?;
    let after = start_after(&state.engine, headers, last_event_id).await?;
    let events = state
        .engine
        .open_console_stream(session, interest, after)
        .await?;
    Ok(respond(
        events,
        false,
        state.shutdown.subscribe(),
        state.metrics.clone(),
    )
    .into_response())
}

/// The SSE response for an engine stream. A visitor's events carry the line they read for each
/// ([`domain::api::VisitorEvent`]).
pub fn respond(
    events: EventStream,
    for_visitor: bool,
    mut shutdown: watch::Receiver<bool>,
    metrics: crate::metrics::Shared,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Mark the receiver as seen so `wait_for` reacts only to a later shutdown.
    shutdown.mark_unchanged();
    let hint = stream::once(async { Ok(Event::default().retry(retry_delay())) });
    let live = stream::unfold(events, move |mut events| {
        let mut shutdown = shutdown.clone();
        let metrics = metrics.clone();
        async move {
            let item = tokio::select! {
                item = events.recv() => item,
                _ = shutdown.wait_for(|stopping| *stopping) => None,
            };
            match item {
                Some(StreamItem::Event(event)) => {
                    #[allow(clippy::cast_precision_loss)]
                    let age = engine::now().millis_since(event.at) as f64 / 1000.0;
                    metrics.delivery.observe(age);
                    let (id, name) = (event.id.to_string(), event.kind.name());
                    let data = if for_visitor {
                        serde_json::to_string(&domain::api::VisitorEvent::from(event))
                    } else {
                        serde_json::to_string(&event)
                    }
                    .unwrap_or_default();
                    let sse = Event::default().id(id).event(name).data(data);
                    Some((Ok(sse), events))
                }
                Some(StreamItem::Signal(signal)) => {
                    let data = serde_json::to_string(&signal).unwrap_or_default();
                    Some((Ok(Event::default().event(signal.name()).data(data)), events))
                }
                Some(StreamItem::Lagged) | None => None,
            }
        }
    });
    Sse::new(hint.chain(live)).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat"))
}
