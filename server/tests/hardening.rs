//! The real server on 127.0.0.1 port 0 under attack: rate limits that answer 429 and write
//! nothing, sessions whose streams end with them, narrow account writes, the console's
//! protective headers, the Host and origin checks, and abuse after a kick (P5).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{SseReader, TestServer, WAIT, operator_id};
use domain::console::Role;
use domain::log::ActionFilter;
use engine::EngineConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::{PublicUrl, Settings};
use test_support::TestApp;

/// Asserts a `429 rate_limited` with a `Retry-After` of at least a second (in the visitor
/// API's `{"error": …}` body or a server function's bare error).
fn limited(status: StatusCode, headers: &reqwest::header::HeaderMap, body: &Value) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let error = if body["error"].is_object() {
        &body["error"]
    } else {
        body
    };
    assert_eq!(error["code"], "rate_limited", "{body}");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "Retry-After {retry}");
    assert_eq!(error["retry_after"].as_u64(), Some(retry));
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn action_count(server: &TestServer) -> usize {
    server
        .app
        .store
        .store()
        .actions(&ActionFilter::default(), 10_000)
        .await
        .unwrap()
        .len()
}

/// A visitor's event stream, from now on.
async fn visitor_stream(server: &TestServer, token: &str) -> SseReader {
    let (_, view) = server.visitor(token, "/api/v1/visitor", None).await;
    let from = view["last_event_id"].as_i64().unwrap();
    SseReader::open(
        server
            .client
            .get(server.url(&format!("/api/v1/visitor/events?last_event_id={from}")))
            .bearer_auth(token),
    )
    .await
}

/// An operator still on the default password, never logged in.
async fn new_operator(server: &TestServer, name: &str) -> engine::store::OperatorRecord {
    server
        .engine
        .create_operator(engine::NewOperator {
            email: format!("{}@example.com", name.to_lowercase()),
            name: name.into(),
            role: Role::Operator,
        })
        .await
        .unwrap()
}

