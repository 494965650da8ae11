//! The engine on a real database (SQLite, or PostgreSQL with `SWITCHBOARD_TEST_BACKEND=postgres`):
//! chat commands, races, idempotency, sessions, streams.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::api::{PostMessage, StartChat};
use domain::console::Role;
use domain::{ChatEvent, ChatStatus, ErrorCode, EventId, EventKind};
use engine::stream::{Audience, EventStream, StreamItem};
use engine::{Engine, EngineConfig, NewOperator, Session};
use test_support::{TestApp, next_event};

fn start(message: &str) -> StartChat {
    StartChat {
        email: None,
        name: Some("Vera".into()),
        message: message.into(),
        client_id: None,
        channel: None,
    }
}

fn post(body: &str, client_id: Option<&str>) -> PostMessage {
    PostMessage {
        body: body.into(),
        client_id: client_id.map(str::to_owned),
    }
}

#[tokio::test]
async fn visitor_and_operator_chat_and_the_log_records_every_change_in_order() {
    let app = TestApp::builder().with_operator("Ann").start().await;
    let ann = app.session("Ann").clone();
    let (visitor, _) = app.visitor().await;
    let chat = app
        .engine
        .start_chat(&visitor, start("I need help"))
        .await
        .unwrap();
    assert_eq!(chat.status, ChatStatus::Waiting);
    let mine = app.engine.accept_chat(&ann, chat.id).await.unwrap();
    assert_eq!(mine.summary.status(), ChatStatus::Active);
    assert_eq!(mine.summary.participant_names(), vec!["Ann".to_string()]);
    app.engine
        .operator_post(&ann, chat.id, "Hello, I'm Ann", None, false)
        .await
        .unwrap();
    app.engine
        .visitor_post(&visitor, chat.id, post("Thanks", None))
        .await
        .unwrap();
    app.engine.visitor_end(&visitor, chat.id).await.unwrap();

    let events: Vec<ChatEvent> = app
        .store
        .store()
        .chat_events(chat.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.event)
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "chat_started",
            "message_posted",
            "operator_accepted",
            "status_changed",
            "message_posted",
            "message_posted",
            "visitor_left",
            "status_changed"
        ]
    );
    assert!(events.windows(2).all(|w| w[0].id < w[1].id));
    let stored = app.store.store().chat(chat.id).await.unwrap().unwrap();
    assert_eq!(stored.state.status, ChatStatus::Vacant);
}

#[tokio::test]
async fn ending_a_chat_nobody_accepted_closes_it() {
    let app = TestApp::new().await;
    let (visitor, _) = app.visitor().await;
    let chat = app.engine.start_chat(&visitor, start("hi")).await.unwrap();
    app.engine.visitor_end(&visitor, chat.id).await.unwrap();
    let stored = app.store.store().chat(chat.id).await.unwrap().unwrap();
    assert_eq!(stored.state.status, ChatStatus::Closed);
    // The ended chat is still shown to its visitor, read-only.
    let view = app.engine.visitor_view(&visitor).await.unwrap();
    let ended = view.chat.unwrap();
    assert!(!ended.open);
    assert_eq!(ended.status, ChatStatus::Closed);
    // A new chat may start once the last one is over.
    app.engine
        .start_chat(&visitor, start("again"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_accepts_have_exactly_one_winner() {
    let app = TestApp::builder()
        .with_operator("Ann")
        .with_operator("Bob")
        .with_operator("Cy")
        .start()
        .await;
    let operators = [
        app.session("Ann").clone(),
        app.session("Bob").clone(),
        app.session("Cy").clone(),
    ];
    for _ in 0..5 {
        let (visitor, _) = app.visitor().await;
        let chat = app
            .engine
            .start_chat(&visitor, start("race"))
            .await
            .unwrap();
        let results = futures_join(&app.engine, &operators, chat.id).await;
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "{results:?}");
        for loser in results.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(loser.code, ErrorCode::ChatNotWaiting);
        }
        let events = app.store.store().chat_events(chat.id).await.unwrap();
        let accepts = events
            .iter()
            .filter(|e| matches!(e.event.kind, EventKind::OperatorAccepted { .. }))
            .count();
        assert_eq!(accepts, 1);
    }
}

async fn futures_join(
    engine: &Engine,
    operators: &[Session],
    chat: domain::ChatId,
) -> Vec<Result<(), domain::Error>> {
    let handles: Vec<_> = operators
        .iter()
        .cloned()
        .map(|session| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.accept_chat(&session, chat).await.map(|_| ()) })
        })
        .collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}

