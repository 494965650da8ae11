//! The real server on 127.0.0.1 port 0 over HTTP: races, SSE replay, restarts, bad input,
//! authorisation, CORS and CSRF.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{SseReader, TestServer, WAIT, console_stream, operator_id};
use domain::console::Role;
use engine::store::Database;
use engine::{Engine, EngineConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::Settings;
use test_support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_operators_accepting_the_same_chat_concurrently_exactly_one_wins() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let bob = server.operator("Bob").await;
    for round in 0..5 {
        let token = server.new_visitor().await;
        let chat = server.start_chat(&token, &format!("race {round}")).await;
        let form = [("chat_id", chat.as_str())];
        let (a, b) = tokio::join!(
            server.console(Some(&ann), "accept_chat", &form),
            server.console(Some(&bob), "accept_chat", &form)
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{a:?} {b:?}"
        );
        let loser = if a.0 == StatusCode::CONFLICT {
            a.1
        } else {
            b.1
        };
        assert_eq!(loser["code"], "chat_not_waiting");
        assert_eq!(
            loser["message"],
            "This chat was already taken by another operator."
        );
    }
}

#[tokio::test]
async fn a_visitor_reconnecting_with_last_event_id_receives_exactly_the_missed_events() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "hello").await;

    let mut stream = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/visitor/events"))
            .bearer_auth(&token)
            .header("last-event-id", "0"),
    )
    .await;
    let started = stream.next(WAIT).await.unwrap();
    assert_eq!(started.event, "chat_started");
    let first = stream.next(WAIT).await.unwrap();
    assert_eq!(first.data["body"], "hello");
    drop(stream);

    // While disconnected: an accept, an operator message and a visitor message.
    let (status, _) = server
        .console(Some(&ann), "accept_chat", &[("chat_id", &chat)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .console_json(
            Some(&ann),
            "post_message",
            json!({"input": {"chat_id": chat, "body": "Hi, I'm Ann"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let last_missed = server.say(&token, &chat, "great").await;

    let mut stream = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/visitor/events"))
            .bearer_auth(&token)
            .header("last-event-id", first.id.to_string()),
    )
    .await;
    let mut missed = Vec::new();
    while let Some(event) = stream.next(Duration::from_millis(500)).await {
        missed.push(event);
    }
    let kinds: Vec<&str> = missed.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "operator_accepted",
            "status_changed",
            "message_posted",
            "message_posted"
        ]
    );
    assert!(missed.iter().all(|e| e.id > first.id));
    assert!(missed.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(missed.last().unwrap().id, last_missed);
    // Each event carries the line the visitor reads for it, in the product's words (what the
    // bubble shows); messages show as messages and have none.
    assert_eq!(missed[0].data["text"], "Ann joined the chat");
    assert!(missed[2].data.get("text").is_none(), "{}", missed[2].data);
    let (status, view) = server.visitor(&token, "/api/v1/visitor", None).await;
    assert_eq!(status, StatusCode::OK);
    let events = view["chat"]["events"].as_array().unwrap();
    let joined = events
        .iter()
        .find(|e| e["type"] == "operator_accepted")
        .unwrap();
    assert_eq!(joined["text"], "Ann joined the chat");
    assert!(
        events
            .iter()
            .filter(|e| e["type"] == "message_posted")
            .all(|e| e.get("text").is_none())
    );

    // Then live, once.
    let live = server.say(&token, &chat, "still there?").await;
    let event = stream.next(WAIT).await.unwrap();
    assert_eq!(event.id, live);
    stream.quiet().await;

    // A position past the newest event (the server's data was replaced) is not silently
    // accepted: the client is told to load afresh.
    let ahead = server
        .client
        .get(server.url("/api/v1/visitor/events"))
        .bearer_auth(&token)
        .header("last-event-id", (live + 1000).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(ahead.status(), StatusCode::BAD_REQUEST);
    let body: Value = ahead.json().await.unwrap();
    assert_eq!(body["error"]["code"], "reload_required", "{body}");
}

#[tokio::test]
async fn stopping_the_server_between_two_messages_loses_nothing() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "before the restart").await;
    let (status, _) = server
        .console(Some(&ann), "accept_chat", &[("chat_id", &chat)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = server.say(&token, &chat, "first").await;

    // An open stream ends when the server stops, instead of holding the shutdown up.
    let mut stream = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/visitor/events"))
            .bearer_auth(&token)
            .header("last-event-id", before.to_string()),
    )
    .await;
    let app = server.stop().await;
    stream.ends(WAIT).await;

    let server = TestServer::serve(app.restart().await, Settings::default()).await;
    let after = server.say(&token, &chat, "second").await;
    assert!(after > before);
    let (status, view) = server.visitor(&token, "/api/v1/visitor", None).await;
    assert_eq!(status, StatusCode::OK);
    let bodies: Vec<&str> = view["chat"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .collect();
    assert_eq!(bodies, ["before the restart", "first", "second"]);

    // Replay across the restart: every event once, in order.
    let mut stream = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/visitor/events"))
            .bearer_auth(&token)
            .header("last-event-id", "0"),
    )
    .await;
    let mut ids = Vec::new();
    while let Some(event) = stream.next(Duration::from_millis(500)).await {
        ids.push(event.id);
    }
    assert_eq!(ids.len(), 6);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(ids.last(), Some(&after));

    // The operator's session and chat survived too.
    let (status, snapshot) = server.console(Some(&ann), "load_console", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        snapshot["my_chats"][0]["events"].as_array().unwrap().len(),
        6
    );
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_code_and_writes_nothing() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let token = server.new_visitor().await;
    let stranger = server.new_visitor().await;
    let chat = server.start_chat(&token, "hi").await;
    let messages = format!("/api/v1/visitor/chats/{chat}/messages");
    let (status, _) = server
        .console(Some(&ann), "accept_chat", &[("chat_id", &chat)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = server.event_count().await;

    let cases: Vec<(u16, &str, (StatusCode, Value))> = vec![
        (
            400,
            "invalid_field",
            server
                .visitor(
                    &stranger,
                    "/api/v1/visitor/chats",
                    Some(json!({"name": "\u{202E}nimdA", "message": "Hi, I am the admin"})),
                )
                .await,
        ),
        (
            400,
            "invalid_field",
            server
                .visitor(
                    &token,
                    "/api/v1/visitor/page",
                    Some(json!({"url": "javascript:alert(1)"})),
                )
                .await,
        ),
        (
            400,
            "empty_message",
            server
                .visitor(&token, &messages, Some(json!({"body": "   "})))
                .await,
        ),
        (
            400,
            "message_too_long",
            server
                .visitor(&token, &messages, Some(json!({"body": "x".repeat(4097)})))
                .await,
        ),
        (
            413,
            "payload_too_large",
            server
                .visitor(&token, &messages, Some(json!({"body": "x".repeat(20_000)})))
                .await,
        ),
        (
            400,
            "bad_request",
            server
                .visitor(&token, &messages, Some(json!({"text": "wrong field"})))
                .await,
        ),
        (
            404,
            "chat_not_found",
            server
                .visitor(
                    &token,
                    "/api/v1/visitor/chats/not-a-chat/messages",
                    Some(json!({"body": "x"})),
                )
                .await,
        ),
        (
            404,
            "chat_not_found",
            server
                .visitor(
                    &token,
                    &format!("/api/v1/visitor/chats/{}/messages", uuid::Uuid::nil()),
                    Some(json!({"body": "x"})),
                )
                .await,
        ),
        (
            404,
            "chat_not_found",
            server
                .visitor(&stranger, &messages, Some(json!({"body": "not my chat"})))
                .await,
        ),
        (
            404,
            "chat_not_found",
            server
                .visitor(
                    &stranger,
                    &format!("/api/v1/visitor/chats/{chat}/end"),
                    Some(json!({})),
                )
                .await,
        ),
        (
            401,
            "unauthorized",
            server
                .visitor("forged-token", &messages, Some(json!({"body": "x"})))
                .await,
        ),
        (
            409,
            "chat_already_open",
            server
                .visitor(
                    &token,
                    "/api/v1/visitor/chats",
                    Some(json!({"name": "V", "message": "again"})),
                )
                .await,
        ),
        (
            409,
            "chat_not_waiting",
            server
                .console(Some(&ann), "accept_chat", &[("chat_id", &chat)])
                .await,
        ),
        (
            400,
            "bad_request",
            server
                .console(Some(&ann), "accept_chat", &[("chat_id", "garbage")])
                .await,
        ),
        (
            400,
            "empty_message",
            server
                .console_json(
                    Some(&ann),
                    "post_message",
                    json!({"input": {"chat_id": chat, "body": ""}}),
                )
                .await,
        ),
        (
            401,
            "unauthorized",
            server.console(None, "load_console", &[]).await,
        ),
        (
            401,
            "unauthorized",
            server
                .console(None, "accept_chat", &[("chat_id", &chat)])
                .await,
        ),
        (
            401,
            "unauthorized",
            server
                .console_json(
                    Some("switchboard_session=forged"),
                    "post_message",
                    json!({"input": {"chat_id": chat, "body": "x"}}),
                )
                .await,
        ),
    ];
    for (status, code, (got_status, body)) in cases {
        let got_code = body["error"]["code"]
            .as_str()
            .or(body["code"].as_str())
            .unwrap_or("?")
            .to_owned();
        assert_eq!(
            (got_status.as_u16(), got_code.as_str()),
            (status, code),
            "{body}"
        );
    }
    assert_eq!(server.event_count().await, before);
}

#[tokio::test]
async fn a_retried_visitor_message_is_stored_once() {
    let server = TestServer::start().await;
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "hi").await;
    let path = format!("/api/v1/visitor/chats/{chat}/messages");
    let body = json!({"body": "once", "client_id": "retry-1"});
    let (_, first) = server.visitor(&token, &path, Some(body.clone())).await;
    let (status, second) = server.visitor(&token, &path, Some(body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first, second);
    assert_eq!(server.event_count().await, 3);
}

#[tokio::test]
async fn login_is_refused_without_saying_why_and_the_default_password_blocks_everything_else() {
    let server = TestServer::start().await;
    server
        .engine
        .ensure_first_admin("admin@example.com")
        .await
        .unwrap();
    for (email, password) in [
        ("admin@example.com", "nope"),
        ("ghost@example.com", "password"),
    ] {
        let (status, body) = server
            .console(
                None,
                "login",
                &[("input[email]", email), ("input[password]", password)],
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "invalid_credentials");
        assert_eq!(body["message"], "Wrong email or password.");
    }
    let cookie = server.login("admin@example.com", "password").await;
    let (status, body) = server.console(Some(&cookie), "load_console", &[]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    let page = server
        .client
        .get(server.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/password");
    let stream = server
        .client
        .get(server.url("/api/console/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::FORBIDDEN);

    let (status, body) = server
        .console(
            Some(&cookie),
            "change_password",
            &[
                ("input[current]", "password"),
                ("input[new_password]", "password"),
                ("input[confirm]", "password"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("weak_password"))
    );
    let (status, _) = server
        .console(
            Some(&cookie),
            "change_password",
            &[
                ("input[current]", "password"),
                ("input[new_password]", "long-enough"),
                ("input[confirm]", "long-enough"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.console(Some(&cookie), "load_console", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let page = server
        .client
        .get(server.url("/login"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["location"], "/");

    let (status, _) = server.console(Some(&cookie), "logout", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.console(Some(&cookie), "load_console", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let page = server
        .client
        .get(server.url("/chats"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["location"], "/login");
}

#[tokio::test]
async fn the_console_stream_carries_the_queue_and_my_chats_and_replays_after_reconnect() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let bob = server.operator("Bob").await;
    let (_, snapshot) = server.console(Some(&bob), "load_console", &[]).await;
    let from = snapshot["last_event_id"].as_i64().unwrap().to_string();
    let open = |cookie: &str, after: &str| {
        server
            .client
            .get(server.url(&format!("/api/console/events?last_event_id={after}")))
            .header("cookie", cookie.to_owned())
    };
    let mut bob_stream = SseReader::open(open(&bob, &from)).await;
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "secret").await;
    assert_eq!(bob_stream.next(WAIT).await.unwrap().event, "chat_started");
    // Not Bob's chat: the queue change reaches him, the message does not.
    bob_stream.quiet().await;
    server
        .console(Some(&ann), "accept_chat", &[("chat_id", &chat)])
        .await;
    assert_eq!(
        bob_stream.next(WAIT).await.unwrap().event,
        "operator_accepted"
    );
    assert_eq!(bob_stream.next(WAIT).await.unwrap().event, "status_changed");
    server.say(&token, &chat, "for Ann only").await;
    bob_stream.quiet().await;

    // Ann replays, via Last-Event-ID, everything that reached her since before the chat: the
    // queue change, and the chat from when she took it (its earlier messages are in its
    // history, which the console loads when she comes in).
    let mut ann_stream = SseReader::open(open(&ann, "999999").header("last-event-id", &from)).await;
    let kinds: Vec<String> = {
        let mut kinds = Vec::new();
        while let Some(event) = ann_stream.next(Duration::from_millis(500)).await {
            kinds.push(event.event);
        }
        kinds
    };
    assert_eq!(
        kinds,
        [
            "chat_started",
            "operator_accepted",
            "status_changed",
            "message_posted"
        ]
    );
    let response = server
        .client
        .get(server.url("/api/console/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = open(&ann, "not-a-number").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = open(&ann, "99999999").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "reload_required", "{body}");
}

#[tokio::test]
async fn only_configured_origins_may_call_the_visitor_api_and_console_posts_must_be_same_origin() {
    let settings = Settings {
        allowed_origins: vec!["https://shop.example".into()],
        ..Settings::default()
    };
    let server = TestServer::serve(TestApp::new().await, settings).await;
    let allowed = server
        .client
        .post(server.url("/api/v1/visitors"))
        .header("origin", "https://shop.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::CREATED);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let preflight = server
        .client
        .request(
            reqwest::Method::OPTIONS,
            server.url("/api/v1/visitor/events"),
        )
        .header("origin", "https://shop.example")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert!(
        preflight.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Authorization")
    );
    let refused = server
        .client
        .post(server.url("/api/v1/visitors"))
        .header("origin", "https://evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // The refused page may read why (its loader tells the site's developer), nothing more.
    assert_eq!(
        refused.headers()["access-control-allow-origin"],
        "https://evil.example"
    );
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"]["code"],
        "origin_not_allowed"
    );

    let ann = server.operator("Ann").await;
    let cross_site = server
        .client
        .post(server.url("/api/load_console"))
        .header("cookie", &ann)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let same_site = server
        .client
        .post(server.url("/api/load_console"))
        .header("cookie", &ann)
        .header("origin", server.base.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_demo_page_embeds_the_customer_snippet_and_console_pages_render() {
    let server = TestServer::start().await;
    let demo = server
        .client
        .get(server.url("/demo"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let snippet = format!(
        r#"<script src="{}/widget/loader.js" async data-switchboard"#,
        server.base
    );
    assert!(demo.contains(&snippet), "{demo}");
    let login = server
        .client
        .get(server.url("/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(
        html.contains("Log in to the operator console") && html.contains("/pkg/switchboard.js")
    );
    let config: Value = server
        .client
        .get(server.url("/api/v1/widget/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["name_required"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_controls_are_authorised_on_the_server_and_refusals_write_nothing() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let eve = server.operator("Eve").await;
    let (_, ann_snapshot) = server.console(Some(&ann), "load_console", &[]).await;
    let ann_id = operator_id(&ann_snapshot);
    let _ann_online = console_stream(&server, &ann).await;
    let _eve_online = console_stream(&server, &eve).await;
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "hello").await;
    let (status, _) = server
        .console(Some(&ann), "accept_chat", &[("chat_id", &chat)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = server.event_count().await;

    for function in ["load_chat", "visitor_info"] {
        let (status, body) = server
            .console(Some(&eve), function, &[("chat_id", &chat)])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{function}: {body}");
        assert_eq!(body["code"], "not_a_participant", "{function}: {body}");
    }
    let refusals = [
        ("post_message", json!({"chat_id": chat, "body": "hi"})),
        (
            "post_message",
            json!({"chat_id": chat, "body": "note", "note": true}),
        ),
        (
            "offer_chat",
            json!({"chat_id": chat, "kind": "invite", "target": ann_id}),
        ),
        (
            "offer_chat",
            json!({"chat_id": chat, "kind": "transfer", "target": ann_id}),
        ),
        ("chat_action", json!({"chat_id": chat, "action": "kick"})),
        ("chat_action", json!({"chat_id": chat, "action": "close"})),
        ("chat_action", json!({"chat_id": chat, "action": "leave"})),
        ("chat_action", json!({"chat_id": chat, "action": "hold"})),
        (
            "set_monitoring",
            json!({"chat_id": chat, "monitoring": "all"}),
        ),
        ("chat_signal", json!({"chat_id": chat, "typing": true})),
        ("mark_read", json!({"chat_id": chat, "up_to": 1})),
    ];
    for (function, input) in refusals {
        let (status, body) = server
            .console_json(Some(&eve), function, json!({ "input": input }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{function}: {body}");
        assert_eq!(body["code"], "not_a_participant", "{function}: {body}");
    }
    // Nor can she take back an offer she never made.
    let (status, body) = server
        .console_json(
            Some(&eve),
            "withdraw_offer",
            json!({"input": {"chat_id": chat, "target": ann_id}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "no_pending_offer", "{body}");
    // Watching is allowed, but a watcher cannot post or kick.
    let (status, _) = server
        .console_json(
            Some(&eve),
            "chat_action",
            json!({"input": {"chat_id": chat, "action": "watch"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let after_watch = server.event_count().await;
    assert_eq!(after_watch, before + 1);
    for (function, input) in [
        ("post_message", json!({"chat_id": chat, "body": "boo"})),
        ("chat_action", json!({"chat_id": chat, "action": "kick"})),
    ] {
        let (status, body) = server
            .console_json(Some(&eve), function, json!({ "input": input }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{function}: {body}");
        assert_eq!(body["code"], "read_only", "{function}: {body}");
    }
    // Unknown actions and targets are bad requests or unavailable, never a change.
    let (status, _) = server
        .console_json(
            Some(&ann),
            "chat_action",
            json!({"input": {"chat_id": chat, "action": "explode"}}),
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    let nobody = "0195f000-0000-7000-8000-00000000dead";
    let (status, body) = server
        .console_json(
            Some(&ann),
            "offer_chat",
            json!({"input": {"chat_id": chat, "kind": "invite", "target": nobody}}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "operator_unavailable");
    assert_eq!(server.event_count().await, after_watch, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kicked_visitor_s_stream_ends_with_the_kick_even_on_replay() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let mut ann_stream = console_stream(&server, &ann).await;
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "hello").await;
    let open_visitor = |after: i64| {
        server
            .client
            .get(server.url(&format!("/api/v1/visitor/events?last_event_id={after}")))
            .bearer_auth(&token)
    };
    let mut visitor_stream = SseReader::open(open_visitor(0)).await;
    server
        .console(Some(&ann), "accept_chat", &[("chat_id", &chat)])
        .await;

    // Typing goes both ways as signals, without ids.
    let (status, _) = server
        .visitor(
            &token,
            &format!("/api/v1/visitor/chats/{chat}/typing"),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (event, data) = ann_stream.next_signal(WAIT).await.unwrap();
    assert_eq!(event, "typing");
    assert_eq!(data["author"]["kind"], "visitor");
    server
        .console_json(
            Some(&ann),
            "chat_signal",
            json!({"input": {"chat_id": chat, "typing": true}}),
        )
        .await;
    let (event, data) = visitor_stream.next_signal(WAIT).await.unwrap();
    assert_eq!(event, "typing");
    assert_eq!(data["name"], "Ann");

    // Seen marks (V5) go both ways as signals too; an event of no such chat is a 400.
    let (_, view) = server.visitor(&token, "/api/v1/visitor", None).await;
    let newest = view["chat"]["events"].as_array().unwrap().last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let seen_url = format!("/api/v1/visitor/chats/{chat}/seen");
    let (status, body) = server
        .visitor(&token, &seen_url, Some(json!({"up_to": newest + 1000})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "up_to", "{body}");
    let (status, _) = server
        .visitor(&token, &seen_url, Some(json!({"up_to": newest})))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (event, data) = ann_stream.next_signal(WAIT).await.unwrap();
    assert_eq!(event, "seen");
    assert_eq!(
        data,
        json!({"type": "seen", "chat_id": chat, "by_visitor": true, "up_to": newest})
    );
    let (status, body) = server
        .console_json(
            Some(&ann),
            "mark_read",
            json!({"input": {"chat_id": chat, "up_to": newest}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (event, data) = visitor_stream.next_signal(WAIT).await.unwrap();
    assert_eq!(event, "seen");
    assert_eq!(data["by_visitor"], false);

    let (status, _) = server
        .console_json(
            Some(&ann),
            "chat_action",
            json!({"input": {"chat_id": chat, "action": "kick"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The operators go on talking after the kick; the visitor must not hear it.
    let (status, after_kick) = server
        .console_json(
            Some(&ann),
            "post_message",
            json!({"input": {"chat_id": chat, "body": "after the kick"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after_kick}");
    let mut seen = Vec::new();
    while let Some(event) = visitor_stream.next(Duration::from_millis(500)).await {
        seen.push(event.event);
    }
    assert_eq!(seen.last().map(String::as_str), Some("visitor_kicked"));
    // A fresh stream replaying everything, and a reload, end at the kick too.
    let mut replay = SseReader::open(open_visitor(0)).await;
    let mut replayed = Vec::new();
    while let Some(event) = replay.next(Duration::from_millis(500)).await {
        replayed.push(event.event);
    }
    assert_eq!(
        replayed,
        [
            "chat_started",
            "message_posted",
            "operator_accepted",
            "status_changed",
            "visitor_kicked"
        ]
    );
    let (status, view) = server.visitor(&token, "/api/v1/visitor", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["chat"]["open"], false);
    let events = view["chat"]["events"].as_array().unwrap();
    assert_eq!(events.last().unwrap()["type"], "visitor_kicked");
    assert!(!view.to_string().contains("after the kick"));
    let (status, body) = server
        .visitor(
            &token,
            &format!("/api/v1/visitor/chats/{chat}/typing"),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "chat_closed");
    let (status, _) = server
        .visitor(
            &token,
            "/api/v1/visitor/page",
            Some(json!({"url": "https://shop.example/help", "title": "Help"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_functions_answer_403_to_non_admins_and_change_nothing() {
    let server = TestServer::start().await;
    let admin = server.account("Ada", Role::Admin).await;
    let (_, admin_snapshot) = server.console(Some(&admin), "load_console", &[]).await;
    let admin_id = operator_id(&admin_snapshot);
    let (status, listed) = server.console(Some(&admin), "list_operators", &[]).await;
    assert_eq!(status, StatusCode::OK);
    for role in [Role::Operator, Role::Supervisor] {
        let caller = server.account(role.as_str(), role).await;
        let calls: [(&str, Vec<(&str, &str)>); 4] = [
            ("list_operators", vec![]),
            (
                "add_operator",
                vec![
                    ("input[email]", "x@example.com"),
                    ("input[name]", "X"),
                    ("input[role]", "admin"),
                ],
            ),
            (
                "edit_operator",
                vec![
                    ("input[id]", &admin_id),
                    ("input[email]", "x@example.com"),
                    ("input[name]", "X"),
                    ("input[role]", "operator"),
                ],
            ),
            (
                "set_operator_disabled",
                vec![("input[id]", &admin_id), ("input[disabled]", "true")],
            ),
        ];
        for (function, form) in &calls {
            let (status, body) = server.console(Some(&caller), function, form).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role:?} {function}: {body}");
            assert_eq!(body["code"], "forbidden", "{role:?} {function}: {body}");
        }
    }
    // Shared canned messages are kept by supervisors and admins only.
    let operator = server.operator("Olga").await;
    let shared = json!({"input": {
        "shared": true,
        "title": "Greeting",
        "shortcut": "hello",
        "body": "Hello! I'm %name%.",
    }});
    let (status, body) = server
        .console_json(Some(&operator), "save_canned", shared.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "forbidden");
    let (_, listed_canned) = server.console(Some(&operator), "list_canned", &[]).await;
    assert_eq!(listed_canned, json!([]));
    // A blank title is refused and saves nothing.
    let mut untitled = shared.clone();
    untitled["input"]["title"] = json!(" ");
    let (status, body) = server
        .console_json(Some(&admin), "save_canned", untitled)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_field", "{body}");
    let (_, listed_canned) = server.console(Some(&admin), "list_canned", &[]).await;
    assert_eq!(listed_canned, json!([]));
    let (status, saved) = server
        .console_json(Some(&admin), "save_canned", shared)
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, listed_canned) = server.console(Some(&operator), "list_canned", &[]).await;
    assert_eq!(listed_canned[0]["shortcut"], "hello");
    let id = saved["id"].as_str().unwrap();
    let (status, _) = server
        .console(Some(&operator), "delete_canned", &[("id", id)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, after) = server.console(Some(&admin), "list_operators", &[]).await;
    let emails = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|o| o["email"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(!emails(&after).contains(&"x@example.com".to_owned()));
    assert_eq!(emails(&listed).len() + 3, emails(&after).len());
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["disabled"] == false)
    );
    // The action log: refused to operators; for the admin it holds the saved canned message,
    // with the address the request came from.
    let (status, body) = server
        .console_json(Some(&operator), "action_log", json!({"filter": {}}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, log) = server
        .console_json(
            Some(&admin),
            "action_log",
            json!({"filter": {"action": "save_canned"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["object"], "/hello");
    assert_eq!(entries[0]["ip"], "127.0.0.1");
    // Without a session: 401.
    let (status, _) = server.console(None, "list_operators", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bubble_settings_are_saved_by_admins_and_served_to_every_bubble() {
    let server = TestServer::start().await;
    let admin = server.account("Ada", Role::Admin).await;
    let operator = server.operator("Olga").await;
    let (_, config) = server.visitor("", "/api/v1/widget/config", None).await;
    assert_eq!(config["title"], "Chat with us");
    assert_eq!(config["color"], "#2563eb");
    let form = json!({"form": {
        "title": "Talk to Acme",
        "greeting": "Hello there",
        "color": "#16A34A",
        "launcher_label": "Help",
    }});
    let (status, body) = server
        .console_json(Some(&operator), "save_bubble", form.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = server.console(Some(&operator), "load_bubble", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let mut bad = form.clone();
    bad["form"]["color"] = json!("green");
    let (status, body) = server.console_json(Some(&admin), "save_bubble", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_field");
    assert_eq!(body["field"], "color");
    let (_, config) = server.visitor("", "/api/v1/widget/config", None).await;
    assert_eq!(
        config["title"], "Chat with us",
        "the refused save changed nothing"
    );
    let (status, _) = server.console_json(Some(&admin), "save_bubble", form).await;
    assert_eq!(status, StatusCode::OK);
    let (_, config) = server.visitor("", "/api/v1/widget/config", None).await;
    assert_eq!(config["title"], "Talk to Acme");
    assert_eq!(config["color"], "#16a34a");
    assert_eq!(config["launcher_label"], "Help");
    let (status, loaded) = server.console(Some(&admin), "load_bubble", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(loaded[1].as_str().unwrap().starts_with("http://127.0.0.1:"));
    // The demo page hands preview settings to the snippet, escaped.
    let page = server
        .client
        .get(server.url("/demo?title=A%22%3Cb%3E&color=%23ff0000"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"data-title="A&quot;&lt;b&gt;""#), "{page}");
    assert!(page.contains(r##"data-color="#ff0000""##));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_and_settings_are_kept_by_admins_and_govern_the_bubble_and_the_queue() {
    let server = TestServer::start().await;
    let admin = server.account("Ada", Role::Admin).await;
    let (status, sales) = server
        .console_json(
            Some(&admin),
            "save_channel",
            json!({"form": {"name": "Sales", "name_required": false}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sales}");
    let sales_id = sales["id"].as_str().unwrap().to_owned();
    let (_, settings_before) = server.console(Some(&admin), "load_settings", &[]).await;
    assert_eq!(settings_before["inactivity_timeout_minutes"], 30);

    // Every admin function refuses operators and supervisors with 403 and changes nothing.
    for role in [Role::Operator, Role::Supervisor] {
        let caller = server.account(role.as_str(), role).await;
        let (_, channels_before) = server.console(Some(&caller), "list_channels", &[]).await;
        let (status, body) = server.console(Some(&caller), "load_settings", &[]).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{role:?} load_settings: {body}"
        );
        assert_eq!(body["code"], "forbidden", "{role:?} load_settings: {body}");
        let mut settings =
            serde_json::to_value(domain::settings::Settings::default().form()).unwrap();
        settings["max_chats_per_operator"] = json!("1");
        let calls = [
            ("save_channel", json!({"form": {"name": "Mine"}})),
            (
                "save_channel",
                json!({"form": {
                    "id": sales_id,
                    "name": "Renamed",
                    "archived": true,
                    "name_required": true,
                }}),
            ),
            (
                "set_channel_operators",
                json!({"input": {"channel": sales_id, "operators": []}}),
            ),
            ("save_settings", json!({ "form": settings })),
        ];
        for (function, body) in calls {
            let (status, body) = server.console_json(Some(&caller), function, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role:?} {function}: {body}");
            assert_eq!(body["code"], "forbidden", "{role:?} {function}: {body}");
        }
        let (_, channels_after) = server.console(Some(&caller), "list_channels", &[]).await;
        assert_eq!(channels_after, channels_before);
    }
    let (_, settings_after) = server.console(Some(&admin), "load_settings", &[]).await;
    assert_eq!(settings_after, settings_before);

    // Invalid settings name their field, and change nothing.
    let mut settings = serde_json::to_value(domain::settings::Settings::default().form()).unwrap();
    settings["away_after_minutes"] = json!("0");
    let (status, body) = server
        .console_json(Some(&admin), "save_settings", json!({ "form": settings }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "away_after_minutes");
    let (_, settings_after) = server.console(Some(&admin), "load_settings", &[]).await;
    assert_eq!(settings_after, settings_before);

    // An operator joins Sales; the bubble offers it; a visitor starts a chat in it.
    let operator = server.operator("Olga").await;
    let (status, joined) = server
        .console_json(
            Some(&operator),
            "join_channel",
            json!({"input": {"channel": sales_id, "join": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    assert_eq!(joined[0]["operators"].as_array().unwrap().len(), 1);
    let (_, config) = server.visitor("", "/api/v1/widget/config", None).await;
    assert_eq!(config["channels"][0]["id"], sales_id.as_str());
    assert_eq!(config["channels"][0]["name_required"], false);
    let token = server.new_visitor().await;
    let before = server.event_count().await;
    let (status, body) = server
        .visitor(
            &token,
            "/api/v1/visitor/chats",
            Some(json!({"message": "Hi", "channel": "00000000-0000-0000-0000-000000000000"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "unknown_channel");
    assert_eq!(server.event_count().await, before);
    let (status, chat) = server
        .visitor(
            &token,
            "/api/v1/visitor/chats",
            Some(json!({"message": "Hi", "channel": sales_id})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{chat}");
    let chat_id = chat["id"].as_str().unwrap().to_owned();
    assert_eq!(chat["events"][0]["channel"], sales_id.as_str());
    assert_eq!(chat["events"][0]["visitor_name"], "Visitor");

    // The operator moves it to Support; the visitor's view of the chat does not change.
    let (_, support) = server
        .console_json(
            Some(&admin),
            "save_channel",
            json!({"form": {"name": "Support"}}),
        )
        .await;
    let support_id = support["id"].as_str().unwrap();
    let (status, body) = server
        .console_json(
            Some(&operator),
            "move_chat",
            json!({"input": {"chat_id": chat_id, "channel": support_id}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, snapshot) = server.console(Some(&operator), "load_console", &[]).await;
    assert_eq!(snapshot["dashboard"][0]["chat"]["channel"], support_id);
    assert_eq!(snapshot["channels"].as_array().unwrap().len(), 2);
    let (_, view) = server.visitor(&token, "/api/v1/visitor", None).await;
    let events = view["chat"]["events"].as_array().unwrap();
    assert!(
        events.iter().all(|e| e["type"] != "channel_changed"),
        "{view}"
    );

    // Listing only her channels (Sales), Olga's console loads and streams nothing of Support.
    let mine = format!("{operator}; switchboard_dashboard=mine");
    let (_, snapshot) = server.console(Some(&mine), "load_console", &[]).await;
    assert_eq!(snapshot["filter"], "mine");
    assert_eq!(snapshot["dashboard"], json!([]), "{snapshot}");
    let from = snapshot["last_event_id"].as_i64().unwrap();
    let mut stream = SseReader::open(
        server
            .client
            .get(server.url(&format!(
                "/api/console/events?last_event_id={from}&channels={sales_id}"
            )))
            .header("cookie", &operator),
    )
    .await;
    let start_in = |channel: String| {
        let server = &server;
        async move {
            let token = server.new_visitor().await;
            let (status, chat) = server
                .visitor(
                    &token,
                    "/api/v1/visitor/chats",
                    Some(json!({"name": "Sam", "message": "Hi", "channel": channel})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{chat}");
            chat["id"].as_str().unwrap().to_owned()
        }
    };
    start_in(support_id.to_owned()).await;
    let in_sales = start_in(sales_id.clone()).await;
    let event = stream.next(WAIT).await.unwrap();
    assert_eq!(
        (event.event.as_str(), event.data["chat_id"].as_str()),
        ("chat_started", Some(in_sales.as_str()))
    );
    stream.quiet().await;
    let response = server
        .client
        .get(server.url("/api/console/events?channels=sales"))
        .header("cookie", &operator)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "channels", "{body}");

    // A window sharing that stream catches up with the same events, by the same interest.
    let catch_up = |interest: Value| {
        server.console_json(
            Some(&operator),
            "console_catch_up",
            json!({"input": {"after": from, "interest": interest}}),
        )
    };
    let (status, events) = catch_up(json!({ "channels": [sales_id] })).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let started: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "chat_started")
        .filter_map(|e| e["chat_id"].as_str())
        .collect();
    assert_eq!(started, [in_sales.as_str()], "{events}");
    let (status, events) = catch_up(json!("all")).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let everyone = events.as_array().unwrap();
    assert_eq!(
        everyone
            .iter()
            .filter(|e| e["type"] == "chat_started")
            .count(),
        2,
        "{events}"
    );
    let too_many: Vec<String> = (0..=domain::reach::MAX_INTEREST_CHANNELS as u128)
        .map(|n| uuid::Uuid::from_u128(n).to_string())
        .collect();
    let (status, body) = catch_up(json!({ "channels": too_many })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "channels", "{body}");
}

#[tokio::test]
async fn a_database_outage_answers_503_unavailable_and_ends_open_streams() {
    let server = TestServer::start().await;
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "hello").await;
    let last = server.say(&token, &chat, "before the outage").await;
    let mut stream = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/visitor/events"))
            .bearer_auth(&token)
            .header("last-event-id", last.to_string()),
    )
    .await;
    stream.quiet().await;
    let events = server.event_count().await;

    server.app.store.close().await;
    for (path, body) in [
        (
            format!("/api/v1/visitor/chats/{chat}/messages"),
            Some(json!({"body": "during the outage"})),
        ),
        ("/api/v1/visitor".to_owned(), None),
    ] {
        let (status, error) = server.visitor(&token, &path, body).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {error}");
        assert_eq!(error["error"]["code"], "unavailable", "{path}");
    }
    // The open stream ends so its client reconnects; reconnecting is refused the same way.
    stream.ends(Duration::from_secs(10)).await;
    let response = server
        .client
        .get(server.url("/api/v1/visitor/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    // Nothing was half-written.
    let reopened = Database::connect(&server.app.url).await.unwrap();
    let engine = Engine::new(reopened.store(), EngineConfig::default());
    let after = engine.last_event_id().await.unwrap();
    assert_eq!(after.0, last);
    assert_eq!(
        reopened
            .store()
            .events_after(domain::EventId(0), 100_000)
            .await
            .unwrap()
            .len(),
        events
    );
}

#[tokio::test]
async fn unknown_addresses_and_methods_answer_json_errors_with_codes() {
    let server = TestServer::start().await;
    let token = server.new_visitor().await;
    for (method, path, status, code) in [
        ("GET", "/no/such/page", StatusCode::NOT_FOUND, "not_found"),
        (
            "GET",
            "/api/v1/no-such-call",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "GET",
            "/widget/no-such-file.js",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "POST",
            "/api/v1/visitor",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            "GET",
            "/api/v1/visitors",
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ] {
        let request = match method {
            "POST" => server.client.post(server.url(path)).json(&json!({})),
            _ => server.client.get(server.url(path)),
        };
        let response = request.bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(body["error"]["code"], code, "{method} {path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_a_session_ends_its_streams_and_console_answers_are_neither_cached_nor_framed() {
    let server = TestServer::start().await;
    let stream_of = |cookie: &str| {
        server
            .client
            .get(server.url("/api/console/events"))
            .header("cookie", cookie.to_owned())
    };

    // Logging out ends the console's stream within a second.
    let ann = server.operator("Ann").await;
    let mut stream = SseReader::open(stream_of(&ann)).await;
    let (status, _) = server.console(Some(&ann), "logout", &[]).await;
    assert_eq!(status, StatusCode::OK);
    stream.ends(Duration::from_secs(1)).await;

    // A password change ends the other sessions, and their streams with them.
    let bob = server.operator("Bob").await;
    let elsewhere = server.login("bob@example.com", "a-better-one").await;
    let mut other = SseReader::open(stream_of(&elsewhere)).await;
    let (status, _) = server
        .console(
            Some(&bob),
            "change_password",
            &[
                ("input[current]", "a-better-one"),
                ("input[new_password]", "an-even-better-one"),
                ("input[confirm]", "an-even-better-one"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    other.ends(Duration::from_secs(1)).await;
    let (status, _) = server.console(Some(&elsewhere), "load_console", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Logging in with a session cookie ends that session: it is replaced, not kept.
    let rotated = server
        .client
        .post(server.url("/api/login"))
        .header("cookie", &bob)
        .form(&[
            ("input[email]", "bob@example.com"),
            ("input[password]", "an-even-better-one"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    let fresh = rotated.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(fresh, bob);
    let (status, _) = server.console(Some(&bob), "load_console", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.console(Some(&fresh), "load_console", &[]).await;
    assert_eq!(status, StatusCode::OK);

    // Console pages and calls are neither stored nor framed, the gate's redirects included;
    // the demo site may be framed by the console's own preview. (Pages are asked for without
    // a session: the test build links the browser half of the console too, which cannot
    // render a live console natively.)
    for path in ["/", "/chats", "/admin/log", "/login", "/password"] {
        let page = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(
            page.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path} {:?}",
            page.status(),
        );
        assert_eq!(page.headers()["x-frame-options"], "DENY", "{path}");
    }
    let call = server
        .client
        .post(server.url("/api/load_console"))
        .header("cookie", &fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(call.headers()["cache-control"], "no-store");
    let demo = server.client.get(server.url("/demo")).send().await.unwrap();
    assert!(demo.headers().get("x-frame-options").is_none());
    assert!(demo.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn behind_tls_every_answer_asks_browsers_to_keep_to_https() {
    let settings = Settings {
        secure_cookies: true,
        demo: true,
        ..Settings::default()
    };
    let server = TestServer::serve(TestApp::new().await, settings).await;
    for path in ["/login", "/demo", "/api/v1/widget/config"] {
        let answer = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(
            answer.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_visitor_reads_their_place_in_the_queue_and_hears_it_move() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let first = server.new_visitor().await;
    let first_chat = server.start_chat(&first, "first").await;
    let second = server.new_visitor().await;
    let (status, chat) = server
        .visitor(
            &second,
            "/api/v1/visitor/chats",
            Some(json!({"name": "Sam", "message": "second"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(chat["queue_position"], 2, "{chat}");
    assert_eq!(chat["estimated_wait_seconds"], Value::Null);
    let (_, view) = server.visitor(&second, "/api/v1/visitor", None).await;
    assert_eq!(view["chat"]["queue_position"], 2, "{view}");
    let from = view["last_event_id"].as_i64().unwrap();
    let mut stream = SseReader::open(
        server
            .client
            .get(server.url(&format!("/api/v1/visitor/events?last_event_id={from}")))
            .bearer_auth(&second),
    )
    .await;
    let (status, _) = server
        .console(Some(&ann), "accept_chat", &[("chat_id", &first_chat)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (event, data) = stream.next_signal(WAIT).await.unwrap();
    assert_eq!(event, "queue");
    assert_eq!(data["type"], "queue");
    assert_eq!(data["position"], 1);
    assert_eq!(data["estimated_wait_seconds"], 1800);
    assert_eq!(data["chat_id"], chat["id"]);
    // Once taken, the chat has no place.
    let (_, view) = server.visitor(&first, "/api/v1/visitor", None).await;
    assert_eq!(view["chat"]["queue_position"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_operators_own_actions_keep_them_active_not_their_consoles_polls() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let bob = server.operator("Bob").await;
    let _ann_online = console_stream(&server, &ann).await;
    let _bob_online = console_stream(&server, &bob).await;
    let token = ann.split_once('=').unwrap().1;
    let session = server.engine.authenticate(token).await.unwrap();
    // Ann last did something ten minutes ago (the away threshold is five).
    let long_ago = domain::Timestamp(engine::now().0 - 10 * 60 * 1000);
    server
        .engine
        .note_activity_at(&session, long_ago)
        .await
        .unwrap();
    let ann_away = || async {
        let (status, online) = server.console(Some(&bob), "online_operators", &[]).await;
        assert_eq!(status, StatusCode::OK);
        let ann = online
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "Ann")
            .cloned()
            .unwrap();
        ann["away"].as_bool().unwrap()
    };
    assert!(ann_away().await);
    // Her console keeps loading, polling and viewing a chat: she stays away.
    let visitor = server.new_visitor().await;
    let chat = server.start_chat(&visitor, "hello").await;
    for (function, form) in [
        ("load_console", vec![]),
        ("online_operators", vec![]),
        ("visitor_info", vec![("chat_id", chat.as_str())]),
    ] {
        let (status, body) = server.console(Some(&ann), function, &form).await;
        assert!(
            status.is_success() || status == StatusCode::FORBIDDEN,
            "{function}: {body}"
        );
    }
    let (status, body) = server
        .console_json(
            Some(&ann),
            "chat_signal",
            json!({"input": {"chat_id": chat, "viewing": true}}),
        )
        .await;
    assert!(
        status.is_success() || status == StatusCode::FORBIDDEN,
        "chat_signal: {body}"
    );
    assert!(ann_away().await, "polls made Ann active");
    // A key or a click in her console is her at work.
    let (status, _) = server.console(Some(&ann), "activity", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!ann_away().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_set_unavailable_shows_red_and_is_offered_nothing() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let bob = server.operator("Bob").await;
    let _ann_online = console_stream(&server, &ann).await;
    let mut bob_stream = console_stream(&server, &bob).await;
    let (_, snapshot) = server.console(Some(&ann), "load_console", &[]).await;
    let ann_id = operator_id(&snapshot);
    assert_eq!(snapshot["me"]["unavailable"], false);
    // The console measures waiting chats against the server's clock and the settings' T1/T2.
    assert_eq!(snapshot["escalation"]["after_ms"], 60_000);
    assert_eq!(snapshot["escalation"]["supervisors_after_ms"], 180_000);
    assert!(snapshot["server_time"].as_i64().unwrap() > 0);

    let (status, _) = server
        .console(Some(&ann), "set_unavailable", &[("unavailable", "true")])
        .await;
    assert_eq!(status, StatusCode::OK);
    // Bob's console hears it at once, and the list says so.
    let (event, data) = bob_stream.next_signal(WAIT).await.unwrap();
    assert_eq!(
        (event.as_str(), &data["unavailable"]),
        ("presence", &json!(true))
    );
    let (_, online) = server.console(Some(&bob), "online_operators", &[]).await;
    assert_eq!(online[0]["unavailable"], true, "{online}");
    let (_, snapshot) = server.console(Some(&ann), "load_console", &[]).await;
    assert_eq!(snapshot["me"]["unavailable"], true);

    // Nobody can hand her a chat meanwhile.
    let visitor = server.new_visitor().await;
    let chat = server.start_chat(&visitor, "hello").await;
    server
        .console(Some(&bob), "accept_chat", &[("chat_id", &chat)])
        .await;
    let invitation = json!({"input": {"chat_id": chat, "kind": "invite", "target": ann_id}});
    let invite_ann = || server.console_json(Some(&bob), "offer_chat", invitation.clone());
    let (status, body) = invite_ann().await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "operator_unavailable");

    // Available again: the invitation goes through.
    server
        .console(Some(&ann), "set_unavailable", &[("unavailable", "false")])
        .await;
    let (status, body) = invite_ann().await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
