//! The real-time core on a real database (SQLite, or PostgreSQL with
//! `SWITCHBOARD_TEST_BACKEND=postgres`): fan-out by audience, group commit, the invariants the
//! database holds, and what a database outage does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::api::PostMessage;
use domain::reach::Recipient;
use domain::settings::Settings;
use domain::{ChatId, ChatState, Command, ErrorCode, EventId, OperatorId, VisitorId};
use engine::store::{Capacity, ChatWrite, NewEvent, StoreError, VisitorRecord};
use engine::stream::{Audience, EventStream, StreamItem};
use test_support::{TestApp, next_event};
use uuid::Uuid;

/// A new visitor, authenticated.
async fn visitor(app: &TestApp) -> VisitorRecord {
    app.visitor().await.0
}

async fn post(app: &TestApp, visitor: &VisitorRecord, chat: ChatId, body: &str) -> EventId {
    app.engine
        .visitor_post(
            visitor,
            chat,
            PostMessage {
                body: body.into(),
                client_id: None,
            },
        )
        .await
        .unwrap()
        .id
}

/// Asserts that a stream stays open and silent for a moment.
async fn silent(stream: &mut EventStream) {
    if let Ok(item) = tokio::time::timeout(Duration::from_millis(200), stream.recv()).await {
        panic!("expected silence on an open stream, got {item:?}");
    }
}

#[tokio::test]
async fn an_event_costs_work_only_for_the_streams_it_reaches() {
    let app = TestApp::builder().with_operator("Ann").start().await;
    let ann = app.session("Ann").clone();
    let vera = visitor(&app).await;
    let chat = app.start_chat(&vera, "hello").await.id;
    // Watches the dashboard until the accept is published: on a shared database that happens
    // after the commit, and the consoles below must not hear it late.
    let mut probe = app.engine.bus().subscribe(
        Recipient::Operator(OperatorId(Uuid::now_v7())),
        domain::reach::Interest::All,
    );
    app.engine.accept_chat(&ann, chat).await.unwrap();
    let now = app.engine.last_event_id().await.unwrap();
    while let Some(delivery) = probe.receiver.recv().await {
        if matches!(&delivery, engine::bus::Delivery::Event(e) if e.event.id == now) {
            break;
        }
    }
    drop(probe);

    // Two thousand idle bubbles of other visitors, and ten other operators' consoles.
    let mut idle: Vec<EventStream> = (0..2000)
        .map(|_| {
            app.engine
                .open_stream(Audience::Visitor(VisitorId(Uuid::now_v7())), now)
        })
        .collect();
    let mut others: Vec<_> = (0..10)
        .map(|_| {
            app.engine.bus().subscribe(
                Recipient::Operator(OperatorId(Uuid::now_v7())),
                domain::reach::Interest::All,
            )
        })
        .collect();
    let mut vera_stream = app.engine.open_stream(Audience::Visitor(vera.id), now);
    let audience = app
        .engine
        .operator_audience(&ann, domain::reach::Interest::All)
        .await
        .unwrap();
    let mut ann_stream = app.engine.open_stream(audience, now);
    // Past replay: each stream asks the log only for its own holder's events.
    silent(&mut vera_stream).await;
    for stream in idle.iter_mut().take(20) {
        silent(stream).await;
    }
    assert_eq!(app.engine.bus().stream_count(), 2000 + 10 + 2);
    // The other consoles heard Ann come online.
    for stream in &mut others {
        assert!(matches!(
            stream.receiver.try_recv(),
            Ok(engine::bus::Delivery::Signal(_))
        ));
    }

    // A message reaches the visitor's stream and Ann's: two offers, whatever else is open.
    // (Counted once it has arrived: on a shared database it is published after the commit.)
    let before = app.engine.bus().offers();
    let id = post(&app, &vera, chat, "how much is it?").await;
    assert_eq!(next_event(&mut vera_stream).await.id, id);
    assert_eq!(next_event(&mut ann_stream).await.id, id);
    assert_eq!(app.engine.bus().offers() - before, 2);
    for stream in &others {
        assert!(stream.receiver.is_empty());
    }

    // Typing reaches the chat's other side only.
    let before = app.engine.bus().offers();
    app.engine.visitor_typing(&vera, chat, true).await.unwrap();
    assert_eq!(app.engine.bus().offers() - before, 1);
    assert!(matches!(
        ann_stream.recv().await,
        Some(StreamItem::Signal(domain::Signal::Typing { .. }))
    ));

    // A new chat is a dashboard change: every console hears of it, no other bubble does.
    let sam = visitor(&app).await;
    let before = app.engine.bus().offers();
    let started = app.start_chat(&sam, "anyone there?").await;
    assert_eq!(next_event(&mut ann_stream).await.chat_id, started.id);
    assert_eq!(app.engine.bus().offers() - before, 10 + 1);
    for stream in &others {
        assert_eq!(stream.receiver.len(), 1);
    }
    for stream in idle.iter_mut().take(20) {
        silent(stream).await;
    }

    // Closed streams leave the index.
    drop(idle);
    drop(others);
    assert_eq!(app.engine.bus().stream_count(), 2);
}

