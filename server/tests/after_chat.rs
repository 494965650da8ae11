//! After the chat over HTTP, with a real SMTP server on loopback: the visitor rates the chat,
//! downloads and mails its transcript (V10, V12); operators download what they may read; admins
//! see the outbox and send a test mail. Bad input gets a 4xx with a code and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestServer;
use domain::console::Role;
use engine::EngineConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::Settings;
use test_support::{SmtpSink, TestApp};

async fn server_with_mail(sink: &SmtpSink) -> TestServer {
    let app = TestApp::builder()
        .with_config(EngineConfig {
            mail: Some(sink.mail_config("Support <support@example.com>")),
            ..EngineConfig::default()
        })
        .start()
        .await;
    TestServer::serve(app, Settings::default()).await
}

/// A chat Ann accepted, answered, noted and closed: the visitor's token and the chat's id.
async fn closed_chat(server: &TestServer, ann: &str) -> (String, String) {
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "Grüße aus Köln — 你好").await;
    let (status, body) = server
        .console(Some(ann), "accept_chat", &[("chat_id", chat.as_str())])
        .await;
    assert_eq!(status, StatusCode::OK, "accept_chat: {body}");
    for (function, input) in [
        (
            "post_message",
            json!({"chat_id": chat, "body": "Hallo Vera!"}),
        ),
        (
            "post_message",
            json!({"chat_id": chat, "body": "Note: wants a refund", "note": true}),
        ),
        ("chat_action", json!({"chat_id": chat, "action": "close"})),
    ] {
        let (status, body) = server
            .console_json(Some(ann), function, json!({ "input": input }))
            .await;
        assert_eq!(status, StatusCode::OK, "{function}: {body}");
    }
    (token, chat)
}

