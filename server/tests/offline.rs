//! Offline messages over HTTP (V11, A1): the bubble's config says when live chat is not
//! offered, a start is refused while live support is off, "Leave a message" takes bad input
//! back with a field and writes nothing, and the messages arrive as tickets (O23) that operators
//! list, read and close over the console's functions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_left_while_offline_become_tickets_and_bad_ones_write_nothing() {
    let server = TestServer::start().await;
    let ada = server.account("Ada", domain::console::Role::Admin).await;
    let config = |server: &TestServer| {
        let url = server.url("/api/v1/widget/config");
        let client = server.client.clone();
        async move {
            let config: serde_json::Value =
                client.get(url).send().await.unwrap().json().await.unwrap();
            config["offline"].clone()
        }
    };
    // Nobody has a console open.
    assert_eq!(config(&server).await, json!("nobody_available"));
    let vera = server.new_visitor().await;

    // Bad input: a 400 naming the field, and no ticket.
    for (body, field) in [
        (json!({"email": "vera", "message": "hi"}), "email"),
        (
            json!({"email": "vera@example.org", "message": "  "}),
            "message",
        ),
        (
            json!({"email": "vera@example.org", "message": "hi", "name": "x".repeat(81)}),
            "",
        ),
    ] {
        let (status, error) = server
            .visitor(&vera, "/api/v1/visitor/messages", Some(body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["error"]["code"], "invalid_field", "{error}");
        if !field.is_empty() {
            assert_eq!(error["error"]["field"], field, "{error}");
        }
    }
    let (status, _) = server
        .visitor(
            "not-a-token",
            "/api/v1/visitor/messages",
            Some(json!({"email": "vera@example.org", "message": "hi"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let tickets = |filter: serde_json::Value| {
        let (server, ada) = (&server, &ada);
        async move {
            server
                .console_json(Some(ada), "tickets", json!({ "filter": filter }))
                .await
        }
    };
    let (status, list) = tickets(json!({})).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list, json!([]));

    // A good one is kept, once per call, for operators only.
    let (status, created) = server
        .visitor(
            &vera,
            "/api/v1/visitor/messages",
            Some(json!({"name": "Vera", "email": "vera@example.org", "message": "Call me"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, list) = tickets(json!({})).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], created["id"]);
    assert_eq!(list[0]["subject"], "Call me");
    assert_eq!(list[0]["status"], "open");
    assert_eq!(list[0]["reason"], "nobody_available");
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let (status, view) = server.console(Some(&ada), "ticket", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["articles"][0]["kind"], "message");
    assert_eq!(view["articles"][0]["body"], "Call me");
    let (status, _) = server
        .console_json(None, "tickets", json!({ "filter": {} }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Live support off: the config says so and a live start is refused with `offline`.
    let live_support = |value: serde_json::Value| {
        let (server, ada) = (&server, &ada);
        let mut form = serde_json::to_value(domain::settings::Settings::default().form()).unwrap();
        form["live_support"] = value;
        async move {
            server
                .console_json(Some(ada), "save_settings", json!({ "form": form }))
                .await
        }
    };
    // Not a yes or no: refused, and nothing changes.
    let before = config(&server).await;
    let (status, body) = live_support(json!("maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "bad_request", "{body}");
    assert_eq!(config(&server).await, before);
    let (status, saved) = live_support(json!(false)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["live_support"], false);
    assert_eq!(config(&server).await, json!("off"));
    let (status, refused) = server
        .visitor(
            &vera,
            "/api/v1/visitor/chats",
            Some(json!({"name": "Vera", "message": "hello"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "offline");

    // Closing: once; the second is a 409 and changes nothing; nonsense is a 400.
    let close = json!({ "form": { "ticket": id, "edit": { "change": "status", "to": "closed" } } });
    let (status, closed) = server
        .console_json(Some(&ada), "edit_ticket", close.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["ticket"]["status"], "closed");
    let (status, error) = server.console_json(Some(&ada), "edit_ticket", close).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["code"], "ticket_conflict", "{error}");
    let (status, _) = server
        .console_json(
            Some(&ada),
            "edit_ticket",
            json!({ "form": { "ticket": id, "edit": { "change": "status", "to": "solved" } } }),
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    let (_, open) = tickets(json!({})).await;
    assert_eq!(open, json!([]));
    let (_, closed) = tickets(json!({ "status": "closed" })).await;
    assert_eq!(closed[0]["status"], "closed");
    server.stop().await;
}
