//! The operator API with personal access tokens (P4), over real HTTP: tokens made in the
//! console and on the command line's engine path, every call of the API, the operator's stream
//! with replay, and revocation refusing the token at once and ending its streams.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Read, SseReader, TestServer, WAIT, operator_id};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Makes a token through the console's server function; answers its secret and id.
async fn token(server: &TestServer, cookie: &str, name: &str) -> (String, String) {
    let (status, made) = server
        .console(Some(cookie), "create_access_token", &[("name", name)])
        .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("sbp_") && secret.len() == 68, "{secret}");
    (secret, made["token"]["id"].as_str().unwrap().to_owned())
}

/// An operator API call; answers status and JSON body.
async fn call(
    server: &TestServer,
    secret: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server
        .client
        .request(method, server.url(&format!("/api/v1{path}")))
        .bearer_auth(secret);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(server: &TestServer, secret: &str, path: &str) -> (StatusCode, Value) {
    call(server, secret, reqwest::Method::GET, path, None).await
}

async fn post(server: &TestServer, secret: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call(server, secret, reqwest::Method::POST, path, Some(body)).await
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_integration_works_a_chat_through_the_api() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let bob = server.operator("Bob").await;
    let (secret, _) = token(&server, &ann, "CRM sync").await;

    let (status, me) = get(&server, &secret, "/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "ann@example.com");

    // The operator's stream: the console's, opened with the token, live from now.
    let mut stream = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/events"))
            .bearer_auth(&secret),
    )
    .await;

    let visitor = server.new_visitor().await;
    let chat = server.start_chat(&visitor, "Where is my parcel?").await;
    let started = loop {
        match stream.read(WAIT).await {
            Read::Block(Some(id), event, _) if event == "chat_started" => break id,
            Read::Block(..) => {}
            other => panic!(
                "no chat_started on the stream: ended {}",
                matches!(other, Read::Ended)
            ),
        }
    };

    let (status, waiting) = get(&server, &secret, "/chats?status=waiting").await;
    assert_eq!(status, StatusCode::OK, "{waiting}");
    let listed: Vec<&str> = waiting
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chat"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [chat.as_str()]);
    let (_, active) = get(&server, &secret, "/chats?status=active").await;
    assert_eq!(active, json!([]));

    let (status, accepted) = post(
        &server,
        &secret,
        &format!("/chats/{chat}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["chat"]["status"], "active");
    // The console's rule: the first operator wins.
    let (status, body) = server
        .console(Some(&bob), "accept_chat", &[("chat_id", &chat)])
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("chat_not_waiting"))
    );

    let path = format!("/chats/{chat}/messages");
    let (status, first) = post(
        &server,
        &secret,
        &path,
        json!({"body": "On its way!", "client_id": "m-1"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    // A retry with the same client id is the same message, not a second one.
    let (_, again) = post(
        &server,
        &secret,
        &path,
        json!({"body": "On its way!", "client_id": "m-1"}),
    )
    .await;
    assert_eq!(first["id"], again["id"]);
    let (status, note) = post(
        &server,
        &secret,
        &path,
        json!({"body": "VIP", "note": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{note}");

    let (status, events) = get(&server, &secret, &format!("/chats/{chat}/events")).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let bodies: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .collect();
    assert_eq!(
        bodies,
        ["Where is my parcel?", "On its way!", "VIP"],
        "{events}"
    );
    let after = first["id"].as_i64().unwrap();
    let (_, later) = get(
        &server,
        &secret,
        &format!("/chats/{chat}/events?after={after}"),
    )
    .await;
    assert!(
        later
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"].as_i64().unwrap() > after)
    );
    assert_eq!(later.as_array().unwrap().len(), 1, "{later}");

    // Transfer to Bob (online: his console stream is open), then close.
    let (_, snapshot) = server.console(Some(&bob), "load_console", &[]).await;
    let bob_id = operator_id(&snapshot);
    let _bob_stream = common::console_stream(&server, &bob).await;
    let (status, body) = post(
        &server,
        &secret,
        &format!("/chats/{chat}/transfer"),
        json!({"to": bob_id}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body) = post(
        &server,
        &secret,
        &format!("/chats/{chat}/actions"),
        json!({"action": "hold"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, closed) = post(&server, &secret, &format!("/chats/{chat}/close"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let (_, open) = get(&server, &secret, "/chats").await;
    assert_eq!(open, json!([]));

    // A stream resumed from the chat's start replays what happened since, in order.
    let mut replay = SseReader::open(
        server
            .client
            .get(server.url(&format!("/api/v1/events?last_event_id={started}")))
            .bearer_auth(&secret),
    )
    .await;
    let mut names = Vec::new();
    while let Read::Block(id, event, _) = replay.read(Duration::from_millis(500)).await {
        if id.is_some() {
            names.push(event);
        }
    }
    for expected in [
        "operator_accepted",
        "message_posted",
        "offer_made",
        "chat_closed",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} not replayed: {names:?}"
        );
    }

    // Availability, as the console's switch.
    let (status, _) = call(
        &server,
        &secret,
        reqwest::Method::PUT,
        "/me/availability",
        Some(json!({"available": false})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, me) = get(&server, &secret, "/me").await;
    assert_eq!(me["unavailable"], true);

    // The visitors on the site now, most recently seen first.
    let response = server
        .client
        .post(server.url("/api/v1/visitors"))
        .json(&json!({"name": "Walt", "page_url": "https://shop.example/pricing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (status, online) = get(&server, &secret, "/visitors/online").await;
    assert_eq!(status, StatusCode::OK, "{online}");
    assert_eq!(online.as_array().unwrap().len(), 2, "{online}");
    assert_eq!(online[0]["name"], "Walt");
    assert_eq!(online[0]["page_url"], "https://shop.example/pricing");
    server.stop().await;
}

#[tokio::test]
async fn bad_input_is_a_coded_4xx_and_changes_nothing() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let (secret, _) = token(&server, &ann, "script").await;
    let visitor = server.new_visitor().await;
    let chat = server.start_chat(&visitor, "Hello").await;
    let before = server.event_count().await;

    // No token, a session cookie instead of a token, a made-up token.
    let response = server
        .client
        .get(server.url("/api/v1/chats"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = server
        .client
        .get(server.url("/api/v1/chats"))
        .header("cookie", &ann)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = get(&server, &format!("sbp_{}", "0".repeat(64)), "/chats").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );

    let cases: Vec<(reqwest::Method, String, Option<Value>, StatusCode, &str)> = vec![
        (
            reqwest::Method::GET,
            "/chats?status=closed".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            reqwest::Method::GET,
            "/chats?status=nonsense".into(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            reqwest::Method::GET,
            format!("/chats/{chat}/events?after=x"),
            None,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            reqwest::Method::GET,
            "/chats/not-a-chat/events".into(),
            None,
            StatusCode::NOT_FOUND,
            "chat_not_found",
        ),
        (
            reqwest::Method::GET,
            format!("/chats/{chat}/events"),
            None,
            StatusCode::FORBIDDEN,
            "not_a_participant",
        ),
        (
            reqwest::Method::POST,
            format!("/chats/{chat}/messages"),
            Some(json!({"body": "hi"})),
            StatusCode::FORBIDDEN,
            "not_a_participant",
        ),
        (
            reqwest::Method::POST,
            format!("/chats/{chat}/messages"),
            Some(json!({"text": "hi"})),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            reqwest::Method::POST,
            format!("/chats/{chat}/messages"),
            Some(json!({"body": "hi", "extra": 1})),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            reqwest::Method::POST,
            format!("/chats/{chat}/close"),
            Some(json!({})),
            StatusCode::FORBIDDEN,
            "not_a_participant",
        ),
        (
            reqwest::Method::POST,
            format!("/chats/{chat}/transfer"),
            Some(json!({"to": "nobody"})),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            reqwest::Method::POST,
            format!("/chats/{chat}/actions"),
            Some(json!({"action": "explode"})),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            reqwest::Method::PUT,
            "/me/availability".into(),
            Some(json!({"available": "yes"})),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            reqwest::Method::DELETE,
            "/chats".into(),
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (method, path, body, want, want_code) in cases {
        let (status, answer) = call(&server, &secret, method.clone(), &path, body).await;
        assert_eq!(
            (status, code(&answer)),
            (want, want_code),
            "{method} {path}: {answer}"
        );
    }
    let oversized = json!({"body": "x".repeat(20_000)});
    let (status, answer) = post(
        &server,
        &secret,
        &format!("/chats/{chat}/messages"),
        oversized,
    )
    .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    assert_eq!(
        server.event_count().await,
        before,
        "a refused call wrote an event"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_once_and_its_streams_end() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let (secret, id) = token(&server, &ann, "to revoke").await;
    let (other, _) = token(&server, &ann, "kept").await;

    let (status, listed) = server.console(Some(&ann), "list_access_tokens", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"to revoke") && names.contains(&"kept"),
        "{listed}"
    );
    // Listings never carry secrets.
    assert!(!listed.to_string().contains("sbp_"), "{listed}");

    let mut stream = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/events"))
            .bearer_auth(&secret),
    )
    .await;
    stream.quiet().await;

    // Another operator cannot revoke Ann's token.
    let bob = server.operator("Bob").await;
    let (status, body) = server
        .console(Some(&bob), "revoke_access_token", &[("id", &id)])
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(get(&server, &secret, "/me").await.0, StatusCode::OK);

    let (status, _) = server
        .console(Some(&ann), "revoke_access_token", &[("id", &id)])
        .await;
    assert_eq!(status, StatusCode::OK);
    stream.ends(WAIT).await;
    let (status, body) = get(&server, &secret, "/me").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let response = server
        .client
        .get(server.url("/api/v1/events"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The other token still works.
    assert_eq!(get(&server, &other, "/me").await.0, StatusCode::OK);

    // A disabled operator's tokens stop working too.
    let admin = server.account("Ada", domain::console::Role::Admin).await;
    let (_, snapshot) = server.console(Some(&ann), "load_console", &[]).await;
    let ann_id = operator_id(&snapshot);
    let (status, body) = server
        .console(
            Some(&admin),
            "set_operator_disabled",
            &[("input[id]", &ann_id), ("input[disabled]", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        get(&server, &other, "/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn the_command_line_path_makes_a_working_token() {
    let server = TestServer::start().await;
    let _ann = server.operator("Ann").await;
    let made = server
        .engine
        .create_access_token_for("ANN@example.com", "Nightly export")
        .await
        .unwrap();
    assert_eq!(get(&server, &made.secret, "/me").await.0, StatusCode::OK);
    let unknown = server
        .engine
        .create_access_token_for("nobody@example.com", "x")
        .await;
    assert_eq!(
        unknown.map_err(|e| e.code).err(),
        Some(domain::ErrorCode::NotFound)
    );
    let unnamed = server
        .engine
        .create_access_token_for("ann@example.com", "  ")
        .await;
    assert_eq!(
        unnamed.map_err(|e| e.code).err(),
        Some(domain::ErrorCode::InvalidField)
    );
    server.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_both_apis_and_every_error_code() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/widget/config",
        "/api/v1/visitors",
        "/api/v1/visitor/chats",
        "/api/v1/visitor/events",
        "/api/v1/me",
        "/api/v1/chats",
        "/api/v1/chats/{chat_id}/messages",
        "/api/v1/chats/{chat_id}/transfer",
        "/api/v1/visitors/online",
        "/api/v1/events",
    ] {
        assert!(paths.contains_key(path), "{path} is not described");
    }
    let schemas = &doc["components"]["schemas"];
    for schema in [
        "ErrorBody",
        "ErrorCode",
        "ChatEvent",
        "ChatSummary",
        "WidgetConfig",
    ] {
        assert!(schemas.get(schema).is_some(), "no {schema} schema");
    }
    // Every code the server can answer is in the documented table.
    let codes = schemas["ErrorCode"].to_string();
    for code in [
        "bad_request",
        "unauthorized",
        "chat_not_found",
        "payload_too_large",
        "rate_limited",
        "unavailable",
        "offline",
    ] {
        assert!(
            codes.contains(&format!("\"{code}\"")),
            "{code} missing from ErrorCode"
        );
    }
    // Every schema a description points at is in the document.
    let text = doc.to_string();
    for reference in text.split("#/components/schemas/").skip(1) {
        let name: String = reference
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        assert!(schemas.get(&name).is_some(), "dangling reference to {name}");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["access_token"]["scheme"], "bearer");
    assert_eq!(schemes["visitor_token"]["scheme"], "bearer");
    server.stop().await;
}
