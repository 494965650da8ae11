//! Several nodes on one PostgreSQL database behave like one: events, replays, signals and
//! revocations reach streams on every node, in one order, also after a listener drops.
//!
//! These tests need a database other processes share; on SQLite (one process by design)
//! they say so and pass without running.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::api::{NewVisitor, PostMessage, StartChat};
use domain::{ChatId, EventId, Signal};
use engine::Engine;
use engine::store::VisitorRecord;
use engine::stream::{Audience, StreamItem};
use test_support::{Backend, TestApp, next_event};

const WAIT: Duration = Duration::from_secs(10);

/// Two nodes on one database, or `None` (and a note) where the backend is not shared.
async fn two_nodes() -> Option<(TestApp, Engine, test_support::AnyStore)> {
    let app = TestApp::builder()
        .with_operator("Ann")
        .with_admin("Ada")
        .start()
        .await;
    if app.backend != Backend::Postgres {
        eprintln!("several nodes need PostgreSQL: set SWITCHBOARD_TEST_BACKEND=postgres");
        return None;
    }
    let (b, store) = app.another_node().await;
    Some((app, b, store))
}

async fn visitor(engine: &Engine) -> VisitorRecord {
    let created = engine
        .create_visitor(NewVisitor::default(), None)
        .await
        .unwrap();
    engine.authenticate_visitor(&created.token).await.unwrap()
}

async fn start(engine: &Engine, visitor: &VisitorRecord) -> ChatId {
    engine
        .start_chat(
            visitor,
            StartChat {
                email: None,
                name: Some("Vera".into()),
                message: "hello".into(),
                client_id: None,
                channel: None,
            },
        )
        .await
        .unwrap()
        .id
}

