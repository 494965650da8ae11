//! Voice calls (V7 O26) on a real database, with the clock moved by hand: a participant calls,
//! the two browsers' signalling reaches the other party of the call and nobody else (not
//! another operator in the chat, not another visitor), bad signals are refused and relayed to
//! nobody, and the chat records the call's start and length, or that it was declined.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::call::CallSignal;
use domain::console::ChatAction;
use domain::reach::Interest;
use domain::{ErrorCode, EventKind, Signal, Timestamp};
use engine::stream::{Audience, EventStream, StreamItem};
use engine::{Clock, EngineConfig, Session};
use test_support::TestApp;

const OFFER: &str = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n";
const CANDIDATE: &str =
    "candidate:842163049 1 udp 1677729535 127.0.0.1 46154 typ host generation 0";

async fn console(app: &TestApp, name: &str) -> (Session, EventStream) {
    let session = app.session(name).clone();
    let audience = app
        .engine
        .operator_audience(&session, Interest::All)
        .await
        .unwrap();
    let after = app.store.store().last_event_id().await.unwrap();
    (session, app.engine.open_stream(audience, after))
}

/// Everything a stream delivers until it stays quiet for a moment: events' kinds and signals.
async fn heard(rx: &mut EventStream) -> (Vec<EventKind>, Vec<Signal>) {
    let (mut events, mut signals) = (Vec::new(), Vec::new());
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
        match item {
            StreamItem::Event(event) => events.push(event.kind),
            StreamItem::Signal(signal) => signals.push(signal),
            StreamItem::Lagged => panic!("the stream lagged"),
        }
    }
    (events, signals)
}