async fn text(request: reqwest::RequestBuilder) -> (StatusCode, String) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_visitor_rates_downloads_and_mails_the_transcript() {
    let sink = SmtpSink::start();
    let server = server_with_mail(&sink).await;
    let ann = server.operator("Ann").await;
    let (token, chat) = closed_chat(&server, &ann).await;
    let rating = format!("/api/v1/visitor/chats/{chat}/rating");

    // Bad ratings: a 4xx with a code, and nothing recorded.
    let before = server.event_count().await;
    for (body, status, code) in [
        (
            json!({"stars": 6}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"stars": "five"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"stars": 5, "mood": "happy"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"stars": 5, "comment": "x".repeat(1001)}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
    ] {
        let (got, error) = server.visitor(&token, &rating, Some(body)).await;
        assert_eq!(got, status, "{error}");
        assert_eq!(error["error"]["code"], code, "{error}");
    }
    let stranger = server.new_visitor().await;
    let (status, error) = server
        .visitor(&stranger, &rating, Some(json!({"stars": 1})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert_eq!(server.event_count().await, before);

    let (status, event) = server
        .visitor(
            &token,
            &rating,
            Some(json!({"stars": 5, "comment": "Sehr gut"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    assert_eq!(
        (&event["type"], &event["stars"], &event["comment"]),
        (&json!("chat_rated"), &json!(5), &json!("Sehr gut"))
    );
    let (status, error) = server
        .visitor(&token, &rating, Some(json!({"stars": 4})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["error"]["code"], "already_rated");

    // The visitor's download: their conversation, never the note.
    let url = server.url(&format!("/api/v1/visitor/chats/{chat}/transcript"));
    let response = server
        .client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"chat-"),
        "{disposition}"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("Vera: Grüße aus Köln — 你好"), "{body}");
    assert!(body.contains("Ann: Hallo Vera!"), "{body}");
    assert!(body.contains("Rating: ★★★★★ (5/5) “Sehr gut”"), "{body}");
    assert!(!body.contains("refund"), "{body}");
    let (status, _) = text(server.client.get(&url).bearer_auth(&stranger)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = text(server.client.get(&url)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Mailed: bad addresses are refused with the field, a good one arrives.
    let email = format!("/api/v1/visitor/chats/{chat}/transcript/email");
    for body in [
        json!({}),
        json!({"email": "vera"}),
        json!({"email": "vera@example.com\nBcc: x@example.com"}),
    ] {
        let (status, error) = server.visitor(&token, &email, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["error"]["field"], "email", "{error}");
    }
    let (status, queued) = server
        .visitor(&token, &email, Some(json!({"email": "vera@example.org"})))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["email"], "vera@example.org");
    // The background sender hands it to the SMTP server within seconds.
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, vec!["vera@example.org".to_owned()]);
    assert!(
        mails[0].body.contains("Vera: Grüße aus Köln — 你好"),
        "{}",
        mails[0].body
    );
    assert!(!mails[0].body.contains("refund"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_download_only_chats_they_may_read_and_notes_only_on_request() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let bob = server.operator("Bob").await;
    let sue = server.account("Sue", Role::Supervisor).await;
    let (_, chat) = closed_chat(&server, &ann).await;
    let get = |cookie: Option<&str>, notes: bool| {
        let mut request = server.client.get(server.url(&format!(
            "/api/console/chats/{chat}/transcript{}",
            if notes { "?notes=true" } else { "" }
        )));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        text(request)
    };
    let (status, body) = get(Some(&ann), true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Ann (private note): Note: wants a refund"),
        "{body}"
    );
    let (status, body) = get(Some(&ann), false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("refund"), "{body}");
    // Bob was never in it; a supervisor reads every chat.
    let (status, body) = get(Some(&bob), false).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = get(Some(&sue), true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("refund"), "{body}");
    let (status, _) = get(None, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The PDF (O22): the same rules, as an application/pdf attachment.
    let pdf = |cookie: Option<&str>| {
        let mut request = server.client.get(server.url(&format!(
            "/api/console/chats/{chat}/transcript.pdf?notes=true"
        )));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie.to_owned());
        }
        async move { request.send().await.unwrap() }
    };
    let response = pdf(Some(&ann)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.ends_with(".pdf\""), "{disposition}");
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF-"));
    assert_eq!(pdf(Some(&bob)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(pdf(None).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_send_a_test_mail_and_see_the_outbox() {
    let sink = SmtpSink::start();
    let server = server_with_mail(&sink).await;
    let ada = server.account("Ada", Role::Admin).await;
    let ann = server.operator("Ann").await;

    let (status, _) = server.console(Some(&ann), "mail_overview", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let send = |cookie: String, to: &'static str| {
        let request = server
            .client
            .post(server.url("/api/send_test_mail"))
            .header("cookie", cookie)
            .json(&json!({"form": {"to": to}}));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, _) = send(ann.clone(), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = send(ada.clone(), "not-an-address").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = send(ada.clone(), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!("ada@example.com"));
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].subject, "Switchboard test email");
    assert_eq!(mails[0].from, "Support <support@example.com>");

    let (status, overview) = server.console(Some(&ada), "mail_overview", &[]).await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    assert_eq!(
        overview["server"],
        format!("127.0.0.1:{} (none)", sink.port())
    );
    for _ in 0..50 {
        let (_, overview) = server.console(Some(&ada), "mail_overview", &[]).await;
        if overview["outbox"][0]["state"] == "sent" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the test mail never showed as sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_come_as_figures_csv_and_a_chart_for_supervisors_only() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let sue = server.account("Sue", Role::Supervisor).await;
    let (token, chat) = closed_chat(&server, &ann).await;
    let (status, _) = server
        .visitor(
            &token,
            &format!("/api/v1/visitor/chats/{chat}/rating"),
            Some(json!({"stars": 4})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let now = domain::Timestamp(
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap(),
    );
    let range = format!("from={}&to={}", now.0 - 3_600_000, now.0 + 3_600_000);
    let get = |cookie: &str, path: String| {
        text(
            server
                .client
                .get(server.url(&path))
                .header("cookie", cookie),
        )
    };
    let (status, csv) = get(&sue, format!("/api/console/reports.csv?{range}")).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with("All operators,1,0,"), "{csv}");
    assert!(lines[2].starts_with("Ann,1,0,"), "{csv}");
    assert!(lines[2].ends_with(",1,4.00"), "{csv}");
    let (status, svg) = get(&sue, format!("/api/console/reports/chart.svg?{range}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        svg.starts_with("<svg") && svg.contains("1 chats, 0 missed"),
        "{svg}"
    );

    // Operators are refused; bad ranges and channels are a 400.
    let (status, _) = get(&ann, format!("/api/console/reports.csv?{range}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = get(&sue, "/api/console/reports.csv?from=10&to=5".to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = get(
        &sue,
        format!("/api/console/reports.csv?{range}&channel=nope"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get(&sue, "/api/console/reports.csv?from=x".to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, report) = server
        .client
        .post(server.url("/api/load_report"))
        .header("cookie", &sue)
        .json(&json!({"query": {"from": now.0 - 3_600_000, "to": now.0 + 3_600_000}}))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let report: Value = report.json().await.unwrap();
    assert_eq!(report["total"]["chats"], 1);
    assert_eq!(report["operators"][0]["name"], "Ann");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_export_a_visitor_as_json_and_erase_them() {
    let server = TestServer::start().await;
    let ann = server.operator("Ann").await;
    let ada = server.account("Ada", Role::Admin).await;
    let (token, chat) = closed_chat(&server, &ann).await;
    let (_, me) = server.visitor(&token, "/api/v1/visitor", None).await;
    let visitor = me["visitor_id"].as_str().unwrap().to_owned();
    let url = server.url(&format!("/api/console/visitors/{visitor}/export.json"));

    let (status, _) = text(server.client.get(&url).header("cookie", &ann)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let response = server
        .client
        .get(&url)
        .header("cookie", &ada)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"visitor-{visitor}.json\"").as_str()
    );
    let export: Value = response.json().await.unwrap();
    assert_eq!(export["visitor"]["id"], visitor.as_str());
    assert_eq!(export["chats"][0]["id"], chat.as_str());
    let events = export["chats"][0]["events"].to_string();
    assert!(events.contains("Note: wants a refund"), "{events}");

    let (status, found) = server
        .console(Some(&ada), "find_visitors", &[("text", &visitor)])
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found.as_array().map(Vec::len), Some(1));
    let (status, _) = server
        .console(Some(&ann), "erase_visitor", &[("visitor_id", &visitor)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, erased) = server
        .console(Some(&ada), "erase_visitor", &[("visitor_id", &visitor)])
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["chats"], 1);
    // Their token opens nothing any more, and the export has nothing to give.
    let (status, _) = server.visitor(&token, "/api/v1/visitor", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = text(server.client.get(&url).header("cookie", &ada)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
