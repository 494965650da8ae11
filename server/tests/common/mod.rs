//! What the HTTP test suites share: a real server on 127.0.0.1 port 0 over a `TestApp`, and a
//! reader of server-sent events.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::time::Duration;

use domain::console::Role;
use engine::{Engine, NewOperator};
use leptos::prelude::LeptosOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::{AppState, Settings};
use test_support::TestApp;
use tokio::sync::oneshot;

/// A running server on a `TestApp` (a fresh database of the backend the environment picks),
/// with a folder of its own as its site root.
pub struct TestServer {
    pub base: String,
    pub engine: Engine,
    pub client: reqwest::Client,
    pub app: TestApp,
    pub site: tempfile::TempDir,
    pub stop: Option<oneshot::Sender<()>>,
    /// The server's state, as its handlers share it.
    pub state: AppState,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// A server with the demo site on.
    pub async fn start() -> Self {
        let settings = Settings {
            demo: true,
            ..Settings::default()
        };
        Self::serve(TestApp::new().await, settings).await
    }

    /// Serves `app` over HTTP on 127.0.0.1, port 0.
    pub async fn serve(app: TestApp, settings: Settings) -> Self {
        let site = tempfile::tempdir().unwrap();
        let engine = app.engine.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let options = LeptosOptions::builder()
            .output_name("switchboard")
            .site_root(site.path().display().to_string())
            .site_addr(address)
            .build();
        let settings = Settings {
            site_root: Some(site.path().to_path_buf()),
            ..settings
        };
        let state = AppState::new(engine.clone(), options, settings);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server::run(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base: format!("http://{address}"),
            engine,
            client,
            app,
            site,
            stop: Some(stop),
            state,
            task,
        }
    }