#[tokio::test]
async fn one_batch_commits_several_chats_and_each_write_succeeds_or_fails_alone() {
    let app = TestApp::new().await;
    let store = app.store.store();
    let vera = visitor(&app).await;
    let sam = visitor(&app).await;
    let first = |visitor: VisitorId, text: &str| {
        let id = ChatId(Uuid::now_v7());
        let (state, recorded) = ChatState::start(
            id,
            visitor,
            "Vera".into(),
            None,
            domain::chat::MessageBody::parse(text).unwrap(),
            None,
        );
        ChatWrite::Create {
            events: NewEvent::from_recorded(&ChatState::empty(id, Some(visitor)), recorded),
            chat: state,
        }
    };
    let answers = store
        .commit_chats(
            &[
                first(vera.id, "one"),
                first(vera.id, "a second open chat"),
                first(sam.id, "two"),
            ],
            engine::now(),
        )
        .await
        .unwrap();
    assert!(answers[0].is_ok());
    assert!(matches!(answers[1], Err(StoreError::AlreadyOpen)));
    assert!(answers[2].is_ok());
    // The refused write left nothing behind; its neighbours are whole.
    assert_eq!(app.event_count().await, 4);

    // A write decided on a state the chat has since left is refused alone as well.
    let chat = answers[0].as_ref().unwrap()[0].event.chat_id;
    let before = store.chat(chat).await.unwrap().unwrap();
    app.engine.visitor_end(&vera, chat).await.unwrap();
    let stored = store.chat(chat).await.unwrap().unwrap();
    assert_ne!(stored.revision, before.revision);
    let stale = ChatWrite::Update {
        chat: before.state.clone(),
        expected: before.revision.clone(),
        events: Vec::new(),
        capacity: None,
    };
    let answers = store.commit_chats(&[stale], engine::now()).await.unwrap();
    assert!(matches!(answers[0], Err(StoreError::Conflict)));
    assert_eq!(store.chat(chat).await.unwrap().unwrap(), stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_share_commits_and_a_lost_race_fails_only_itself() {
    let app = TestApp::builder()
        .with_operator("Ann")
        .with_operator("Bob")
        .start()
        .await;
    let ann = app.session("Ann").clone();
    let bob = app.session("Bob").clone();
    let mut visitors = Vec::new();
    for i in 0..16 {
        let visitor = visitor(&app).await;
        let chat = app.start_chat(&visitor, &format!("chat {i}")).await.id;
        visitors.push((visitor, chat));
    }
    let contested = visitors[0].1;
    let batches_before = app
        .engine
        .batch_stats()
        .batches
        .load(std::sync::atomic::Ordering::Relaxed);
    let mut posts = Vec::new();
    for (visitor, chat) in &visitors {
        for n in 0..4 {
            let engine = app.engine.clone();
            let visitor = visitor.clone();
            let chat = *chat;
            posts.push(tokio::spawn(async move {
                engine
                    .visitor_post(
                        &visitor,
                        chat,
                        PostMessage {
                            body: format!("message {n}"),
                            client_id: Some(format!("m-{n}")),
                        },
                    )
                    .await
            }));
        }
    }
    let (a, b) = tokio::join!(
        app.engine.accept_chat(&ann, contested),
        app.engine.accept_chat(&bob, contested)
    );
    let mut delivered = 0;
    for post in posts {
        post.await.unwrap().unwrap();
        delivered += 1;
    }
    assert_eq!(delivered, 64);
    // Exactly one accept won; the other was told, and nobody else failed with it.
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1);
    let lost = a.err().or(b.err()).unwrap();
    assert_eq!(lost.code, ErrorCode::ChatNotWaiting);
    let stats = app.engine.batch_stats();
    let batches = stats.batches.load(std::sync::atomic::Ordering::Relaxed) - batches_before;
    let largest = stats.largest.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        largest > 1,
        "66 concurrent commands in {batches} commits, none shared"
    );
    assert_eq!(app.event_count().await, 16 * 2 + 64 + 2);
}