#[tokio::test]
async fn a_retried_message_is_stored_once_and_answers_the_first_result() {
    let app = TestApp::new().await;
    let (visitor, _) = app.visitor().await;
    let chat = app.engine.start_chat(&visitor, start("hi")).await.unwrap();
    let first = app
        .engine
        .visitor_post(&visitor, chat.id, post("once", Some("k-1")))
        .await
        .unwrap();
    let before = app.event_count().await;
    let again = app
        .engine
        .visitor_post(&visitor, chat.id, post("once", Some("k-1")))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(app.event_count().await, before);
    let other = app
        .engine
        .visitor_post(&visitor, chat.id, post("twice", Some("k-2")))
        .await
        .unwrap();
    assert!(other.id > first.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_of_one_message_store_it_once() {
    let app = TestApp::new().await;
    let (visitor, _) = app.visitor().await;
    let chat = app.engine.start_chat(&visitor, start("hi")).await.unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let engine = app.engine.clone();
            let visitor = visitor.clone();
            tokio::spawn(async move {
                engine
                    .visitor_post(&visitor, chat.id, post("same", Some("dup")))
                    .await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for handle in handles {
        ids.push(handle.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    let messages = app
        .store
        .store()
        .chat_events(chat.id)
        .await
        .unwrap()
        .into_iter()
        .filter(
            |e| matches!(&e.event.kind, EventKind::MessagePosted { body, .. } if body == "same"),
        )
        .count();
    assert_eq!(messages, 1);
}

#[tokio::test]
async fn refused_commands_write_nothing() {
    let app = TestApp::builder()
        .with_operator("Ann")
        .with_operator("Bob")
        .start()
        .await;
    let ann = app.session("Ann").clone();
    let bob = app.session("Bob").clone();
    let (visitor, _) = app.visitor().await;
    let (stranger, _) = app.visitor().await;
    let chat = app.engine.start_chat(&visitor, start("hi")).await.unwrap();
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    let before = app.event_count().await;

    let cases: Vec<(ErrorCode, Result<_, domain::Error>)> = vec![
        (
            ErrorCode::NotAParticipant,
            app.engine
                .operator_post(&bob, chat.id, "x", None, false)
                .await
                .map(|_| ()),
        ),
        (
            ErrorCode::ChatNotFound,
            app.engine
                .visitor_post(&stranger, chat.id, post("x", None))
                .await
                .map(|_| ()),
        ),
        (
            ErrorCode::EmptyMessage,
            app.engine
                .visitor_post(&visitor, chat.id, post("  ", None))
                .await
                .map(|_| ()),
        ),
        (
            ErrorCode::MessageTooLong,
            app.engine
                .visitor_post(&visitor, chat.id, post(&"x".repeat(4097), None))
                .await
                .map(|_| ()),
        ),
        (
            ErrorCode::ChatNotWaiting,
            app.engine.accept_chat(&bob, chat.id).await.map(|_| ()),
        ),
        (
            ErrorCode::ChatNotFound,
            app.engine
                .accept_chat(&bob, domain::ChatId(uuid::Uuid::now_v7()))
                .await
                .map(|_| ()),
        ),
        (
            ErrorCode::ChatAlreadyOpen,
            app.engine
                .start_chat(&visitor, start("another"))
                .await
                .map(|_| ()),
        ),
        (
            ErrorCode::ChatNotFound,
            app.engine.visitor_end(&stranger, chat.id).await,
        ),
        (
            ErrorCode::NotAParticipant,
            app.engine.mark_read(&bob, chat.id, EventId(1)).await,
        ),
    ];
    for (expected, got) in cases {
        assert_eq!(got.err().map(|e| e.code), Some(expected));
    }
    assert_eq!(app.event_count().await, before);
}

#[tokio::test]
async fn everything_survives_a_restart_on_the_same_database() {
    let app = TestApp::builder().with_operator("Ann").start().await;
    let ann = app.session("Ann").clone();
    let (visitor, token) = app.visitor().await;
    let chat = app
        .engine
        .start_chat(&visitor, start("before restart"))
        .await
        .unwrap();
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    let before = app.store.store().chat_events(chat.id).await.unwrap();

    let app = app.restart().await;
    let visitor = app.engine.authenticate_visitor(&token).await.unwrap();
    let after = app.store.store().chat_events(chat.id).await.unwrap();
    assert_eq!(before, after);
    let posted = app
        .engine
        .visitor_post(&visitor, chat.id, post("after restart", None))
        .await
        .unwrap();
    assert!(posted.id > after.last().unwrap().event.id);
    let ann = app
        .engine
        .login("ann@example.com", "s3cret-pass")
        .await
        .unwrap();
    let ann = app.engine.authenticate(&ann.token).await.unwrap();
    let snapshot = app
        .engine
        .console_snapshot(&ann, domain::channel::ChannelFilter::All)
        .await
        .unwrap();
    assert_eq!(snapshot.my_chats.len(), 1);
    assert_eq!(snapshot.my_chats[0].events.last().unwrap().id, posted.id);
}

#[tokio::test]
async fn login_requires_the_right_password_and_the_default_must_be_changed_first() {
    let app = TestApp::new().await;
    assert_eq!(
        app.engine
            .ensure_first_admin("admin@example.com")
            .await
            .unwrap()
            .as_deref(),
        Some("admin@example.com")
    );
    assert_eq!(
        app.engine
            .ensure_first_admin("admin@example.com")
            .await
            .unwrap(),
        None
    );

    for (email, password) in [
        ("admin@example.com", "wrong"),
        ("nobody@example.com", "password"),
        ("bad", "x"),
    ] {
        let err = app.engine.login(email, password).await.err().unwrap();
        assert_eq!(err.code, ErrorCode::InvalidCredentials);
        assert_eq!(err.message, "Wrong email or password.");
    }
    let login = app
        .engine
        .login("ADMIN@example.com ", "password")
        .await
        .unwrap();
    assert!(login.must_change_password);
    let session = app.engine.authenticate(&login.token).await.unwrap();
    assert_eq!(session.operator.role, Role::Admin);
    let (visitor, _) = app.visitor().await;
    let chat = app.engine.start_chat(&visitor, start("hi")).await.unwrap();
    let blocked = app
        .engine
        .accept_chat(&session, chat.id)
        .await
        .err()
        .unwrap();
    assert_eq!(blocked.code, ErrorCode::PasswordChangeRequired);
    assert_eq!(
        app.engine
            .console_snapshot(&session, domain::channel::ChannelFilter::All)
            .await
            .err()
            .unwrap()
            .code,
        ErrorCode::PasswordChangeRequired
    );

    for weak in ["short", "password"] {
        let err = app
            .engine
            .change_password(&session, "password", weak)
            .await
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::WeakPassword);
    }
    let err = app
        .engine
        .change_password(&session, "nope", "long enough pass")
        .await
        .err()
        .unwrap();
    assert_eq!(err.code, ErrorCode::InvalidCredentials);

    let other = app
        .engine
        .login("admin@example.com", "password")
        .await
        .unwrap();
    app.engine
        .change_password(&session, "password", "long enough pass")
        .await
        .unwrap();
    // The changing session lives on, with the flag cleared; every other session ended.
    let session = app.engine.authenticate(&login.token).await.unwrap();
    assert!(!session.operator.must_change_password);
    assert_eq!(
        app.engine
            .authenticate(&other.token)
            .await
            .err()
            .unwrap()
            .code,
        ErrorCode::Unauthorized
    );
    app.engine.accept_chat(&session, chat.id).await.unwrap();

    app.engine.logout(&session).await.unwrap();
    assert_eq!(
        app.engine
            .authenticate(&login.token)
            .await
            .err()
            .unwrap()
            .code,
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = TestApp::builder()
        .with_config(EngineConfig {
            session_idle_ms: 0,
            ..EngineConfig::default()
        })
        .start()
        .await;
    app.engine
        .create_operator(NewOperator {
            email: "a@example.com".into(),
            name: "A".into(),
            role: Role::Operator,
        })
        .await
        .unwrap();
    let login = app.engine.login("a@example.com", "password").await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        app.engine
            .authenticate(&login.token)
            .await
            .err()
            .unwrap()
            .code,
        ErrorCode::Unauthorized
    );
}

/// Asserts that no event arrives for a while (signals are not events).
async fn no_more(rx: &mut EventStream) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
    while let Ok(got) = tokio::time::timeout_at(deadline, rx.recv()).await {
        assert!(
            matches!(got, Some(StreamItem::Signal(_))),
            "unexpected {got:?}"
        );
    }
}

#[tokio::test]
async fn a_stream_replays_exactly_what_was_missed_then_goes_live() {
    let app = TestApp::new().await;
    let (visitor, _) = app.visitor().await;
    let chat = app.engine.start_chat(&visitor, start("one")).await.unwrap();
    let seen = chat.events.last().unwrap().id;
    let two = app
        .engine
        .visitor_post(&visitor, chat.id, post("two", None))
        .await
        .unwrap();
    let three = app
        .engine
        .visitor_post(&visitor, chat.id, post("three", None))
        .await
        .unwrap();

    let mut rx = app.engine.open_stream(Audience::Visitor(visitor.id), seen);
    assert_eq!(next_event(&mut rx).await.id, two.id);
    assert_eq!(next_event(&mut rx).await.id, three.id);
    no_more(&mut rx).await;
    let four = app
        .engine
        .visitor_post(&visitor, chat.id, post("four", None))
        .await
        .unwrap();
    assert_eq!(next_event(&mut rx).await.id, four.id);
    no_more(&mut rx).await;
}

#[tokio::test]
async fn a_visitor_stream_carries_only_that_visitors_chat() {
    let app = TestApp::new().await;
    let (vera, _) = app.visitor().await;
    let (walt, _) = app.visitor().await;
    let mut rx = app
        .engine
        .open_stream(Audience::Visitor(vera.id), EventId(0));
    app.engine
        .start_chat(&walt, start("not for vera"))
        .await
        .unwrap();
    let chat = app
        .engine
        .start_chat(&vera, start("for vera"))
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(next_event(&mut rx).await.chat_id, chat.id);
    }
    no_more(&mut rx).await;
}

#[tokio::test]
async fn an_operator_stream_carries_dashboard_changes_and_only_own_chats_messages() {
    let app = TestApp::builder()
        .with_operator("Ann")
        .with_operator("Bob")
        .start()
        .await;
    let ann = app.session("Ann").clone();
    let bob = app.session("Bob").clone();
    let audience = app
        .engine
        .operator_audience(&bob, domain::reach::Interest::All)
        .await
        .unwrap();
    let mut rx = app
        .engine
        .open_stream(audience, app.store.store().last_event_id().await.unwrap());
    let (visitor, _) = app.visitor().await;
    let chat = app
        .engine
        .start_chat(&visitor, start("private words"))
        .await
        .unwrap();
    assert_eq!(next_event(&mut rx).await.kind.name(), "chat_started");
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    assert_eq!(next_event(&mut rx).await.kind.name(), "operator_accepted");
    assert_eq!(next_event(&mut rx).await.kind.name(), "status_changed");
    app.engine
        .operator_post(&ann, chat.id, "not for bob", None, false)
        .await
        .unwrap();
    no_more(&mut rx).await;

    // Ann, who is in the chat, sees its messages from when she came in, including on
    // replay; what was said before she came in she reads in the chat's history.
    let audience = app
        .engine
        .operator_audience(&ann, domain::reach::Interest::All)
        .await
        .unwrap();
    let mut rx = app.engine.open_stream(audience, EventId(0));
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(next_event(&mut rx).await.kind.name());
    }
    assert_eq!(
        got,
        [
            "chat_started",
            "operator_accepted",
            "status_changed",
            "message_posted"
        ]
    );
    let history = app.engine.my_chat(&ann, chat.id).await.unwrap();
    assert_eq!(history.events.len(), 5);
}

#[tokio::test]
async fn a_lagging_stream_is_ended_not_skipped() {
    let app = TestApp::builder()
        .with_config(EngineConfig {
            bus_capacity: 4,
            ..EngineConfig::default()
        })
        .start()
        .await;
    let (visitor, _) = app.visitor().await;
    let chat = app.engine.start_chat(&visitor, start("hi")).await.unwrap();
    let mut rx = app.engine.open_stream(
        Audience::Visitor(visitor.id),
        app.store.store().last_event_id().await.unwrap(),
    );
    // Let the stream finish its (empty) replay, then flood it without reading.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), rx.recv())
            .await
            .is_err(),
        "nothing to replay yet"
    );
    let mut last = EventId(0);
    for i in 0..300 {
        last = app
            .engine
            .visitor_post(&visitor, chat.id, post(&format!("m{i}"), None))
            .await
            .unwrap()
            .id;
    }
    let mut received = Vec::new();
    let mut lagged = false;
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        match item {
            StreamItem::Event(event) => received.push(event.id),
            StreamItem::Signal(_) => {}
            StreamItem::Lagged => {
                lagged = true;
                break;
            }
        }
    }
    assert!(lagged, "the stream must end with Lagged");
    assert!(received.windows(2).all(|w| w[0] < w[1]));
    // Reconnecting from the last id received replays the rest, with no gap and no duplicate.
    let resume = received.last().copied().unwrap_or(EventId(0));
    let mut rx = app
        .engine
        .open_stream(Audience::Visitor(visitor.id), resume);
    let mut expected = resume;
    loop {
        let event = next_event(&mut rx).await;
        assert!(event.id > expected);
        expected = event.id;
        if event.id == last {
            break;
        }
    }
    let all = app.store.store().chat_events(chat.id).await.unwrap();
    let total_after_start = all
        .iter()
        .filter(|e| e.event.id > chat.events.last().unwrap().id)
        .count();
    assert_eq!(total_after_start, 300);
}

