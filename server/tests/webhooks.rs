//! Webhooks (P4) against a real HTTP receiver on loopback: the Standard Webhooks signature
//! verifies, a delivery refused or unreachable is retried after the receiver comes back and
//! after the server restarts, nothing is lost, and private addresses are refused unless an
//! admin allows them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use base64::Engine as _;
use common::TestServer;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::Settings;
use sha2::Sha256;

/// What the receiver was sent: `webhook-id` → (timestamp, signature, body).
type Received = Arc<Mutex<BTreeMap<String, (String, String, String)>>>;

/// A webhook receiver on 127.0.0.1: answers `status` (200 unless changed) and keeps what came.
struct Receiver {
    port: u16,
    status: Arc<AtomicU16>,
    received: Received,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(port: u16, received: Received, status: Arc<AtomicU16>) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let (kept, answer) = (received.clone(), status.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (kept, answer) = (kept.clone(), answer.clone());
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let status = answer.load(Ordering::SeqCst);
                    if status == 200 {
                        kept.lock().unwrap().insert(
                            header("webhook-id"),
                            (
                                header("webhook-timestamp"),
                                header("webhook-signature"),
                                body,
                            ),
                        );
                    }
                    (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        [("connection", "close")],
                        "",
                    )
                }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            port,
            status,
            received,
            task,
        }
    }

    fn stop(self) -> (u16, Received, Arc<AtomicU16>) {
        self.task.abort();
        (self.port, self.received, self.status)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }
}