#[tokio::test]
async fn the_database_holds_the_per_operator_limit() {
    let app = TestApp::builder().with_operator("Ann").start().await;
    let ann = app.session("Ann").clone();
    let store = app.store.store();
    let vera = visitor(&app).await;
    let sam = visitor(&app).await;
    let first = app.start_chat(&vera, "one").await.id;
    let second = app.start_chat(&sam, "two").await.id;
    app.engine.accept_chat(&ann, first).await.unwrap();
    // An accept decided while the limit looked free is still refused by the database.
    let stored = store.chat(second).await.unwrap().unwrap();
    let mut state = stored.state.clone();
    let recorded = state.execute(&ann.actor(), &Command::Accept).unwrap();
    let write = ChatWrite::Update {
        events: NewEvent::from_recorded(&stored.state, recorded),
        chat: state,
        expected: stored.revision.clone(),
        capacity: Some(Capacity {
            operator: ann.operator.id,
            max: 1,
        }),
    };
    let events = app.event_count().await;
    let answers = store
        .commit_chats(std::slice::from_ref(&write), engine::now())
        .await
        .unwrap();
    assert!(matches!(answers[0], Err(StoreError::AtCapacity)));
    assert_eq!(app.event_count().await, events);
    assert_eq!(store.chat(second).await.unwrap().unwrap(), stored);
    // With room for two it goes through.
    let ChatWrite::Update {
        chat,
        expected,
        events,
        ..
    } = write
    else {
        unreachable!()
    };
    let roomy = ChatWrite::Update {
        chat,
        expected,
        events,
        capacity: Some(Capacity {
            operator: ann.operator.id,
            max: 2,
        }),
    };
    let answers = store.commit_chats(&[roomy], engine::now()).await.unwrap();
    assert!(answers[0].is_ok());
    assert!(Settings::default().max_chats_per_operator == 0);
}