fn login_form<'a>(email: &'a str, password: &'a str) -> [(&'static str, &'a str); 2] {
    [("input[email]", email), ("input[password]", password)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_limited_per_account_and_per_address_and_the_refusal_writes_nothing() {
    let server = TestServer::start().await;
    server.operator("Ann").await;
    let login = |email: &str, password: &str, from: &str| {
        server
            .client
            .post(server.url("/api/login"))
            .header("x-forwarded-for", from.to_owned())
            .form(&login_form(email, password))
    };
    for _ in 0..10 {
        let (status, _, _) = send(login("ann@example.com", "wrong", "")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let before = action_count(&server).await;
    // The eleventh try waits, even with the right password, and leaves no trace.
    let (status, headers, body) = send(login("ann@example.com", "a-better-one", "")).await;
    limited(status, &headers, &body);
    assert!(headers.get("set-cookie").is_none());
    assert!(
        headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 800
    );
    assert_eq!(action_count(&server).await, before);
    // Other accounts are not held up by Ann's failures…
    server.operator("Bob").await;
    let (status, _, _) = send(login("bob@example.com", "a-better-one", "")).await;
    assert_eq!(status, StatusCode::OK);
    // …until the address has failed too often: unknown emails count for it as well.
    for n in 0..20 {
        let (status, _, _) = send(login(&format!("nobody{n}@example.com"), "x", "")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let (status, headers, body) = send(login("bob@example.com", "a-better-one", "")).await;
    limited(status, &headers, &body);
    // X-Forwarded-For is not believed without --trust-proxy: another claimed address is
    // still this one.
    let (status, headers, body) = send(login("bob@example.com", "a-better-one", "10.9.8.7")).await;
    limited(status, &headers, &body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let settings = Settings {
        trust_proxy: true,
        ..Settings::default()
    };
    let server = TestServer::serve(TestApp::new().await, settings).await;
    server.operator("Ann").await;
    for n in 0..30 {
        let email = format!("nobody{n}@example.com");
        let (status, _, _) = send(
            server
                .client
                .post(server.url("/api/login"))
                .header("x-forwarded-for", "203.0.113.9")
                .form(&login_form(&email, "x")),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let from = |address: &str| {
        server
            .client
            .post(server.url("/api/login"))
            .header("x-forwarded-for", format!("198.51.100.1, {address}"))
            .form(&login_form("ann@example.com", "a-better-one"))
    };
    let (status, headers, body) = send(from("203.0.113.9")).await;
    limited(status, &headers, &body);
    let (status, headers, _) = send(from("203.0.113.10")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("set-cookie").is_some());
    let entries = server
        .app
        .store
        .store()
        .actions(&ActionFilter::default(), 100)
        .await
        .unwrap();
    let login = entries.iter().find(|e| e.action == "login").unwrap();
    assert_eq!(login.ip.as_deref(), Some("203.0.113.10"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_visitor_call_is_limited_per_token_and_per_address_and_refusals_write_nothing() {
    let server = TestServer::start().await;
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "hello").await;
    let post = |path: String, body: Value, token: &str| {
        server
            .client
            .post(server.url(&path))
            .bearer_auth(token)
            .json(&body)
    };

    // Messages: a burst of 30, then 429 with nothing stored.
    for n in 0..30 {
        server.say(&token, &chat, &format!("m{n}")).await;
    }
    let events = server.event_count().await;
    let messages = format!("/api/v1/visitor/chats/{chat}/messages");
    let (status, headers, body) =
        send(post(messages, json!({"body": "one too many"}), &token)).await;
    limited(status, &headers, &body);
    assert_eq!(server.event_count().await, events);

    // Typing and page views have budgets of their own.
    let typing = format!("/api/v1/visitor/chats/{chat}/typing");
    for _ in 0..20 {
        let (status, _, _) = send(post(typing.clone(), json!({"active": true}), &token)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (status, headers, body) = send(post(typing, json!({"active": true}), &token)).await;
    limited(status, &headers, &body);
    let page = || json!({"url": "https://shop.example/p", "title": "P"});
    for _ in 0..20 {
        let (status, _, _) = send(post("/api/v1/visitor/page".into(), page(), &token)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (status, headers, body) = send(post("/api/v1/visitor/page".into(), page(), &token)).await;
    limited(status, &headers, &body);

    // Starting chats: five tries (the open chat answers 409), then 429, nothing created.
    for _ in 0..4 {
        let (status, _, _) = send(post(
            "/api/v1/visitor/chats".into(),
            json!({"name": "Vera", "message": "again"}),
            &token,
        ))
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
    let (status, headers, body) = send(post(
        "/api/v1/visitor/chats".into(),
        json!({"name": "Vera", "message": "again"}),
        &token,
    ))
    .await;
    limited(status, &headers, &body);
    assert_eq!(server.event_count().await, events);

    // Another visitor is untouched by all that.
    let other = server.new_visitor().await;
    let theirs = server.start_chat(&other, "hi").await;
    server.say(&other, &theirs, "fine").await;

    // Visitor creation is limited per address: 60 at once, then one a second. The two made
    // above may have been paid back already on a slow machine, so creation goes on until the
    // refusal, which must come within a few more than the burst.
    let mut created = 2;
    let refusal = loop {
        let (status, headers, body) = send(
            server
                .client
                .post(server.url("/api/v1/visitors"))
                .json(&json!({})),
        )
        .await;
        if status != StatusCode::CREATED {
            break (status, headers, body);
        }
        created += 1;
        assert!(
            created <= 70,
            "no limit after {created} visitors from one address"
        );
    };
    assert!(created >= 60, "refused after only {created}");
    limited(refusal.0, &refusal.1, &refusal.2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_visitor_does_not_slow_another_visitors_deliveries() {
    let server = TestServer::start().await;
    let flooder = server.new_visitor().await;
    let flood_chat = server.start_chat(&flooder, "flood").await;
    let calm = server.new_visitor().await;
    let calm_chat = server.start_chat(&calm, "calm").await;
    let mut stream = visitor_stream(&server, &calm).await;

    // A bounded flood: 4 workers posting as fast as loopback allows.
    let flood_url = server.url(&format!("/api/v1/visitor/chats/{flood_chat}/messages"));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let (client, url, token) = (server.client.clone(), flood_url.clone(), flooder.clone());
        workers.push(tokio::spawn(async move {
            let mut limited = 0;
            for n in 0..400 {
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"body": format!("flood {worker}-{n}")}))
                    .send()
                    .await
                    .unwrap();
                if response.status() == StatusCode::TOO_MANY_REQUESTS {
                    limited += 1;
                }
            }
            limited
        }));
    }
    // Meanwhile the calm visitor's messages all arrive, promptly.
    let mut slowest = Duration::ZERO;
    for n in 0..10 {
        let sent = Instant::now();
        let id = server.say(&calm, &calm_chat, &format!("calm {n}")).await;
        loop {
            let event = stream.next(WAIT).await.expect("the calm message arrives");
            if event.id == id {
                break;
            }
        }
        slowest = slowest.max(sent.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut refused = 0;
    for worker in workers {
        refused += worker.await.unwrap();
    }
    assert!(
        refused > 1000,
        "only {refused} of 1600 flood posts were refused"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "a calm message took {slowest:?} during the flood"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_way_a_session_ends_closes_its_stream_within_a_second() {
    let config = EngineConfig {
        session_idle_ms: 2_000,
        ..EngineConfig::default()
    };
    let app = TestApp::builder().with_config(config).start().await;
    let server = TestServer::serve(app, Settings::default()).await;
    server.account("Ada", Role::Admin).await;
    let open = |cookie: &str| {
        server
            .client
            .get(server.url("/api/console/events"))
            .header("cookie", cookie.to_owned())
    };

    // Expiry: an idle session's stream ends when the session does.
    let ann = server.operator("Ann").await;
    let opened = Instant::now();
    let mut stream = SseReader::open(open(&ann)).await;
    stream.ends(Duration::from_secs(4)).await;
    let lasted = opened.elapsed();
    assert!(
        lasted >= Duration::from_millis(1_500) && lasted < Duration::from_secs(3),
        "ended after {lasted:?}"
    );
    let (status, _) = server.console(Some(&ann), "load_console", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Disabling: the operator's stream ends at once.
    let admin = server.login("ada@example.com", "a-better-one").await;
    let bob = server.operator("Bob").await;
    let (_, snapshot) = server.console(Some(&bob), "load_console", &[]).await;
    let bob_id = operator_id(&snapshot);
    let mut stream = SseReader::open(open(&bob)).await;
    let (status, _) = server
        .console(
            Some(&admin),
            "set_operator_disabled",
            &[("input[id]", &bob_id), ("input[disabled]", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    stream.ends(Duration::from_secs(1)).await;

    // A stream opened while the disable is happening never outlives it.
    for round in 0..6 {
        let (status, _) = server
            .console(
                Some(&admin),
                "set_operator_disabled",
                &[("input[id]", &bob_id), ("input[disabled]", "false")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let bob = server.login("bob@example.com", "a-better-one").await;
        let (opening, disabling) = tokio::join!(open(&bob).send(), async {
            tokio::time::sleep(Duration::from_millis(round * 3)).await;
            server
                .console(
                    Some(&admin),
                    "set_operator_disabled",
                    &[("input[id]", &bob_id), ("input[disabled]", "true")],
                )
                .await
        });
        assert_eq!(disabling.0, StatusCode::OK);
        let response = opening.unwrap();
        if response.status() == StatusCode::OK {
            let mut late = SseReader::from_response(response);
            late.ends(Duration::from_secs(1)).await;
        } else {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "round {round}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_save_never_undoes_a_concurrent_disable_or_role_change() {
    let app = TestApp::builder()
        .with_admin("Ada")
        .with_operator("Ann")
        .start()
        .await;
    let (ada, ann) = (app.session("Ada").clone(), app.session("Ann").clone());
    let engine = app.engine.clone();
    let ann_id = ann.operator.id;
    // Ann's request was authenticated (her whole record loaded) before the admin acted.
    engine
        .edit_operator(
            &ada,
            ann_id,
            engine::NewOperator {
                email: "ann@example.com".into(),
                name: "Ann".into(),
                role: Role::Supervisor,
            },
        )
        .await
        .unwrap();
    engine
        .set_operator_disabled(&ada, ann_id, true)
        .await
        .unwrap();
    engine
        .save_profile(&ann, "Annie", "en, fr", "Annie from Acme")
        .await
        .unwrap();
    let stored = || async {
        app.store
            .store()
            .operator_by_id(ann_id)
            .await
            .unwrap()
            .unwrap()
    };
    let now = stored().await;
    assert!(now.disabled, "the profile save undid the disable");
    assert_eq!(now.role, Role::Supervisor);
    assert_eq!(now.chat_name, "Annie");
    // And the admin's edit, decided on an old record, keeps the profile and the disable.
    engine
        .edit_operator(
            &ada,
            ann_id,
            engine::NewOperator {
                email: "ann@example.com".into(),
                name: "Ann B.".into(),
                role: Role::Operator,
            },
        )
        .await
        .unwrap();
    let now = stored().await;
    assert!(now.disabled);
    assert_eq!((now.chat_name.as_str(), now.languages.len()), ("Annie", 2));

    // The same over HTTP, interleaved for real: many saves racing many disables.
    let server = TestServer::start().await;
    let admin = server.account("Ada", Role::Admin).await;
    let bob = server.operator("Bob").await;
    let (_, snapshot) = server.console(Some(&bob), "load_console", &[]).await;
    let bob_id = operator_id(&snapshot);
    let saves = async {
        for n in 0..15 {
            let name = format!("Bob {n}");
            server
                .console(
                    Some(&bob),
                    "save_profile",
                    &[
                        ("input[chat_name]", &name),
                        ("input[languages]", "en"),
                        ("input[invitation_name]", ""),
                    ],
                )
                .await;
        }
    };
    let toggles = async {
        for n in 0..15 {
            let disabled = if n % 2 == 0 { "true" } else { "false" };
            server
                .console(
                    Some(&admin),
                    "set_operator_disabled",
                    &[("input[id]", &bob_id), ("input[disabled]", disabled)],
                )
                .await;
        }
    };
    tokio::join!(saves, toggles);
    let (_, operators) = server.console(Some(&admin), "list_operators", &[]).await;
    let bob_now = operators
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == bob_id.as_str())
        .unwrap();
    // The last toggle disabled him (n = 14): no save may have undone it.
    assert_eq!(bob_now["disabled"], true, "{bob_now}");
}

#[tokio::test]
async fn every_console_route_carries_a_nonce_policy_and_stays_out_of_caches_and_frames() {
    let server = TestServer::start().await;
    let mut nonces = Vec::new();
    for path in [
        "/",
        "/chats",
        "/profile",
        "/canned",
        "/channels",
        "/admin/settings",
        "/admin/operators",
        "/admin/bubble",
        "/admin/log",
        "/login",
        "/password",
        "/window/0190c5d2-0000-7000-8000-000000000000",
    ] {
        let page = server.client.get(server.url(path)).send().await.unwrap();
        let headers = page.headers().clone();
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let policy = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let script = policy
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap();
        assert!(!script.contains("unsafe-inline"), "{policy}");
        for directive in [
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        let nonce = script
            .split_whitespace()
            .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
            .unwrap()
            .to_owned();
        assert!(nonce.len() >= 22, "{nonce}");
        if path == "/login" {
            // The hydration script carries this response's nonce; nothing inline lacks it.
            let html = page.text().await.unwrap();
            assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
            for script in html.split("<script").skip(1) {
                let tag = &script[..script.find('>').unwrap()];
                assert!(
                    tag.contains(&format!("nonce=\"{nonce}\"")) || tag.contains("src="),
                    "a script without the nonce: <script{tag}>"
                );
            }
        }
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 12, "nonces repeat");

    // Server-function answers are not stored either.
    let cookie = server.operator("Ann").await;
    let answer = server
        .client
        .post(server.url("/api/load_console"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn behind_tls_the_session_cookie_is_host_only_and_https_is_kept() {
    let settings = Settings {
        secure_cookies: true,
        ..Settings::default()
    };
    let server = TestServer::serve(TestApp::new().await, settings).await;
    new_operator(&server, "Ann").await;
    let response = server
        .client
        .post(server.url("/api/login"))
        .form(&login_form("ann@example.com", "password"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("__Host-switchboard_session="),
        "{cookie}"
    );
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    // The plain name is not read: a cookie planted by a sibling site gets nowhere.
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    let (status, _) = server
        .console(
            Some(&format!("switchboard_session={value}")),
            "load_console",
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = server
        .console(
            Some(&format!("__Host-switchboard_session={value}")),
            "load_console",
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "password_change_required", "{body}");
}

#[tokio::test]
async fn unknown_hosts_other_schemes_and_the_demo_site_are_refused() {
    let settings = Settings {
        public_url: Some(PublicUrl::parse("https://chat.example.com").unwrap()),
        ..Settings::default()
    };
    let server = TestServer::serve(TestApp::new().await, settings).await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 names its own host. The
    // public host, localhost and IP addresses are answered.
    for (host, answered) in [
        (format!("evil.example:{port}"), false),
        ("chat.example.com.evil.example".to_owned(), false),
        ("chat.example.com".to_owned(), true),
        (format!("localhost:{port}"), true),
        (format!("127.0.0.1:{port}"), true),
    ] {
        let (status, _, body) = send(
            server
                .client
                .get(server.url("/api/v1/widget/config"))
                .header("host", host.clone()),
        )
        .await;
        if answered {
            assert_eq!(status, StatusCode::OK, "{host}");
        } else {
            assert_eq!(status, StatusCode::MISDIRECTED_REQUEST, "{host}");
            assert_eq!(body["error"]["code"], "unknown_host");
        }
    }
    // The public URL's scheme is the origin's: the console at https://chat.example.com
    // posts with that origin, and the same host over http is another site.
    let login = |origin: &str, host: &str| {
        server
            .client
            .post(server.url("/api/login"))
            .header("host", host.to_owned())
            .header("origin", origin.to_owned())
            .form(&login_form("nobody@example.com", "x"))
    };
    let (status, _, _) = send(login("https://chat.example.com", "chat.example.com")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = send(login("http://chat.example.com", "chat.example.com")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "origin_not_allowed");
    // On plain HTTP, an https origin with the same host and port is refused.
    let here = format!("127.0.0.1:{port}");
    let (status, _, _) = send(login(&format!("https://{here}"), &here)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(login(&format!("http://{here}"), &here)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The visitor API's own-origin rule compares the scheme too.
    let (status, _, _) = send(
        server
            .client
            .post(server.url("/api/v1/visitors"))
            .header("origin", format!("https://{here}"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // No demo site without --demo.
    let (status, _, _) = send(server.client.get(server.url("/demo"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kicked_visitor_hears_nothing_more_and_waits_out_the_ban_unless_an_admin_lifts_it() {
    let server = TestServer::start().await;
    let admin = server.account("Ada", Role::Admin).await;
    let token = server.new_visitor().await;
    let chat = server.start_chat(&token, "hello").await;
    server
        .console(Some(&admin), "accept_chat", &[("chat_id", &chat)])
        .await;
    let (status, _) = server
        .console_json(
            Some(&admin),
            "chat_action",
            json!({"input": {"chat_id": chat, "action": "kick"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A stream the visitor opens after the kick hears no typing from the chat.
    let mut visitor_stream = visitor_stream(&server, &token).await;
    server
        .console_json(
            Some(&admin),
            "chat_signal",
            json!({"input": {"chat_id": chat, "typing": true}}),
        )
        .await;
    assert_eq!(
        visitor_stream.next_signal(Duration::from_millis(700)).await,
        None
    );

    // A new chat with the same token is refused for the ban period (60 minutes by default).
    let events = server.event_count().await;
    let start = || {
        server
            .client
            .post(server.url("/api/v1/visitor/chats"))
            .bearer_auth(&token)
            .json(&json!({"name": "Vera", "message": "let me back"}))
    };
    let (status, headers, body) = send(start()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "banned");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((3_500..=3_600).contains(&retry), "{retry}");
    assert_eq!(server.event_count().await, events);

    // The admin sees the ban and lifts it; the visitor may start again at once.
    let (status, banned) = server.console(Some(&admin), "banned_visitors", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let banned = banned.as_array().unwrap();
    assert_eq!(banned.len(), 1);
    assert_eq!(banned[0]["name"], "Vera");
    let visitor_id = banned[0]["visitor_id"].as_str().unwrap().to_owned();
    let operator = server.operator("Otto").await;
    let (status, _) = server
        .console(Some(&operator), "lift_ban", &[("visitor", &visitor_id)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server
        .console(Some(&admin), "lift_ban", &[("visitor", &visitor_id)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = send(start()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn an_idle_visitor_token_expires() {
    let config = EngineConfig {
        visitor_idle_ms: 1_000,
        ..EngineConfig::default()
    };
    let app = TestApp::builder().with_config(config).start().await;
    let server = TestServer::serve(app, Settings::default()).await;
    let token = server.new_visitor().await;
    let (status, _) = server.visitor(&token, "/api/v1/visitor", None).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let (status, body) = server.visitor(&token, "/api/v1/visitor", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_password_works_until_changed_and_expires_unless_an_admin_resets_it() {
    let server = TestServer::start().await;
    let admin = server.account("Ada", Role::Admin).await;
    let carl = new_operator(&server, "Carl").await;
    // Given eight days ago and never used: it no longer works.
    let eight_days_ago = domain::Timestamp(engine::now().0 - 8 * 24 * 60 * 60 * 1000);
    server
        .app
        .store
        .store()
        .set_password(carl.id, &carl.password_hash, true, None, eight_days_ago)
        .await
        .unwrap();
    let (status, _, body) = send(
        server
            .client
            .post(server.url("/api/login"))
            .form(&login_form("carl@example.com", "password")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "default_password_expired", "{body}");

    // An admin resets it: it works again, for the password change only.
    let (status, body) = server
        .console(
            Some(&admin),
            "reset_password",
            &[("id", &carl.id.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["must_change_password"], true);
    let cookie = server.login("carl@example.com", "password").await;
    let (status, body) = server.console(Some(&cookie), "load_console", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "password_change_required");
    let (status, _) = server
        .console(
            Some(&cookie),
            "change_password",
            &[
                ("input[current]", "password"),
                ("input[new_password]", "carls-own-one"),
                ("input[confirm]", "carls-own-one"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Once changed, the default password is just a wrong one.
    let (status, _, body) = send(
        server
            .client
            .post(server.url("/api/login"))
            .form(&login_form("carl@example.com", "password")),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "invalid_credentials");

    // A reset ends the operator's sessions (and streams), and is the admin's to make.
    let mut stream = SseReader::open(
        server
            .client
            .get(server.url("/api/console/events"))
            .header("cookie", cookie.clone()),
    )
    .await;
    let (status, _) = server
        .console(
            Some(&cookie),
            "reset_password",
            &[("id", &carl.id.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server
        .console(
            Some(&admin),
            "reset_password",
            &[("id", &carl.id.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    stream.ends(Duration::from_secs(1)).await;
    let (status, _) = server.console(Some(&cookie), "load_console", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