/// Saves a webhook through the console's server function; answers status and body.
async fn save_webhook(server: &TestServer, cookie: &str, form: Value) -> (StatusCode, Value) {
    let response = server
        .client
        .post(server.url("/api/save_webhook"))
        .header("cookie", cookie)
        .json(&json!({ "form": form }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn deliveries(server: &TestServer, cookie: &str) -> Vec<Value> {
    let (status, list) = server
        .console(Some(cookie), "webhook_deliveries", &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

/// Waits until `done` holds of the delivery log.
async fn until(
    server: &TestServer,
    cookie: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let list = deliveries(server, cookie).await;
        if done(&list) {
            return list;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: {list:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Checks a delivery's signature the way a receiver would, with the secret alone.
fn verify(secret: &str, id: &str, timestamp: &str, signature: &str, body: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    signature.split(' ').any(|s| s == format!("v1,{expected}"))
}

fn types(received: &Received) -> Vec<String> {
    received
        .lock()
        .unwrap()
        .values()
        .map(|(_, _, body)| {
            serde_json::from_str::<Value>(body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_retried_and_survive_restarts() {
    let server = TestServer::start().await;
    let ada = server.account("Ada", domain::console::Role::Admin).await;
    let ann = server.operator("Ann").await;
    let received: Received = Arc::default();
    let status = Arc::new(AtomicU16::new(200));
    let receiver = Receiver::start(0, received.clone(), status.clone()).await;

    // Loopback is private: refused until the admin allows it; operators may not register.
    let form = json!({
        "url": receiver.url(),
        "events": ["chat.started", "chat.message", "chat.closed", "offline_message.created"],
    });
    let (code, body) = save_webhook(&server, &ada, form.clone()).await;
    assert_eq!(
        (code, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("url")),
        "{body}"
    );
    let mut allowed = form.clone();
    allowed["allow_private"] = json!(true);
    let (code, _) = save_webhook(&server, &ann, allowed.clone()).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, hook) = save_webhook(&server, &ada, allowed).await;
    assert_eq!(code, StatusCode::OK, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));

    // A chat: started, a visitor message, an operator message, a private note (never sent).
    let visitor = server.new_visitor().await;
    let chat = server.start_chat(&visitor, "Is the shop open?").await;
    let (code, _) = server
        .console(Some(&ann), "accept_chat", &[("chat_id", &chat)])
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = server
        .console_json(
            Some(&ann),
            "post_message",
            json!({"input": {"chat_id": chat, "body": "Yes, until six."}}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = server
        .console_json(
            Some(&ann),
            "post_message",
            json!({"input": {"chat_id": chat, "body": "secret note", "note": true}}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    until(&server, &ada, "three delivered", |list| {
        list.len() == 3 && list.iter().all(|d| d["state"] == "delivered")
    })
    .await;
    let mut kinds = types(&received);
    kinds.sort();
    assert_eq!(kinds, ["chat.message", "chat.message", "chat.started"]);
    for (id, (timestamp, signature, body)) in received.lock().unwrap().iter() {
        assert!(
            verify(&secret, id, timestamp, signature, body),
            "bad signature on {id}"
        );
        assert!(!verify(
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            id,
            timestamp,
            signature,
            body
        ));
        assert!(!body.contains("secret note"));
        let payload: Value = serde_json::from_str(body).unwrap();
        assert!(
            payload["timestamp"].as_str().unwrap().ends_with('Z'),
            "{payload}"
        );
        assert_eq!(payload["data"]["chat_id"], chat.as_str());
    }

    // The receiver goes away: the next delivery fails, and is retried once it is back.
    let (port, received, status) = receiver.stop();
    let (code, _) = server
        .console_json(
            Some(&ann),
            "post_message",
            json!({"input": {"chat_id": chat, "body": "Anything else?"}}),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let list = until(&server, &ada, "a failed try", |list| {
        list.first()
            .is_some_and(|d| d["attempts"] == 1 && d["state"] == "pending")
    })
    .await;
    assert!(
        list[0]["last_error"].as_str().unwrap().contains("connect"),
        "{:#?}",
        list[0]
    );
    let receiver = Receiver::start(port, received.clone(), status.clone()).await;
    until(&server, &ada, "delivered on retry", |list| {
        list.first()
            .is_some_and(|d| d["state"] == "delivered" && d["attempts"] == 2)
    })
    .await;
    assert_eq!(received.lock().unwrap().len(), 4);

    // The receiver answers 503; the server stops with the delivery pending and restarts.
    status.store(503, Ordering::SeqCst);
    let (code, body) = server
        .console_json(
            Some(&ann),
            "chat_action",
            json!({"input": {"chat_id": chat, "action": "close"}}),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    until(&server, &ada, "a refused try", |list| {
        list.first()
            .is_some_and(|d| d["last_status"] == 503 && d["state"] == "pending")
    })
    .await;
    let app = server.stop().await;
    status.store(200, Ordering::SeqCst);
    let server = TestServer::serve(
        app.restart().await,
        Settings {
            demo: true,
            ..Settings::default()
        },
    )
    .await;
    let ada = server.login("ada@example.com", "a-better-one").await;
    until(&server, &ada, "delivered after the restart", |list| {
        list.iter().all(|d| d["state"] == "delivered")
    })
    .await;
    let mut kinds = types(&received);
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "chat.closed",
            "chat.message",
            "chat.message",
            "chat.message",
            "chat.started"
        ]
    );

    // An offline message is told too, queued with it.
    let (code, body) = server
        .visitor(
            &server.new_visitor().await,
            "/api/v1/visitor/messages",
            Some(json!({"name": "Olga", "email": "olga@example.com", "message": "Call me"})),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    until(&server, &ada, "the offline message", |list| {
        list.len() == 6 && list.iter().all(|d| d["state"] == "delivered")
    })
    .await;
    assert!(types(&received).contains(&"offline_message.created".to_owned()));
    receiver.stop();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_resolves_to_a_private_address_is_not_connected_to() {
    let server = TestServer::start().await;
    let ada = server.account("Ada", domain::console::Role::Admin).await;
    let received: Received = Arc::default();
    let receiver = Receiver::start(0, received.clone(), Arc::new(AtomicU16::new(200))).await;
    // `localhost` passes the form (a name), but resolves to loopback only.
    let url = format!("http://localhost:{}/hook", receiver.port);
    let (code, hook) = save_webhook(
        &server,
        &ada,
        json!({"url": url, "events": ["chat.started"]}),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{hook}");
    server
        .start_chat(&server.new_visitor().await, "Hello")
        .await;
    let list = until(&server, &ada, "a refused try", |list| {
        list.first().is_some_and(|d| d["attempts"] == 1)
    })
    .await;
    assert!(
        list[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("public address"),
        "{:#?}",
        list[0]
    );
    assert!(received.lock().unwrap().is_empty());

    // The admin allows private addresses for it: the retry goes through.
    let mut form =
        json!({"id": hook["id"], "url": url, "events": ["chat.started"], "allow_private": true});
    let (code, _) = save_webhook(&server, &ada, form.take()).await;
    assert_eq!(code, StatusCode::OK);
    until(&server, &ada, "delivered once allowed", |list| {
        list[0]["state"] == "delivered"
    })
    .await;
    assert_eq!(received.lock().unwrap().len(), 1);
    receiver.stop();
    server.stop().await;
}
