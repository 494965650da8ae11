//! Operators working together, on a real database (SQLite, or PostgreSQL with
//! `SWITCHBOARD_TEST_BACKEND=postgres`): invitations, transfers, watching, leaving, kicking,
//! private chats and signals — who may do what, and who sees what, live and on replay.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::api::{PostMessage, VisitorChat};
use domain::console::ChatAction;
use domain::{
    Author, ChatEvent, ChatId, ChatStatus, ErrorCode, EventId, EventKind, MemberRole, OfferKind,
    Signal,
};
use engine::Session;
use engine::store::sqlite::SqliteStore;
use engine::store::{ChatStore, VisitorRecord};
use engine::stream::{Audience, EventStream, StreamItem};
use test_support::{Backend, TestApp};

const FIREFOX: &str = "Mozilla/5.0 Firefox/133.0";

/// An engine with these operators logged in.
async fn with_operators(names: &[&str]) -> TestApp {
    let mut builder = TestApp::builder();
    for name in names {
        builder = builder.with_operator(name);
    }
    builder.start().await
}

/// An operator with their console open (online), and its stream from now on.
async fn online(app: &TestApp, name: &str) -> (Session, EventStream) {
    let session = app.session(name).clone();
    let audience = app
        .engine
        .operator_audience(&session, domain::reach::Interest::All)
        .await
        .unwrap();
    let after = app.store.store().last_event_id().await.unwrap();
    (session, app.engine.open_stream(audience, after))
}

/// A new visitor on Firefox, and the chat they start.
async fn visitor_chat(app: &TestApp) -> (VisitorRecord, VisitorChat) {
    let (visitor, _) = app.visitor_using(Some(FIREFOX)).await;
    let chat = app.start_chat(&visitor, "Hello").await;
    (visitor, chat)
}

async fn act(app: &TestApp, who: &Session, chat: ChatId, action: ChatAction) -> Vec<ChatEvent> {
    app.engine
        .operator_command(who, chat, &action.command())
        .await
        .unwrap_or_else(|e| panic!("{action:?}: {e}"))
}

async fn say(app: &TestApp, who: &Session, chat: ChatId, text: &str) {
    app.engine
        .operator_post(who, chat, text, None, false)
        .await
        .unwrap();
}

/// Everything the visitor's stream replays from the beginning, until it goes quiet.
async fn visitor_replay(app: &TestApp, visitor: &VisitorRecord) -> Vec<EventKind> {
    let mut rx = app
        .engine
        .open_stream(Audience::Visitor(visitor.id), EventId(0));
    drain(&mut rx).await.into_iter().map(|e| e.kind).collect()
}

/// The chat's status as stored.
async fn status(app: &TestApp, chat: ChatId) -> ChatStatus {
    app.store
        .store()
        .chat(chat)
        .await
        .unwrap()
        .unwrap()
        .state
        .status
}

/// Events a stream delivers until it stays quiet for a moment (signals skipped).
async fn drain(rx: &mut EventStream) -> Vec<ChatEvent> {
    let mut events = Vec::new();
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
        if let StreamItem::Event(event) = item {
            events.push(event);
        }
    }
    events
}

/// Signals a stream delivers until it stays quiet for a moment.
async fn signals(rx: &mut EventStream) -> Vec<Signal> {
    let mut signals = Vec::new();
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
        if let StreamItem::Signal(signal) = item {
            signals.push(signal);
        }
    }
    signals
}