#[tokio::test]
async fn a_database_outage_answers_unavailable_and_ends_open_streams() {
    let app = TestApp::new().await;
    let vera = visitor(&app).await;
    let chat = app.start_chat(&vera, "hello").await.id;
    let now = app.engine.last_event_id().await.unwrap();
    let mut stream = app.engine.open_stream(Audience::Visitor(vera.id), now);
    silent(&mut stream).await;

    app.store.close().await;
    let refused = app
        .engine
        .visitor_post(
            &vera,
            chat,
            PostMessage {
                body: "lost?".into(),
                client_id: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Unavailable);
    assert_eq!(refused.code.http_status(), 503);
    // The open stream ends, so its client reconnects once the database is back.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while stream.recv().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream must end during the outage");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_in_one_chat_never_race_each_other() {
    let app = TestApp::builder().with_operator("Ann").start().await;
    let ann = app.session("Ann").clone();
    let vera = visitor(&app).await;
    let chat = app.start_chat(&vera, "hello").await.id;
    app.engine.accept_chat(&ann, chat).await.unwrap();
    let version = app.store.store().chat(chat).await.unwrap().unwrap().version;
    // The visitor and the operator both talk at once, many messages in flight together.
    let mut sends = Vec::new();
    for i in 0..40 {
        let engine = app.engine.clone();
        let (vera, ann) = (vera.clone(), ann.clone());
        sends.push(tokio::spawn(async move {
            if i % 2 == 0 {
                engine
                    .visitor_post(
                        &vera,
                        chat,
                        PostMessage {
                            body: format!("visitor {i}"),
                            client_id: Some(format!("v{i}")),
                        },
                    )
                    .await
            } else {
                engine
                    .operator_post(&ann, chat, &format!("operator {i}"), None, false)
                    .await
            }
        }));
    }
    for send in sends {
        send.await.unwrap().unwrap();
    }
    // Messages leave the chat's state as it is: none was decided again, none refused.
    let stored = app.store.store().chat(chat).await.unwrap().unwrap();
    assert_eq!(stored.version, version);
    let messages = app
        .store
        .store()
        .chat_events(chat)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.event.kind.name() == "message_posted")
        .count();
    assert_eq!(messages, 1 + 40);
}

#[tokio::test]
async fn a_message_decided_before_a_change_is_refused_alone_and_leaves_its_batch_whole() {
    let app = TestApp::new().await;
    let vera = visitor(&app).await;
    let sam = visitor(&app).await;
    let veras = app.start_chat(&vera, "hello").await.id;
    let sams = app.start_chat(&sam, "hi").await.id;
    let store = app.store.store();
    let message = |stored: &engine::store::StoredChat, who: VisitorId, body: &str, key: &str| {
        let mut state = stored.state.clone();
        let recorded = state
            .execute(
                &domain::Actor::Visitor(who),
                &Command::PostMessage {
                    body: domain::chat::MessageBody::parse(body).unwrap(),
                    client_id: Some(key.into()),
                },
            )
            .unwrap();
        assert_eq!(state, stored.state, "a message leaves the state as it is");
        ChatWrite::Append {
            events: NewEvent::from_recorded(&stored.state, recorded),
            chat: state,
            expected: stored.revision.clone(),
        }
    };
    let vera_before = store.chat(veras).await.unwrap().unwrap();
    let sam_now = store.chat(sams).await.unwrap().unwrap();
    // Vera's message is decided, then her chat ends before it commits.
    let late = message(&vera_before, vera.id, "too late", "late");
    app.engine.visitor_end(&vera, veras).await.unwrap();
    let before = app.event_count().await;
    let answers = store
        .commit_chats(
            &[
                message(&sam_now, sam.id, "first", "a"),
                late,
                message(&sam_now, sam.id, "again", "a"),
                message(&sam_now, sam.id, "second", "b"),
            ],
            engine::now(),
        )
        .await
        .unwrap();
    assert!(answers[0].is_ok());
    assert!(
        matches!(answers[1], Err(StoreError::Conflict)),
        "the chat changed"
    );
    assert!(
        matches!(answers[2], Err(StoreError::Conflict)),
        "the key is taken"
    );
    assert!(answers[3].is_ok());
    assert_eq!(app.event_count().await, before + 2);
    let bodies: Vec<String> = store
        .chat_events(veras)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|l| match l.event.kind {
            domain::EventKind::MessagePosted { body, .. } => Some(body),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, ["hello"]);
}
