//! Voice call signalling (V7 O26) over real HTTP: the operator calls from the console, the
//! visitor's signals reach the operator's stream and the operator's reach the visitor's, and
//! malformed or oversized SDP and ICE get a 4xx with a code and are relayed to nobody.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SseReader, TestServer, WAIT, console_stream};
use reqwest::StatusCode;
use serde_json::{Value, json};

const OFFER: &str = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n";

fn code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .or_else(|| body["code"].as_str())
        .unwrap_or_default()
}

/// The next `call` signal on a stream, if one comes within the wait.
async fn call_signal(stream: &mut SseReader) -> Option<Value> {
    loop {
        match stream.next_signal(WAIT).await {
            Some((event, data)) if event == "call" => return Some(data),
            Some(_) => {}
            None => return None,
        }
    }
}

#[tokio::test]
async fn call_signals_cross_between_the_two_parties_and_bad_ones_are_refused() {
    let server = TestServer::start().await;
    let olga = server.operator("Olga").await;
    let mut console = console_stream(&server, &olga).await;
    let vera = server.new_visitor().await;
    let chat = server.start_chat(&vera, "Please call me").await;
    let (status, _) = server
        .console(Some(&olga), "accept_chat", &[("chat_id", &chat)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut bubble = SseReader::open(
        server
            .client
            .get(server.url("/api/v1/visitor/events"))
            .bearer_auth(&vera),
    )
    .await;
    let signal_path = format!("/api/v1/visitor/chats/{chat}/call/signal");

    // Before a call, nothing is relayed.
    let (status, body) = server
        .visitor(&vera, &signal_path, Some(json!({"type": "accept"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(code(&body), "no_call");

    let (status, body) = server
        .console_json(Some(&olga), "start_call", json!({"chat_id": chat}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .visitor(&vera, &signal_path, Some(json!({"type": "accept"})))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let heard = call_signal(&mut console)
        .await
        .expect("the operator hears it");
    assert_eq!(heard["from_visitor"], true);
    assert_eq!(heard["signal"]["type"], "accept");

    let (status, body) = server
        .console_json(
            Some(&olga),
            "call_signal",
            json!({"input": {"chat_id": chat, "signal": {"type": "offer", "sdp": OFFER}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let heard = call_signal(&mut bubble)
        .await
        .expect("the visitor hears it");
    assert_eq!(heard["signal"]["sdp"], OFFER);

    // Malformed, oversized or unknown signals: a 4xx with a code, and nothing relayed.
    let bad: [(Value, StatusCode, &str); 4] = [
        (
            json!({"type": "answer", "sdp": "not a session description"}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"type": "ice", "candidate": "candidate:<script>"}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"type": "answer", "sdp": format!("{OFFER}{}", "a=x\r\n".repeat(2600))}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            json!({"type": "video"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (body, status, expected) in bad {
        let (got, answer) = server.visitor(&vera, &signal_path, Some(body)).await;
        assert_eq!(got, status, "{answer}");
        assert_eq!(code(&answer), expected, "{answer}");
    }
    let (status, body) = server
        .console_json(
            Some(&olga),
            "call_signal",
            json!({"input": {"chat_id": chat, "signal": {"type": "offer", "sdp": "v=0"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        call_signal(&mut console).await.is_none(),
        "nothing reached the operator"
    );

    // The visitor hangs up: the call is over for both, and the chat says so.
    let (status, _) = server
        .visitor(
            &vera,
            &format!("/api/v1/visitor/chats/{chat}/call/end"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server
        .console_json(Some(&olga), "end_call", json!({"chat_id": chat}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(code(&body), "no_call");
}