fn names(events: &[ChatEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}

#[tokio::test]
async fn invite_as_observer_then_participant_then_transfer_and_assume() {
    let app = with_operators(&["Ann", "Bob", "Cy"]).await;
    let (ann, _ann_rx) = online(&app, "Ann").await;
    let (bob, _bob_rx) = online(&app, "Bob").await;
    let (cy, _cy_rx) = online(&app, "Cy").await;
    let (visitor, chat) = visitor_chat(&app).await;
    let mut visitor_rx = app
        .engine
        .open_stream(Audience::Visitor(visitor.id), chat.events[1].id);
    app.engine.accept_chat(&ann, chat.id).await.unwrap();

    app.engine
        .offer_chat(&ann, chat.id, OfferKind::Invite, bob.operator.id)
        .await
        .unwrap();
    act(&app, &bob, chat.id, ChatAction::AcceptInviteAsObserver).await;
    let bob_chat = app.engine.my_chat(&bob, chat.id).await.unwrap();
    assert_eq!(
        bob_chat
            .summary
            .chat
            .member(bob.operator.id)
            .map(|m| m.role),
        Some(MemberRole::Observer)
    );
    let err = app
        .engine
        .operator_post(&bob, chat.id, "can I talk?", None, false)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ReadOnly);
    app.engine
        .operator_post(&bob, chat.id, "psst: try a reset", None, true)
        .await
        .unwrap();
    // The visitor saw Ann join, and nothing of Bob, his invitation or his note.
    assert_eq!(
        names(&drain(&mut visitor_rx).await),
        vec!["operator_accepted", "status_changed"]
    );

    act(&app, &bob, chat.id, ChatAction::BecomeParticipant).await;
    say(&app, &bob, chat.id, "Hi, Bob here").await;
    let seen = drain(&mut visitor_rx).await;
    assert_eq!(names(&seen), vec!["role_changed", "message_posted"]);

    // Ann hands the chat to Cy; Cy assumes it; Ann is out, the visitor is told.
    app.engine
        .offer_chat(&ann, chat.id, OfferKind::Transfer, cy.operator.id)
        .await
        .unwrap();
    act(&app, &cy, chat.id, ChatAction::Assume).await;
    let stored = app.store.store().chat(chat.id).await.unwrap().unwrap();
    assert!(!stored.state.has_operator(ann.operator.id));
    assert!(stored.state.is_participant(cy.operator.id));
    assert!(stored.state.is_participant(bob.operator.id));
    let seen = drain(&mut visitor_rx).await;
    assert!(seen.iter().any(|e| matches!(
        &e.kind,
        EventKind::OperatorLeft { operator_name, transferred_to: Some(to), .. }
            if operator_name == "Ann" && to == "Cy"
    )));
    assert_eq!(
        app.engine.my_chat(&ann, chat.id).await.unwrap_err().code,
        ErrorCode::NotAParticipant
    );
}

#[tokio::test]
async fn offers_go_only_to_online_enabled_operators_and_can_be_withdrawn() {
    let app = with_operators(&["Ann", "Olga", "Bob"]).await;
    let (ann, _ann_rx) = online(&app, "Ann").await;
    let offline = app.session("Olga").clone();
    let (_visitor, chat) = visitor_chat(&app).await;
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    let before = app.event_count().await;
    let err = app
        .engine
        .offer_chat(&ann, chat.id, OfferKind::Invite, offline.operator.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OperatorUnavailable);
    assert_eq!(app.event_count().await, before, "nothing written");

    let (bob, bob_rx) = online(&app, "Bob").await;
    app.engine
        .offer_chat(&ann, chat.id, OfferKind::Transfer, bob.operator.id)
        .await
        .unwrap();
    app.engine
        .operator_command(
            &ann,
            chat.id,
            &domain::Command::WithdrawOffer {
                target: bob.operator.id,
            },
        )
        .await
        .unwrap();
    let err = app
        .engine
        .operator_command(&bob, chat.id, &ChatAction::Assume.command())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NoPendingOffer);
    // Once Bob's console closes he is offline again.
    drop(bob_rx);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let online = app.engine.online_operators(&ann).await.unwrap();
    assert!(online.iter().all(|o| o.id != bob.operator.id));
}

#[tokio::test]
async fn an_operator_outside_a_chat_can_neither_read_nor_act_in_it() {
    let app = with_operators(&["Ann", "Eve"]).await;
    let (ann, _ann_rx) = online(&app, "Ann").await;
    let (eve, _eve_rx) = online(&app, "Eve").await;
    let (_visitor, chat) = visitor_chat(&app).await;
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    let before = app.event_count().await;
    let refused = |result: Result<(), domain::Error>| {
        assert_eq!(result.unwrap_err().code, ErrorCode::NotAParticipant);
    };
    refused(app.engine.my_chat(&eve, chat.id).await.map(|_| ()));
    refused(app.engine.visitor_info(&eve, chat.id).await.map(|_| ()));
    refused(
        app.engine
            .operator_post(&eve, chat.id, "hi", None, false)
            .await
            .map(|_| ()),
    );
    refused(
        app.engine
            .operator_post(&eve, chat.id, "note", None, true)
            .await
            .map(|_| ()),
    );
    refused(
        app.engine
            .offer_chat(&eve, chat.id, OfferKind::Invite, ann.operator.id)
            .await,
    );
    refused(
        app.engine
            .offer_chat(&eve, chat.id, OfferKind::Transfer, ann.operator.id)
            .await,
    );
    for action in [
        ChatAction::Kick,
        ChatAction::Close,
        ChatAction::Leave,
        ChatAction::Hold,
    ] {
        refused(
            app.engine
                .operator_command(&eve, chat.id, &action.command())
                .await
                .map(|_| ()),
        );
    }
    refused(app.engine.mark_read(&eve, chat.id, EventId(1)).await);
    refused(
        app.engine
            .operator_signal(&eve, chat.id, Some((true, false)), None)
            .await,
    );
    assert_eq!(app.event_count().await, before, "nothing written");
}