fn calls(signals: &[Signal]) -> Vec<&CallSignal> {
    signals
        .iter()
        .filter_map(|s| match s {
            Signal::Call { signal, .. } => Some(signal),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn only_the_two_parties_of_a_call_hear_each_other() {
    let clock = Clock::manual(Timestamp(1_800_000_000_000));
    let app = TestApp::builder()
        .with_config(EngineConfig {
            clock: clock.clone(),
            ..EngineConfig::default()
        })
        .with_operator("Olga")
        .with_operator("Omar")
        .start()
        .await;
    let (olga, mut olga_rx) = console(&app, "Olga").await;
    let (omar, mut omar_rx) = console(&app, "Omar").await;
    let (vera, _) = app.visitor().await;
    let (walt, _) = app.visitor().await;
    let chat = app.start_chat(&vera, "Can you call me?").await;
    let walt_chat = app.start_chat(&walt, "Hello").await;
    let mut vera_rx = app
        .engine
        .open_stream(Audience::Visitor(vera.id), chat.events[1].id);
    let mut walt_rx = app
        .engine
        .open_stream(Audience::Visitor(walt.id), walt_chat.events[1].id);
    app.engine.accept_chat(&olga, chat.id).await.unwrap();
    app.engine
        .operator_command(&omar, chat.id, &ChatAction::Join.command())
        .await
        .unwrap();

    // No call yet: nothing to relay.
    let err = app
        .engine
        .visitor_call_signal(&vera, chat.id, CallSignal::Accept)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NoCall);

    let started = app.engine.start_call(&olga, chat.id).await.unwrap();
    assert!(matches!(started.kind, EventKind::CallStarted { .. }));
    let err = app.engine.start_call(&omar, chat.id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::CallInProgress);
    let (events, _) = heard(&mut vera_rx).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EventKind::CallStarted { .. })),
        "the visitor's bubble rings: {events:?}"
    );
    let _ = heard(&mut olga_rx).await;
    let _ = heard(&mut omar_rx).await;

    // The visitor takes the call; offer, answer and candidates go between the two only.
    app.engine
        .visitor_call_signal(&vera, chat.id, CallSignal::Accept)
        .await
        .unwrap();
    let offer = CallSignal::Offer { sdp: OFFER.into() };
    app.engine
        .operator_call_signal(&olga, chat.id, offer.clone())
        .await
        .unwrap();
    let answer = CallSignal::Answer { sdp: OFFER.into() };
    app.engine
        .visitor_call_signal(&vera, chat.id, answer.clone())
        .await
        .unwrap();
    let ice = CallSignal::Ice {
        candidate: CANDIDATE.into(),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
    };
    app.engine
        .operator_call_signal(&olga, chat.id, ice.clone())
        .await
        .unwrap();
    app.engine
        .visitor_call_signal(&vera, chat.id, ice.clone())
        .await
        .unwrap();

    let (_, to_olga) = heard(&mut olga_rx).await;
    assert_eq!(calls(&to_olga), [&CallSignal::Accept, &answer, &ice]);
    let (_, to_vera) = heard(&mut vera_rx).await;
    assert_eq!(calls(&to_vera), [&offer, &ice]);
    let (_, to_omar) = heard(&mut omar_rx).await;
    assert!(
        calls(&to_omar).is_empty(),
        "another operator in the chat hears none of it"
    );
    let (_, to_walt) = heard(&mut walt_rx).await;
    assert!(
        calls(&to_walt).is_empty(),
        "another visitor hears none of it"
    );

    // Nobody else may speak in the call; bad signals are refused and relayed to nobody.
    let err = app
        .engine
        .operator_call_signal(&omar, chat.id, offer.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NoCall);
    let err = app
        .engine
        .visitor_call_signal(&walt, chat.id, answer.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatNotFound);
    let bad = [
        (
            CallSignal::Offer {
                sdp: "hello".into(),
            },
            ErrorCode::InvalidField,
        ),
        (
            CallSignal::Answer {
                sdp: format!("{OFFER}{}", "a=x\r\n".repeat(4000)),
            },
            ErrorCode::PayloadTooLarge,
        ),
        (
            CallSignal::Ice {
                candidate: "candidate:<img src=x>".into(),
                sdp_mid: None,
                sdp_m_line_index: None,
            },
            ErrorCode::InvalidField,
        ),
    ];
    for (signal, code) in bad {
        let err = app
            .engine
            .visitor_call_signal(&vera, chat.id, signal.clone())
            .await
            .unwrap_err();
        assert_eq!(err.code, code);
        let err = app
            .engine
            .operator_call_signal(&olga, chat.id, signal)
            .await
            .unwrap_err();
        assert_eq!(err.code, code);
    }
    let (_, to_olga) = heard(&mut olga_rx).await;
    let (_, to_vera) = heard(&mut vera_rx).await;
    assert!(calls(&to_olga).is_empty() && calls(&to_vera).is_empty());

    // Hung up after 83 seconds: the chat says how long it lasted, and the relay stops.
    clock.advance(83_000);
    let err = app.engine.end_call(&omar, chat.id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NoCall, "only a party ends the call");
    app.engine
        .visitor_end_call(&vera, chat.id, false)
        .await
        .unwrap();
    let (events, _) = heard(&mut olga_rx).await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            EventKind::CallEnded {
                seconds: 83,
                declined: false,
                ..
            }
        )),
        "{events:?}"
    );
    let err = app
        .engine
        .operator_call_signal(&olga, chat.id, ice)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NoCall);

    // Called again and declined.
    app.engine.start_call(&olga, chat.id).await.unwrap();
    app.engine
        .visitor_end_call(&vera, chat.id, true)
        .await
        .unwrap();
    let (events, _) = heard(&mut vera_rx).await;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EventKind::CallEnded { declined: true, .. }))
    );
    let transcript = app
        .engine
        .operator_transcript(&olga, chat.id, false)
        .await
        .unwrap()
        .to_text("Chat");
    assert!(transcript.contains("started a voice call"), "{transcript}");
    assert!(
        transcript.contains("The voice call ended after 1:23"),
        "{transcript}"
    );
    assert!(
        transcript.contains("The voice call was declined"),
        "{transcript}"
    );
    // A waiting chat, or one the caller is not a participant of, cannot be called.
    let err = app
        .engine
        .start_call(&olga, walt_chat.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotAParticipant);
}

#[tokio::test]
async fn calls_connect_through_the_stun_and_turn_servers_an_admin_sets() {
    let app = TestApp::builder()
        .with_admin("Ada")
        .with_operator("Olga")
        .start()
        .await;
    let ada = app.session("Ada").clone();
    let olga = app.session("Olga").clone();
    assert!(
        app.engine
            .widget_config()
            .await
            .unwrap()
            .ice_servers
            .is_empty()
    );
    assert!(app.engine.ice_servers(&olga).await.unwrap().is_empty());

    let mut form = app.engine.settings_for(&ada).await.unwrap().form();
    form.ice_servers = "ftp://nope".into();
    let err = app.engine.save_settings(&ada, &form).await.unwrap_err();
    assert_eq!(err.field.as_deref(), Some("ice_servers"));
    assert!(
        app.engine.ice_servers(&olga).await.unwrap().is_empty(),
        "nothing saved"
    );

    form.ice_servers = "stun:stun.example.org:3478\nturn:turn.example.org:3478 ann s3cret".into();
    app.engine.save_settings(&ada, &form).await.unwrap();
    let servers = app.engine.widget_config().await.unwrap().ice_servers;
    assert_eq!(servers.len(), 2);
    assert_eq!(servers[1].credential.as_deref(), Some("s3cret"));
    assert_eq!(app.engine.ice_servers(&olga).await.unwrap(), servers);
    let err = app.engine.save_settings(&olga, &form).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
}
