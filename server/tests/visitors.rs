//! Visitors on the site (O25) over real HTTP: page views and the live channel put a visitor on
//! the operators' list; an invitation reaches only its visitor's stream, and its answers reach
//! the inviting operator; Start Chat opens a chat already with them. Bad input gets a 4xx with
//! a code and relays nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SseReader, TestServer, WAIT, console_stream};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The error code of an API answer (`{"error": {"code"}}`) or a console one (`{"code"}`).
fn code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .or_else(|| body["code"].as_str())
        .unwrap_or_default()
}

/// A visitor on `url`, with their live channel open.
async fn arrive(server: &TestServer, url: &str, title: &str) -> (String, SseReader) {
    let token = server.new_visitor().await;
    let (status, body) = server
        .visitor(
            &token,
            "/api/v1/visitor/page",
            Some(json!({"url": url, "title": title, "referrer": "https://search.example/", "language": "fr-FR"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let stream = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/visitor/events"))
            .bearer_auth(&token),
    )
    .await;
    (token, stream)
}

/// The next signal of this name on a stream, within the wait.
async fn signal(stream: &mut SseReader, name: &str) -> Option<Value> {
    let until = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < until {
        match stream.next_signal(WAIT).await {
            Some((event, data)) if event == name => return Some(data),
            Some(_) => {}
            None => return None,
        }
    }
    None
}

async fn live_list(server: &TestServer, cookie: &str, text: &str) -> Value {
    let (status, list) = server
        .console_json(
            Some(cookie),
            "live_visitors",
            json!({"filter": {"text": text, "offset": 0}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list
}

#[tokio::test]
async fn an_operator_sees_visitors_browse_and_invites_one() {
    let server = TestServer::start().await;
    let olga = server.operator("Olga").await;
    let mut console = console_stream(&server, &olga).await;

    let (vera, mut vera_rx) = arrive(&server, "http://127.0.0.1/demo", "Demo shop").await;
    let (walt, mut walt_rx) = arrive(&server, "http://127.0.0.1/demo", "Demo shop").await;
    let (status, _) = server
        .visitor(
            &vera,
            "/api/v1/visitor/page",
            Some(json!({"url": "http://127.0.0.1/demo/pricing", "title": "Pricing"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        signal(&mut console, "visitors_changed").await.is_some(),
        "the console hears the list changed"
    );

    let list = live_list(&server, &olga, "pricing").await;
    assert_eq!(list["total"], 1, "{list}");
    let badge = &list["visitors"][0];
    assert_eq!(badge["page_title"], "Pricing");
    assert_eq!(badge["pages_viewed"], 2);
    assert_eq!(badge["referrer"], "https://search.example/");
    assert_eq!(badge["language"], "fr-FR");
    let vera_id = badge["id"].as_str().unwrap().to_owned();
    assert_eq!(live_list(&server, &olga, "").await["total"], 2);
    let (status, count) = server.console(Some(&olga), "visitors_on_site", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count, 2);

    let (status, profile) = server
        .console_json(
            Some(&olga),
            "visitor_profile",
            json!({"visitor_id": vera_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile["trail"].as_array().unwrap().len(), 2);
    let text = profile["default_invitation"].as_str().unwrap().to_owned();
    assert!(text.contains("Olga"), "{text}");

    let (status, invitation) = server
        .console_json(
            Some(&olga),
            "invite_visitor",
            json!({"input": {"visitor_id": vera_id, "message": text}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{invitation}");
    let id = invitation["id"].as_str().unwrap().to_owned();
    let invited = signal(&mut vera_rx, "invited")
        .await
        .expect("Vera's page hears it");
    assert_eq!(invited["invitation_id"], id.as_str());
    assert_eq!(invited["operator_name"], "Olga");
    assert!(
        signal(&mut walt_rx, "invited").await.is_none(),
        "nobody else hears it"
    );
    let (status, open) = server
        .visitor(&vera, "/api/v1/visitor/invitation", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(open["id"], id.as_str());
    let (status, _) = server
        .visitor(&walt, "/api/v1/visitor/invitation", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Walt cannot answer Vera's invitation.
    let (status, body) = server
        .visitor(
            &walt,
            &format!("/api/v1/visitor/invitations/{id}/accept"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(code(&body), "not_found");

    let (status, _) = server
        .visitor(
            &vera,
            &format!("/api/v1/visitor/invitations/{id}/seen"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let changed = signal(&mut console, "invitation_changed").await.unwrap();
    assert_eq!(changed["status"], "seen");

    let (status, chat) = server
        .visitor(
            &vera,
            &format!("/api/v1/visitor/invitations/{id}/accept"),
            Some(json!({"name": "Vera", "email": "vera@example.com"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{chat}");
    assert_eq!(chat["status"], "active");
    let chat_id = chat["id"].as_str().unwrap();
    let changed = signal(&mut console, "invitation_changed").await.unwrap();
    assert_eq!(changed["status"], "accepted");
    assert_eq!(changed["chat_id"], chat_id);
    let (status, again) = server
        .visitor(
            &vera,
            &format!("/api/v1/visitor/invitations/{id}/accept"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&again), "invitation_closed");
    let (_, snapshot) = server.console(Some(&olga), "load_console", &[]).await;
    assert!(
        snapshot["my_chats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["summary"]["chat"]["id"] == chat_id),
        "the chat is in Olga's My Chats: {snapshot}"
    );

    // Walt closes the request he is sent.
    let (status, sent) = server
        .console_json(
            Some(&olga),
            "invite_visitor",
            json!({"input": {"visitor_id": live_list(&server, &olga, "").await["visitors"]
                .as_array().unwrap().iter().find(|v| v["id"] != vera_id.as_str()).unwrap()["id"],
                "message": "Hello Walt"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let walt_invitation = sent["id"].as_str().unwrap();
    let (status, _) = server
        .visitor(
            &walt,
            &format!("/api/v1/visitor/invitations/{walt_invitation}/decline"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let changed = signal(&mut console, "invitation_changed").await.unwrap();
    assert_eq!(changed["status"], "declined");
}

#[tokio::test]
async fn bad_invitations_get_a_code_and_relay_nothing() {
    let server = TestServer::start().await;
    let olga = server.operator("Olga").await;
    let omar = server.operator("Omar").await;
    let _console = console_stream(&server, &olga).await;
    let (vera, mut vera_rx) = arrive(&server, "http://127.0.0.1/demo", "Demo").await;
    let vera_id = live_list(&server, &olga, "").await["visitors"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invite = |cookie: String, body: Value| {
        let server = &server;
        async move {
            server
                .console_json(Some(&cookie), "invite_visitor", json!({"input": body}))
                .await
        }
    };

    let (status, body) = invite(
        olga.clone(),
        json!({"visitor_id": "00000000-0000-7000-8000-000000000000", "message": "Hi"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(code(&body), "visitor_gone");
    let (status, body) = invite(olga.clone(), json!({"visitor_id": "nope", "message": "Hi"})).await;
    assert!(status.is_client_error(), "{status} {body}");
    let (status, body) = invite(
        olga.clone(),
        json!({"visitor_id": vera_id, "message": "  "}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "empty_message");
    // Omar has no console open: he is not available to chat.
    let (status, body) = invite(omar, json!({"visitor_id": vera_id, "message": "Hi"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(code(&body), "operator_unavailable");
    assert!(
        signal(&mut vera_rx, "invited").await.is_none(),
        "nothing was relayed"
    );
    let (status, _) = server
        .visitor(&vera, "/api/v1/visitor/invitation", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The visitor's side: unknown or malformed invitations, bad bodies, no token.
    let (status, body) = server
        .visitor(
            &vera,
            "/api/v1/visitor/invitations/not-an-id/seen",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(code(&body), "not_found");
    let (status, body) = server
        .visitor(
            &vera,
            "/api/v1/visitor/invitations/00000000-0000-7000-8000-000000000000/decline",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = server
        .visitor(
            &vera,
            "/api/v1/visitor/page",
            Some(json!({"url": "javascript:alert(1)"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "invalid_field");
    let response = server
        .client
        .get(server.url("/api/v1/visitor/invitation"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