#[tokio::test]
async fn a_kicked_visitor_sees_the_kick_and_nothing_after_live_on_replay_and_on_reload() {
    let app = with_operators(&["Ann"]).await;
    let (ann, _ann_rx) = online(&app, "Ann").await;
    let (visitor, chat) = visitor_chat(&app).await;
    let mut visitor_rx = app
        .engine
        .open_stream(Audience::Visitor(visitor.id), chat.events[1].id);
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    say(&app, &ann, chat.id, "Goodbye").await;
    act(&app, &ann, chat.id, ChatAction::Kick).await;
    say(&app, &ann, chat.id, "for the file: the visitor was rude").await;
    act(&app, &ann, chat.id, ChatAction::Leave).await;

    let live = drain(&mut visitor_rx).await;
    assert_eq!(live.last().map(|e| e.kind.name()), Some("visitor_kicked"));
    let replayed = visitor_replay(&app, &visitor).await;
    assert!(matches!(
        replayed.last(),
        Some(EventKind::VisitorKicked { .. })
    ));
    let reloaded = app
        .engine
        .visitor_view(&visitor)
        .await
        .unwrap()
        .chat
        .unwrap();
    assert!(!reloaded.open);
    assert!(matches!(
        reloaded.events.last().map(|e| &e.kind),
        Some(EventKind::VisitorKicked { .. })
    ));
    let err = app
        .engine
        .visitor_post(
            &visitor,
            chat.id,
            PostMessage {
                body: "wait".into(),
                client_id: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatClosed);
    // Ann was the last one in the vacant chat: it is over.
    let stored = app.store.store().chat(chat.id).await.unwrap().unwrap();
    assert_eq!(stored.state.status, ChatStatus::Closed);
}

#[tokio::test]
async fn a_watcher_is_invisible_to_everyone_but_reads_everything() {
    let app = with_operators(&["Ann", "Sue"]).await;
    let (ann, mut ann_rx) = online(&app, "Ann").await;
    let (sue, mut sue_rx) = online(&app, "Sue").await;
    let (visitor, chat) = visitor_chat(&app).await;
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    drain(&mut ann_rx).await;
    drain(&mut sue_rx).await;

    act(&app, &sue, chat.id, ChatAction::Watch).await;
    assert!(drain(&mut ann_rx).await.is_empty(), "Ann is not told");
    assert_eq!(names(&drain(&mut sue_rx).await), vec!["operator_joined"]);
    let err = app
        .engine
        .operator_post(&sue, chat.id, "boo", None, false)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ReadOnly);

    say(&app, &ann, chat.id, "How can I help?").await;
    assert_eq!(names(&drain(&mut sue_rx).await), vec!["message_posted"]);
    // Nobody else's view of the chat has the watcher: not Ann's chat, not the dashboard,
    // not the visitor's history.
    let anns = app.engine.my_chat(&ann, chat.id).await.unwrap();
    assert!(!anns.summary.chat.has_operator(sue.operator.id));
    assert!(
        anns.events
            .iter()
            .all(|e| e.kind.membership_of().map(|m| m.0) != Some(sue.operator.id))
    );
    let snapshot = app
        .engine
        .console_snapshot(&ann, domain::channel::ChannelFilter::All)
        .await
        .unwrap();
    assert!(
        snapshot
            .dashboard
            .iter()
            .all(|c| !c.chat.has_operator(sue.operator.id))
    );
    let sues = app
        .engine
        .console_snapshot(&sue, domain::channel::ChannelFilter::All)
        .await
        .unwrap();
    assert_eq!(sues.my_chats.len(), 1);
    assert!(
        visitor_replay(&app, &visitor)
            .await
            .iter()
            .all(|e| e.membership_of().map(|m| m.0) != Some(sue.operator.id))
    );
    // Her typing and viewing are never signalled.
    app.engine
        .operator_signal(&sue, chat.id, Some((true, false)), Some(true))
        .await
        .unwrap();
    assert!(signals(&mut ann_rx).await.is_empty());
}