    /// Stops gracefully (open streams end) and hands back the app, its database closed.
    pub async fn stop(mut self) -> TestApp {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("graceful shutdown within 10 s")
            .unwrap()
            .unwrap();
        drop(self.site);
        self.app.store.close().await;
        self.app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An operator, created with the default password, logged in over HTTP and past the forced
    /// password change.
    pub async fn operator(&self, name: &str) -> String {
        self.account(name, Role::Operator).await
    }

    /// Like [`TestServer::operator`], with a role.
    pub async fn account(&self, name: &str, role: Role) -> String {
        let email = format!("{}@example.com", name.to_lowercase());
        self.engine
            .create_operator(NewOperator {
                email: email.clone(),
                name: name.into(),
                role,
            })
            .await
            .unwrap();
        let cookie = self.login(&email, "password").await;
        let response = self
            .client
            .post(self.url("/api/change_password"))
            .header("cookie", &cookie)
            .form(&[
                ("input[current]", "password"),
                ("input[new_password]", "a-better-one"),
                ("input[confirm]", "a-better-one"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        cookie
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/login"))
            .form(&[("input[email]", email), ("input[password]", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    /// Calls a console server function; answers status and JSON body.
    pub async fn console(
        &self,
        cookie: Option<&str>,
        function: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(self.url(&format!("/api/{function}")))
            .form(form);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Calls a console server function that takes JSON; answers status and JSON body.
    pub async fn console_json(
        &self,
        cookie: Option<&str>,
        function: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(self.url(&format!("/api/{function}")))
            .json(&body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn new_visitor(&self) -> String {
        let response = self
            .client
            .post(self.url("/api/v1/visitors"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A visitor call; answers status and JSON body.
    pub async fn visitor(
        &self,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let request = match body {
            Some(body) => self.client.post(self.url(path)).json(&body),
            None => self.client.get(self.url(path)),
        };
        let response = request.bearer_auth(token).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn start_chat(&self, token: &str, message: &str) -> String {
        let (status, chat) = self
            .visitor(
                token,
                "/api/v1/visitor/chats",
                Some(json!({"name": "Vera", "message": message})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{chat}");
        chat["id"].as_str().unwrap().to_owned()
    }

    pub async fn say(&self, token: &str, chat: &str, body: &str) -> i64 {
        let (status, event) = self
            .visitor(
                token,
                &format!("/api/v1/visitor/chats/{chat}/messages"),
                Some(json!({"body": body})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{event}");
        event["id"].as_i64().unwrap()
    }

    pub async fn event_count(&self) -> usize {
        self.app
            .store
            .store()
            .events_after(domain::EventId(0), 100_000)
            .await
            .unwrap()
            .len()
    }
}

/// Operators' console stream, from now on.
pub async fn console_stream(server: &TestServer, cookie: &str) -> SseReader {
    let (_, snapshot) = server.console(Some(cookie), "load_console", &[]).await;
    let from = snapshot["last_event_id"].as_i64().unwrap();
    SseReader::open(
        server
            .client
            .get(server.url(&format!("/api/console/events?last_event_id={from}")))
            .header("cookie", cookie.to_owned()),
    )
    .await
}

pub fn operator_id(snapshot: &Value) -> String {
    snapshot["me"]["id"].as_str().unwrap().to_owned()
}

/// One server-sent event.
#[derive(Debug)]
pub struct Sse {
    pub id: i64,
    pub event: String,
    pub data: Value,
}

/// Reads an SSE response incrementally.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    pub async fn open(request: reqwest::RequestBuilder) -> Self {
        Self::from_response(request.send().await.unwrap())
    }

    /// Reads a response already received.
    pub fn from_response(response: reqwest::Response) -> Self {
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event with data, or `None` if the stream ended or was silent for `wait`.
    /// Signals (no `id:`) are passed over.
    pub async fn next(&mut self, wait: Duration) -> Option<Sse> {
        loop {
            match self.read(wait).await {
                Read::Block(Some(id), event, Some(data)) => return Some(Sse { id, event, data }),
                Read::Block(..) => {}
                Read::Ended | Read::Silent => return None,
            }
        }
    }

    /// The next signal (an SSE event without an id), passing over events.
    pub async fn next_signal(&mut self, wait: Duration) -> Option<(String, Value)> {
        loop {
            match self.read(wait).await {
                Read::Block(None, event, Some(data)) => return Some((event, data)),
                Read::Block(..) => {}
                Read::Ended | Read::Silent => return None,
            }
        }
    }

    /// The next SSE block, the end of the stream, or silence for `wait`. A block that does not
    /// parse (an id that is not a number, data that is not JSON) fails the test.
    pub async fn read(&mut self, wait: Duration) -> Read {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut event = String::new();
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.parse().unwrap_or_else(|_| panic!("bad id in {block:?}")));
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = Some(
                            serde_json::from_str(v)
                                .unwrap_or_else(|_| panic!("bad data in {block:?}")),
                        );
                    } else {
                        assert!(
                            line.is_empty() || line.starts_with(':') || line.starts_with("retry: "),
                            "unknown line {line:?} in {block:?}"
                        );
                    }
                }
                return Read::Block(id, event, data);
            }
            match tokio::time::timeout(wait, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Ok(None) | Err(_)) => return Read::Ended,
                Err(_) => return Read::Silent,
            }
        }
    }

    /// Asserts that no event arrives for a moment while the stream stays open.
    pub async fn quiet(&mut self) {
        loop {
            match self.read(Duration::from_millis(300)).await {
                Read::Silent => return,
                Read::Ended => panic!("the stream ended instead of staying open"),
                Read::Block(Some(id), event, _) => panic!("unexpected event {id} {event}"),
                Read::Block(None, ..) => {}
            }
        }
    }

    /// Asserts that the stream ends within `wait`, with no further event.
    pub async fn ends(&mut self, wait: Duration) {
        loop {
            match self.read(wait).await {
                Read::Ended => return,
                Read::Silent => panic!("the stream is still open"),
                Read::Block(Some(id), event, _) => panic!("unexpected event {id} {event}"),
                Read::Block(None, ..) => {}
            }
        }
    }
}

/// What reading a stream gave.
pub enum Read {
    /// A block: its id, event name and data.
    Block(Option<i64>, String, Option<Value>),
    /// The server ended the stream.
    Ended,
    /// Nothing came for the time waited.
    Silent,
}

pub const WAIT: Duration = Duration::from_secs(5);