#[tokio::test]
async fn snapshot_counts_unread_and_read_markers_only_move_forward() {
    let app = TestApp::builder().with_operator("Ann").start().await;
    let ann = app.session("Ann").clone();
    let (visitor, _) = app.visitor().await;
    let chat = app
        .engine
        .start_chat(&visitor, start("first"))
        .await
        .unwrap();
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    app.engine
        .visitor_post(&visitor, chat.id, post("second", None))
        .await
        .unwrap();
    let snapshot = app
        .engine
        .console_snapshot(&ann, domain::channel::ChannelFilter::All)
        .await
        .unwrap();
    let mine = &snapshot.my_chats[0];
    assert_eq!(
        domain::console::unread_count(&mine.events, mine.read_up_to, ann.operator.id),
        2
    );
    let last = mine.events.last().unwrap().id;
    app.engine.mark_read(&ann, chat.id, last).await.unwrap();
    app.engine
        .mark_read(&ann, chat.id, EventId(1))
        .await
        .unwrap();
    let snapshot = app
        .engine
        .console_snapshot(&ann, domain::channel::ChannelFilter::All)
        .await
        .unwrap();
    assert_eq!(snapshot.my_chats[0].read_up_to, last);
    assert_eq!(snapshot.dashboard.len(), 1);
    assert_eq!(snapshot.last_event_id, last);
}

#[tokio::test]
async fn only_web_addresses_are_kept_for_a_visitor() {
    let app = TestApp::new().await;
    let created = app
        .engine
        .create_visitor(
            domain::api::NewVisitor {
                page_url: Some("https://shop.example/cart".into()),
                referrer: Some("javascript:alert(document.cookie)".into()),
                ..domain::api::NewVisitor::default()
            },
            None,
        )
        .await
        .unwrap();
    let visitor = app
        .engine
        .authenticate_visitor(&created.token)
        .await
        .unwrap();
    assert_eq!(
        visitor.page_url.as_deref(),
        Some("https://shop.example/cart")
    );
    assert_eq!(visitor.referrer, None);
    let refused = app
        .engine
        .visitor_page(
            &visitor,
            domain::api::PageView {
                url: "data:text/html,<b>hi</b>".into(),
                title: None,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.field.as_deref(), Some("url"));
}
