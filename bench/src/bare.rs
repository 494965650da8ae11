//! The `bare-sse` baseline: the least an axum SSE server can do for the same job, to tell the
//! cost of Switchboard's work (authentication, the SQLite commit, the event bus, visibility
//! filtering) from the cost of HTTP and SSE themselves.
//!
//! - `GET /events?client=K` opens client K's stream: a `retry` hint first, then each message
//!   posted for K, with the same 15-second heartbeat comment as the real server.
//! - `POST /send?client=K` with `{body, client_id?}` hands
//!   `{id, type: "message_posted", body, client_id}` to K's stream (as `id:`,
//!   `event: message_posted`, `data:`) and answers it as JSON; 404 when K has no stream.
//!
//! It prints `bare-sse is listening on http://127.0.0.1:PORT/` and exits when its standard
//! input closes, so it never outlives the bench that started it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Read;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use futures::stream::{self, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;

/// Events buffered per stream (the real server buffers 256 too).
const BUFFER: usize = 256;

#[derive(Default)]
struct Streams {
    senders: Mutex<HashMap<String, mpsc::Sender<Event>>>,
    last_id: AtomicI64,
}

impl Streams {
    fn sender(&self, client: &str) -> Option<mpsc::Sender<Event>> {
        let senders = self.senders.lock().unwrap_or_else(PoisonError::into_inner);
        senders.get(client).cloned()
    }
}

#[derive(Deserialize)]
struct Client {
    client: String,
}

#[derive(Deserialize)]
struct Message {
    body: String,
    #[serde(default)]
    client_id: Option<String>,
}

/// Runs the baseline server until standard input closes.
pub async fn serve() -> Result<(), String> {
    let streams = Arc::new(Streams::default());
    let app = Router::new()
        .route("/events", get(events))
        .route("/send", post(send))
        .with_state(streams);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|err| format!("cannot listen: {err}"))?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("cannot read the listening address: {err}"))?;
    let (closed, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = [0u8; 64];
        while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
        let _ = closed.send(());
    });
    println!("bare-sse is listening on http://{address}/");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stdin_closed.await;
        })
        .await
        .map_err(|err| format!("server error: {err}"))
}

async fn events(
    State(streams): State<Arc<Streams>>,
    Query(Client { client }): Query<Client>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (sender, receiver) = mpsc::channel(BUFFER);
    streams
        .senders
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(client, sender);
    let hint = stream::once(async { Ok(Event::default().retry(Duration::from_secs(1))) });
    let live = stream::unfold(receiver, |mut receiver| async move {
        let event = receiver.recv().await?;
        Some((Ok(event), receiver))
    });
    Sse::new(hint.chain(live)).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("heartbeat"),
    )
}

async fn send(
    State(streams): State<Arc<Streams>>,
    Query(Client { client }): Query<Client>,
    Json(message): Json<Message>,
) -> Response {
    let Some(sender) = streams.sender(&client) else {
        return (StatusCode::NOT_FOUND, "no stream for this client").into_response();
    };
    let id = streams.last_id.fetch_add(1, Ordering::Relaxed) + 1;
    let data = serde_json::json!({
        "id": id,
        "type": "message_posted",
        "body": message.body,
        "client_id": message.client_id,
    });
    let event = Event::default()
        .id(id.to_string())
        .event("message_posted")
        .data(data.to_string());
    if sender.send(event).await.is_err() {
        streams
            .senders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&client);
        return (StatusCode::NOT_FOUND, "the client's stream has ended").into_response();
    }
    Json(data).into_response()
}