#[tokio::test]
async fn the_last_participant_leaving_puts_the_chat_back_in_the_queue() {
    let app = with_operators(&["Ann", "Bob"]).await;
    let (ann, _ann_rx) = online(&app, "Ann").await;
    let (bob, _bob_rx) = online(&app, "Bob").await;
    let (_visitor, chat) = visitor_chat(&app).await;
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    act(&app, &bob, chat.id, ChatAction::Join).await;
    act(&app, &ann, chat.id, ChatAction::Leave).await;
    assert_eq!(status(&app, chat.id).await, ChatStatus::Active);
    act(&app, &bob, chat.id, ChatAction::Leave).await;
    assert_eq!(status(&app, chat.id).await, ChatStatus::Waiting);
    let snapshot = app
        .engine
        .console_snapshot(&ann, domain::channel::ChannelFilter::All)
        .await
        .unwrap();
    assert!(snapshot.my_chats.is_empty());
    assert_eq!(snapshot.dashboard[0].status(), ChatStatus::Waiting);
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    // Hold and resume, told to the visitor; holding twice changes nothing.
    let held = act(&app, &ann, chat.id, ChatAction::Hold).await;
    assert_eq!(held.len(), 1);
    assert!(act(&app, &ann, chat.id, ChatAction::Hold).await.is_empty());
    act(&app, &ann, chat.id, ChatAction::Resume).await;
    act(&app, &ann, chat.id, ChatAction::Close).await;
    assert_eq!(status(&app, chat.id).await, ChatStatus::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_answers_to_one_offer_settle_to_one_outcome() {
    let app = with_operators(&["Ann", "Bob"]).await;
    let (ann, _ann_rx) = online(&app, "Ann").await;
    let (bob, _bob_rx) = online(&app, "Bob").await;
    for round in 0..5 {
        let (_visitor, chat) = visitor_chat(&app).await;
        app.engine.accept_chat(&ann, chat.id).await.unwrap();
        app.engine
            .offer_chat(&ann, chat.id, OfferKind::Transfer, bob.operator.id)
            .await
            .unwrap();
        let withdraw = domain::Command::WithdrawOffer {
            target: bob.operator.id,
        };
        let assume = ChatAction::Assume.command();
        let (e1, e2) = (app.engine.clone(), app.engine.clone());
        let (a, b) = (ann.clone(), bob.clone());
        let (withdrawn, assumed, assumed_again) = tokio::join!(
            tokio::spawn(async move { e1.operator_command(&a, chat.id, &withdraw).await }),
            tokio::spawn({
                let (e, b, c) = (e2.clone(), b.clone(), assume.clone());
                async move { e.operator_command(&b, chat.id, &c).await }
            }),
            tokio::spawn(async move { e2.operator_command(&b, chat.id, &assume).await }),
        );
        let outcomes = [withdrawn.unwrap(), assumed.unwrap(), assumed_again.unwrap()];
        let wins = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {outcomes:?}");
        for lost in outcomes.iter().filter_map(|o| o.as_ref().err()) {
            assert_eq!(lost.code, ErrorCode::NoPendingOffer, "round {round}");
        }
        let state = app
            .store
            .store()
            .chat(chat.id)
            .await
            .unwrap()
            .unwrap()
            .state;
        // Exactly one of requester and target is in the chat.
        assert_ne!(
            state.has_operator(ann.operator.id),
            state.has_operator(bob.operator.id),
            "round {round}"
        );
        assert!(state.offers.is_empty());
    }
}

#[tokio::test]
async fn private_chats_reach_their_two_operators_only() {
    let app = with_operators(&["Ann", "Bob", "Cy"]).await;
    let (ann, mut ann_rx) = online(&app, "Ann").await;
    let (bob, mut bob_rx) = online(&app, "Bob").await;
    let (cy, mut cy_rx) = online(&app, "Cy").await;
    let mine = app
        .engine
        .start_private_chat(&ann, bob.operator.id, "Got a minute?", Some("p1"))
        .await
        .unwrap();
    assert_eq!(mine.summary.title(ann.operator.id), "Bob");
    assert_eq!(
        names(&drain(&mut bob_rx).await),
        vec!["private_chat_started", "message_posted"]
    );
    assert_eq!(drain(&mut ann_rx).await.len(), 2);
    assert!(drain(&mut cy_rx).await.is_empty());
    say(&app, &bob, mine.summary.id(), "Sure").await;
    assert_eq!(names(&drain(&mut ann_rx).await), vec!["message_posted"]);
    assert!(
        app.engine
            .console_snapshot(&cy, domain::channel::ChannelFilter::All)
            .await
            .unwrap()
            .dashboard
            .is_empty()
    );
    let bobs = app
        .engine
        .console_snapshot(&bob, domain::channel::ChannelFilter::All)
        .await
        .unwrap();
    assert_eq!(bobs.my_chats.len(), 1);
    let err = app
        .engine
        .start_private_chat(&ann, ann.operator.id, "me?", None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidField);
    let err = app
        .engine
        .operator_command(&cy, mine.summary.id(), &ChatAction::Watch.command())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
}

#[tokio::test]
async fn typing_and_viewing_reach_the_chat_s_members_and_never_the_log() {
    let app = with_operators(&["Ann", "Cy"]).await;
    let (ann, mut ann_rx) = online(&app, "Ann").await;
    let (_cy, mut cy_rx) = online(&app, "Cy").await;
    let (visitor, chat) = visitor_chat(&app).await;
    let mut visitor_rx = app
        .engine
        .open_stream(Audience::Visitor(visitor.id), chat.events[1].id);
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    drain(&mut ann_rx).await;
    drain(&mut cy_rx).await;
    drain(&mut visitor_rx).await;
    let before = app.event_count().await;

    app.engine
        .visitor_typing(&visitor, chat.id, true)
        .await
        .unwrap();
    let heard = signals(&mut ann_rx).await;
    assert!(matches!(
        heard.as_slice(),
        [Signal::Typing {
            author: Author::Visitor,
            active: true,
            ..
        }]
    ));
    assert!(
        signals(&mut cy_rx)
            .await
            .iter()
            .all(|s| s.chat() != Some(chat.id))
    );

    app.engine
        .operator_signal(&ann, chat.id, Some((true, false)), Some(true))
        .await
        .unwrap();
    let heard = signals(&mut visitor_rx).await;
    assert!(matches!(
        heard.as_slice(),
        [Signal::Typing { note: false, .. }]
    ));
    app.engine
        .operator_signal(&ann, chat.id, Some((true, true)), None)
        .await
        .unwrap();
    assert!(
        signals(&mut visitor_rx).await.is_empty(),
        "notes are not typed to visitors"
    );

    app.engine
        .visitor_page(
            &visitor,
            domain::api::PageView {
                url: "https://shop.example/pricing".into(),
                title: Some("Pricing".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let heard = signals(&mut ann_rx).await;
    assert!(
        heard
            .iter()
            .any(|s| matches!(s, Signal::VisitorPage { url, .. } if url.ends_with("/pricing")))
    );
    let info = app.engine.visitor_info(&ann, chat.id).await.unwrap();
    assert_eq!(info.page_title.as_deref(), Some("Pricing"));
    assert_eq!(
        info.user_agent.as_deref(),
        Some("Mozilla/5.0 Firefox/133.0")
    );
    assert_eq!(app.event_count().await, before, "signals are never stored");
}

#[tokio::test]
async fn a_database_from_before_collaboration_is_upgraded_without_loss() {
    // The old schema is SQLite's: PostgreSQL support came after collaboration.
    if Backend::from_env() == Backend::Postgres {
        eprintln!("skipped: upgrading a pre-collaboration database is a SQLite matter");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    {
        use sqlx::Connection;
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        let mut migrator = sqlx::migrate!("../migrations/sqlite");
        let first: Vec<_> = migrator.migrations.iter().take(1).cloned().collect();
        migrator.migrations = first.into();
        migrator.run(&mut conn).await.unwrap();
        for sql in [
            "INSERT INTO operators (id, email, name, chat_name, role, password_hash, created_at) \
             VALUES ('0195f000-0000-7000-8000-000000000001', 'ann@example.com', 'Ann', '', \
             'operator', 'x', 1)",
            "INSERT INTO visitors (id, token_hash, name, created_at) \
             VALUES ('0195f000-0000-7000-8000-000000000002', 'h', 'Vera', 1)",
            "INSERT INTO chats (id, visitor_id, visitor_name, status, visitor_present, version, \
             created_at, updated_at) VALUES ('0195f000-0000-7000-8000-000000000003', \
             '0195f000-0000-7000-8000-000000000002', 'Vera', 'active', 1, 3, 1, 1)",
            "INSERT INTO participants (chat_id, operator_id, joined_at) \
             VALUES ('0195f000-0000-7000-8000-000000000003', \
             '0195f000-0000-7000-8000-000000000001', 2)",
            "INSERT INTO events (chat_id, at, kind, payload) VALUES \
             ('0195f000-0000-7000-8000-000000000003', 1, 'chat_started', \
             '{\"type\":\"chat_started\",\"visitor_name\":\"Vera\"}')",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = SqliteStore::connect(&url).await.unwrap();
    let chat: ChatId = "0195f000-0000-7000-8000-000000000003".parse().unwrap();
    let stored = ChatStore::chat(&store, chat).await.unwrap().unwrap();
    assert_eq!(stored.state.status, ChatStatus::Active);
    assert_eq!(stored.version, 3);
    assert!(stored.state.visitor_present);
    assert_eq!(stored.state.members.len(), 1);
    assert_eq!(stored.state.members[0].name, "Ann");
    assert_eq!(stored.state.members[0].role, MemberRole::Participant);
    let events = ChatStore::chat_events(&store, chat).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].visibility, domain::Visibility::Everyone);
    store.close().await;
}

#[tokio::test]
async fn seen_marks_reach_the_other_side_once_per_step_and_survive_a_reload() {
    let app = with_operators(&["Ann", "Cy"]).await;
    let (ann, mut ann_rx) = online(&app, "Ann").await;
    let (cy, mut cy_rx) = online(&app, "Cy").await;
    let (visitor, chat) = visitor_chat(&app).await;
    let mut visitor_rx = app
        .engine
        .open_stream(Audience::Visitor(visitor.id), chat.events[1].id);
    app.engine.accept_chat(&ann, chat.id).await.unwrap();
    act(&app, &cy, chat.id, ChatAction::Watch).await;
    say(&app, &ann, chat.id, "How can I help?").await;
    let from_visitor = app
        .engine
        .visitor_post(
            &visitor,
            chat.id,
            PostMessage {
                body: "Where is my parcel?".into(),
                client_id: None,
            },
        )
        .await
        .unwrap();
    drain(&mut ann_rx).await;
    drain(&mut cy_rx).await;
    drain(&mut visitor_rx).await;

    // Ann reads the chat: the visitor hears it once; reading again up to the same event, or
    // a watcher reading, tells nobody.
    app.engine
        .mark_read(&ann, chat.id, from_visitor.id)
        .await
        .unwrap();
    let heard = signals(&mut visitor_rx).await;
    assert_eq!(
        heard,
        vec![Signal::Seen {
            chat_id: chat.id,
            by_visitor: false,
            up_to: from_visitor.id,
        }]
    );
    app.engine
        .mark_read(&ann, chat.id, from_visitor.id)
        .await
        .unwrap();
    app.engine
        .mark_read(&cy, chat.id, from_visitor.id)
        .await
        .unwrap();
    assert!(signals(&mut visitor_rx).await.is_empty());
    let view = app.engine.visitor_view(&visitor).await.unwrap();
    assert_eq!(view.chat.unwrap().seen_up_to, from_visitor.id);

    // The visitor sees Ann's answer: the operators in the chat hear it, and it is kept.
    let answer = app
        .engine
        .my_chat(&ann, chat.id)
        .await
        .unwrap()
        .events
        .iter()
        .rev()
        .find(|e| e.kind.name() == "message_posted" && e.id < from_visitor.id)
        .unwrap()
        .id;
    app.engine
        .visitor_seen(&visitor, chat.id, answer)
        .await
        .unwrap();
    let seen = Signal::Seen {
        chat_id: chat.id,
        by_visitor: true,
        up_to: answer,
    };
    assert_eq!(signals(&mut ann_rx).await, vec![seen.clone()]);
    assert_eq!(signals(&mut cy_rx).await, vec![seen]);
    let mine = app.engine.my_chat(&ann, chat.id).await.unwrap();
    assert_eq!(mine.visitor_seen_up_to, answer);
    assert_eq!(mine.visitor_receipt(), Some(true));
    // Never back, and nothing told again.
    app.engine
        .visitor_seen(&visitor, chat.id, chat.events[0].id)
        .await
        .unwrap();
    assert!(signals(&mut ann_rx).await.is_empty());
    assert_eq!(
        app.engine
            .my_chat(&ann, chat.id)
            .await
            .unwrap()
            .visitor_seen_up_to,
        answer
    );

    // An event of another chat, or another visitor's chat, is refused.
    let (other, other_chat) = visitor_chat(&app).await;
    let err = app
        .engine
        .visitor_seen(&visitor, chat.id, other_chat.events[0].id)
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("up_to"));
    let err = app
        .engine
        .visitor_seen(&other, chat.id, answer)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotFound);
}