async fn post(engine: &Engine, visitor: &VisitorRecord, chat: ChatId, body: &str) -> EventId {
    engine
        .visitor_post(
            visitor,
            chat,
            PostMessage {
                body: body.into(),
                client_id: Some(body.into()),
            },
        )
        .await
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_on_one_node_reaches_streams_on_the_other() {
    let Some((a, b, _store)) = two_nodes().await else {
        return;
    };
    let vera = visitor(&a.engine).await;
    let chat = start(&a.engine, &vera).await;
    let now = b.last_event_id().await.unwrap();
    let mut on_b = b.open_stream(Audience::Visitor(vera.id), now);
    let ann = a.session("Ann");
    let audience = b
        .operator_audience(ann, domain::reach::Interest::All)
        .await
        .unwrap();
    let mut ann_on_b = b.open_stream(audience, now);

    let id = post(&a.engine, &vera, chat, "from node A").await;
    assert_eq!(next_event(&mut on_b).await.id, id);
    // A new chat on node A is a dashboard change for a console on node B.
    let sam = visitor(&a.engine).await;
    let sams = start(&a.engine, &sam).await;
    let started = next_event(&mut ann_on_b).await;
    assert_eq!(started.chat_id, sams);
    assert_eq!(started.kind.name(), "chat_started");

    // Replay from Last-Event-ID works on either node, with the same answer.
    let mut replay_a = a.engine.open_stream(Audience::Visitor(vera.id), EventId(0));
    let mut replay_b = b.open_stream(Audience::Visitor(vera.id), EventId(0));
    for _ in 0..3 {
        assert_eq!(
            next_event(&mut replay_a).await,
            next_event(&mut replay_b).await
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_on_both_nodes_reach_every_stream_once_in_one_order() {
    let Some((a, b, _store)) = two_nodes().await else {
        return;
    };
    let ann = a.session("Ann").clone();
    let vera = visitor(&a.engine).await;
    let chat = start(&a.engine, &vera).await;
    a.engine.accept_chat(&ann, chat).await.unwrap();
    let now = a.engine.last_event_id().await.unwrap();
    let mut on_a = a.engine.open_stream(Audience::Visitor(vera.id), now);
    let mut on_b = b.open_stream(Audience::Visitor(vera.id), now);

    let mut sent = Vec::new();
    let writers: Vec<_> = [a.engine.clone(), b.clone()]
        .into_iter()
        .enumerate()
        .map(|(node, engine)| {
            let vera = vera.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..40 {
                    ids.push(post(&engine, &vera, chat, &format!("n{node}-{i}")).await);
                }
                ids
            })
        })
        .collect();
    for writer in writers {
        sent.extend(writer.await.unwrap());
    }
    sent.sort();
    for stream in [&mut on_a, &mut on_b] {
        let mut seen = Vec::new();
        while seen.len() < sent.len() {
            seen.push(next_event(stream).await.id);
        }
        assert_eq!(seen, sent, "every event once, in log order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_and_revocations_cross_nodes() {
    let Some((a, b, _store)) = two_nodes().await else {
        return;
    };
    let ann = a.session("Ann").clone();
    let vera = visitor(&a.engine).await;
    let chat = start(&a.engine, &vera).await;
    a.engine.accept_chat(&ann, chat).await.unwrap();
    let now = b.last_event_id().await.unwrap();
    let audience = b
        .operator_audience(&ann, domain::reach::Interest::All)
        .await
        .unwrap();
    let mut ann_on_b = b.open_stream(audience, now);

    a.engine.visitor_typing(&vera, chat, true).await.unwrap();
    let heard = tokio::time::timeout(WAIT, async {
        loop {
            match ann_on_b.recv().await {
                Some(StreamItem::Signal(Signal::Typing { chat_id, .. })) if chat_id == chat => {
                    return;
                }
                Some(_) => {}
                None => panic!("the stream ended"),
            }
        }
    })
    .await;
    assert!(heard.is_ok(), "typing on node A reaches node B");

    // Disabling Ann on node A ends her stream on node B.
    a.engine
        .set_operator_disabled(a.session("Ada"), ann.operator.id, true)
        .await
        .unwrap();
    let ended =
        tokio::time::timeout(WAIT, async { while ann_on_b.recv().await.is_some() {} }).await;
    assert!(ended.is_ok(), "the revoked stream on node B ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_catches_up_after_its_listener_reconnects() {
    let Some((a, b, store_b)) = two_nodes().await else {
        return;
    };
    let vera = visitor(&a.engine).await;
    let chat = start(&a.engine, &vera).await;
    let now = b.last_event_id().await.unwrap();
    let mut on_b = b.open_stream(Audience::Visitor(vera.id), now);
    // Cut every listening connection: notifications sent meanwhile are lost.
    let engine::store::Database::Postgres(pg) = &store_b else {
        unreachable!("two_nodes answers PostgreSQL only");
    };
    let cut = pg.terminate_listeners().await.unwrap();
    assert!(cut >= 1, "node B was listening");
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(post(&a.engine, &vera, chat, &format!("during the gap {i}")).await);
    }
    for id in ids {
        assert_eq!(next_event(&mut on_b).await.id, id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_commit_at_once_and_a_reader_of_the_log_never_skips_an_id() {
    let Some((a, b, _store)) = two_nodes().await else {
        return;
    };
    // A third connection tails the log as a node's follower does: after the last id seen.
    let (_, follower) = a.another_node().await;
    let follower = follower.store();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tail = {
        let done = done.clone();
        let follower = follower.clone();
        tokio::spawn(async move {
            let mut seen: Vec<EventId> = Vec::new();
            let mut passed = EventId(0);
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page = follower.events_after(passed, 100).await.unwrap();
                for logged in &page {
                    seen.push(logged.event.id);
                    passed = logged.event.id;
                }
                if finished && page.is_empty() {
                    return seen;
                }
                if page.is_empty() {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut workers = Vec::new();
    for (n, engine) in [a.engine.clone(), b.clone()].into_iter().enumerate() {
        for w in 0..6 {
            let engine = engine.clone();
            workers.push(tokio::spawn(async move {
                for round in 0..4 {
                    let vera = visitor(&engine).await;
                    let chat = start(&engine, &vera).await;
                    for i in 0..3 {
                        post(&engine, &vera, chat, &format!("{n}-{w}-{round}-{i}")).await;
                    }
                    engine.visitor_end(&vera, chat).await.unwrap();
                }
            }));
        }
    }
    for worker in workers {
        worker.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = tail.await.unwrap();
    let all: Vec<EventId> = follower
        .events_after(EventId(0), 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .map(|logged| logged.event.id)
        .collect();
    assert!(all.len() >= 2 * 6 * 4 * 6, "{} events", all.len());
    // Ids drawn by one node's transaction and committed after another's would show up here
    // as an id the tail passed over and never saw.
    assert_eq!(seen, all, "the tail read the whole log, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_is_online_is_the_same_on_every_node() {
    let Some((a, b, _store)) = two_nodes().await else {
        return;
    };
    let ann = a.session("Ann").clone();
    let ada = a.session("Ada").clone();
    let vera = visitor(&a.engine).await;
    let chat = start(&a.engine, &vera).await;
    a.engine.accept_chat(&ann, chat).await.unwrap();
    // Ada's console is open on node B only.
    let audience = b
        .operator_audience(&ada, domain::reach::Interest::All)
        .await
        .unwrap();
    let ada_on_b = b.open_stream(audience, b.last_event_id().await.unwrap());
    let online = a.engine.online_operators(&ann).await.unwrap();
    assert!(online.iter().any(|o| o.id == ada.operator.id), "{online:?}");
    // So Ann, on node A, can invite her.
    a.engine
        .offer_chat(&ann, chat, domain::OfferKind::Invite, ada.operator.id)
        .await
        .unwrap();
    // Her console closes on node B: node A stops listing her.
    drop(ada_on_b);
    let gone = tokio::time::timeout(WAIT, async {
        loop {
            let online = a.engine.online_operators(&ann).await.unwrap();
            if online.iter().all(|o| o.id != ada.operator.id) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(gone.is_ok(), "a closed console leaves every node's list");
}

/// The next signal on a stream that `wanted` picks, within [`WAIT`].
async fn signal_where(
    stream: &mut engine::stream::EventStream,
    wanted: impl Fn(&Signal) -> bool,
) -> Option<Signal> {
    let until = tokio::time::Instant::now() + WAIT;
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, stream.recv()).await {
            Ok(Some(StreamItem::Signal(signal))) if wanted(&signal) => return Some(signal),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn visitors_invitations_and_calls_work_across_nodes() {
    use domain::api::PageView;
    use domain::call::CallSignal;
    use domain::visitor::{AcceptInvitation, InvitationStatus, InviteVisitor, VisitorFilter};

    let Some((app, b, _store)) = two_nodes().await else {
        return;
    };
    let a = &app.engine;
    let ann = app.session("Ann").clone();
    let audience = a
        .operator_audience(&ann, domain::reach::Interest::All)
        .await
        .unwrap();
    let mut ann_rx = a.open_stream(audience, a.last_event_id().await.unwrap());

    // The visitor's page and live channel are on node B; node A lists them.
    let vera = visitor(&b).await;
    b.visitor_page(
        &vera,
        PageView {
            url: "https://shop.example/pricing".into(),
            title: Some("Pricing".into()),
            ..PageView::default()
        },
    )
    .await
    .unwrap();
    let mut vera_rx = b.open_stream(Audience::Visitor(vera.id), EventId(0));
    b.keep_visitors().await.unwrap();
    let listed = a
        .live_visitors(&ann, VisitorFilter::default())
        .await
        .unwrap();
    assert!(listed.visitors.iter().any(|v| v.id == vera.id));

    // Invited from node A, heard on node B; accepted on node B, followed on node A.
    let invitation = a
        .invite_visitor(
            &ann,
            InviteVisitor {
                visitor_id: vera.id,
                message: "Hello from Ann".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        signal_where(&mut vera_rx, |s| matches!(s, Signal::Invited { .. }))
            .await
            .is_some()
    );
    let chat = b
        .accept_invitation(&vera, invitation.id, AcceptInvitation::default())
        .await
        .unwrap();
    let accepted = signal_where(&mut ann_rx, |s| {
        matches!(
            s,
            Signal::InvitationChanged {
                status: InvitationStatus::Accepted,
                ..
            }
        )
    })
    .await;
    assert!(accepted.is_some(), "the operator on node A follows it");

    // A call started on node A: the visitor's signal sent through node B reaches node A.
    a.start_call(&ann, chat.id).await.unwrap();
    b.visitor_call_signal(&vera, chat.id, CallSignal::Accept)
        .await
        .unwrap();
    let heard = signal_where(&mut ann_rx, |s| matches!(s, Signal::Call { .. })).await;
    assert!(
        matches!(
            heard,
            Some(Signal::Call {
                signal: CallSignal::Accept,
                from_visitor: true,
                ..
            })
        ),
        "{heard:?}"
    );
}
