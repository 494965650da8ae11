//! Visitors on the site (O25) on a real database (SQLite, or PostgreSQL with
//! `SWITCHBOARD_TEST_BACKEND=postgres`), with the clock moved by hand: arrival, page views,
//! leaving after the grace period and returning; invitations through every state, reaching
//! only the invited visitor; and what is refused, writing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use domain::api::PageView;
use domain::reach::Interest;
use domain::visitor::{AcceptInvitation, InvitationStatus, InviteVisitor, VisitorFilter};
use domain::{ChatStatus, ErrorCode, MemberRole, Signal, Timestamp, VisitorId};
use engine::stream::{Audience, EventStream, StreamItem};
use engine::{Clock, EngineConfig, Session};
use test_support::TestApp;
use uuid::Uuid;

const START: i64 = 1_800_000_000_000;

async fn app() -> (TestApp, Clock) {
    let clock = Clock::manual(Timestamp(START));
    let app = TestApp::builder()
        .with_config(EngineConfig {
            clock: clock.clone(),
            ..EngineConfig::default()
        })
        .with_operator("Olga")
        .with_operator("Omar")
        .start()
        .await;
    (app, clock)
}

fn page(url: &str, title: &str, referrer: Option<&str>) -> PageView {
    PageView {
        url: url.to_owned(),
        title: Some(title.to_owned()),
        referrer: referrer.map(str::to_owned),
        language: Some("de-DE".to_owned()),
        channel: None,
    }
}

/// The operator's console, open: they count as online.
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

async fn on_site(app: &TestApp, who: &Session) -> Vec<VisitorId> {
    app.engine
        .live_visitors(who, VisitorFilter::default())
        .await
        .unwrap()
        .visitors
        .into_iter()
        .map(|v| v.id)
        .collect()
}

#[tokio::test]
async fn a_visitor_arrives_browses_leaves_after_the_grace_period_and_returns() {
    let (app, clock) = app().await;
    let olga = app.session("Olga").clone();
    let (visitor, token) = app.visitor().await;
    let (other, _) = app.visitor().await;

    let home = page(
        "https://shop.example/demo",
        "Demo shop",
        Some("https://search.example/?q=shop"),
    );
    app.engine.visitor_page(&visitor, home).await.unwrap();
    clock.advance(5_000);
    let pricing = page(
        "https://shop.example/demo/pricing",
        "Pricing",
        Some("https://shop.example/demo"),
    );
    app.engine.visitor_page(&visitor, pricing).await.unwrap();
    app.engine
        .visitor_page(&other, page("https://shop.example/other", "Other", None))
        .await
        .unwrap();

    let list = app
        .engine
        .live_visitors(&olga, VisitorFilter::default())
        .await
        .unwrap();
    let badge = list.visitors.iter().find(|v| v.id == visitor.id).unwrap();
    assert_eq!(badge.pages_viewed, 2);
    assert_eq!(badge.page_title.as_deref(), Some("Pricing"));
    assert_eq!(badge.visit_started_at, Timestamp(START));
    // The referrer is the visit's: where they came from, not the previous page.
    assert_eq!(
        badge.referrer.as_deref(),
        Some("https://search.example/?q=shop")
    );
    assert_eq!(badge.language.as_deref(), Some("de-DE"));
    assert!(badge.label.starts_with("Visitor "), "{}", badge.label);
    assert!(badge.chat_id.is_none() && badge.invitation.is_none());

    // Search by page title; the profile holds the trail, newest first.
    let found = app
        .engine
        .live_visitors(
            &olga,
            VisitorFilter {
                text: "PRICING".into(),
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.visitors[0].id, visitor.id);
    let profile = app.engine.visitor_profile(&olga, visitor.id).await.unwrap();
    let titles: Vec<_> = profile
        .trail
        .iter()
        .map(|p| p.title.clone().unwrap_or_default())
        .collect();
    assert_eq!(titles, ["Pricing", "Demo shop"]);
    assert!(profile.online);
    assert!(
        profile.default_invitation.contains("Olga"),
        "{}",
        profile.default_invitation
    );

    // While a page holds the live channel, the node keeps the visitor on the site.
    let stream = app
        .engine
        .open_stream(Audience::Visitor(visitor.id), domain::EventId(0));
    for _ in 0..6 {
        clock.advance(20_000);
        app.engine.keep_visitors().await.unwrap();
    }
    let here = on_site(&app, &olga).await;
    assert!(here.contains(&visitor.id));
    assert!(!here.contains(&other.id), "no page open for two minutes");

    // Their last page closes: gone a minute later, not before.
    drop(stream);
    clock.advance(30_000);
    app.engine.keep_visitors().await.unwrap();
    assert!(on_site(&app, &olga).await.contains(&visitor.id));
    clock.advance(31_000);
    assert!(!on_site(&app, &olga).await.contains(&visitor.id));
    let (olga, _olga_rx) = console(&app, "Olga").await;
    let err = app
        .engine
        .invite_visitor(
            &olga,
            InviteVisitor {
                visitor_id: visitor.id,
                message: "Hi".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::VisitorGone);

    // Back later, by their token: the same visitor, on a new visit.
    clock.advance(3_600_000);
    let again = app.engine.authenticate_visitor(&token).await.unwrap();
    assert_eq!(again.id, visitor.id);
    app.engine
        .visitor_page(&again, page("https://shop.example/demo", "Demo shop", None))
        .await
        .unwrap();
    let badge = app
        .engine
        .live_visitors(&olga, VisitorFilter::default())
        .await
        .unwrap()
        .visitors
        .into_iter()
        .find(|v| v.id == visitor.id)
        .unwrap();
    assert_eq!(badge.pages_viewed, 1);
    assert_eq!(badge.visit_started_at, clock.now());
    assert_eq!(badge.referrer, None);
    let profile = app.engine.visitor_profile(&olga, visitor.id).await.unwrap();
    assert_eq!(profile.trail.len(), 3, "the trail spans visits");
}

#[tokio::test]
async fn an_invitation_reaches_only_its_visitor_and_the_operator_follows_it() {
    let (app, clock) = app().await;
    let (olga, mut olga_rx) = console(&app, "Olga").await;
    let (_omar, mut omar_rx) = console(&app, "Omar").await;
    let (vera, _) = app.visitor().await;
    let (walt, _) = app.visitor().await;
    for visitor in [&vera, &walt] {
        app.engine
            .visitor_page(visitor, page("https://shop.example/demo", "Demo", None))
            .await
            .unwrap();
    }
    let mut vera_rx = app
        .engine
        .open_stream(Audience::Visitor(vera.id), domain::EventId(0));
    let mut walt_rx = app
        .engine
        .open_stream(Audience::Visitor(walt.id), domain::EventId(0));
    app.engine.tell_visitors_moved();
    assert!(
        signals(&mut omar_rx)
            .await
            .contains(&Signal::VisitorsChanged),
        "consoles hear that the list changed"
    );
    let _ = signals(&mut olga_rx).await;

    let invitation = app
        .engine
        .invite_visitor(
            &olga,
            InviteVisitor {
                visitor_id: vera.id,
                message: "  Hello! I'm Olga. Can I help?  ".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(invitation.status, InvitationStatus::Sent);
    assert_eq!(invitation.message, "Hello! I'm Olga. Can I help?");
    let heard = signals(&mut vera_rx).await;
    assert!(
        heard.iter().any(|s| matches!(
            s,
            Signal::Invited { invitation_id, message, .. }
                if *invitation_id == invitation.id && message == "Hello! I'm Olga. Can I help?"
        )),
        "{heard:?}"
    );
    assert!(
        !signals(&mut walt_rx)
            .await
            .iter()
            .any(|s| matches!(s, Signal::Invited { .. })),
        "only the invited visitor hears of it"
    );
    // A page loaded later shows it too; another visitor cannot answer it.
    let open = app.engine.open_invitation(&vera).await.unwrap().unwrap();
    assert_eq!(open.id, invitation.id);
    let err = app
        .engine
        .decline_invitation(&walt, invitation.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);

    app.engine
        .invitation_seen(&vera, invitation.id)
        .await
        .unwrap();
    let heard = signals(&mut olga_rx).await;
    assert!(heard.iter().any(|s| matches!(
        s,
        Signal::InvitationChanged {
            status: InvitationStatus::Seen,
            ..
        }
    )));
    assert!(
        !signals(&mut omar_rx)
            .await
            .iter()
            .any(|s| matches!(s, Signal::InvitationChanged { .. })),
        "only the inviting operator follows it"
    );
    app.engine
        .decline_invitation(&vera, invitation.id)
        .await
        .unwrap();
    let err = app
        .engine
        .accept_invitation(&vera, invitation.id, AcceptInvitation::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvitationClosed);
    let badge = app
        .engine
        .live_visitors(&olga, VisitorFilter::default())
        .await
        .unwrap()
        .visitors
        .into_iter()
        .find(|v| v.id == vera.id)
        .unwrap();
    assert_eq!(badge.invitation, Some(InvitationStatus::Declined));

    // Unanswered, an invitation expires.
    let to_walt = app
        .engine
        .invite_visitor(
            &olga,
            InviteVisitor {
                visitor_id: walt.id,
                message: "Hi Walt".into(),
            },
        )
        .await
        .unwrap();
    clock.advance(domain::visitor::INVITATION_TTL_MS);
    app.engine.keep_visitors().await.unwrap();
    app.engine.keep_consoles().await.unwrap();
    assert!(app.engine.open_invitation(&walt).await.unwrap().is_none());
    let err = app
        .engine
        .invitation_seen(&walt, to_walt.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvitationClosed);
    let profile = app.engine.visitor_profile(&olga, walt.id).await.unwrap();
    assert_eq!(
        profile.invitation.map(|i| i.status),
        Some(InvitationStatus::Expired)
    );

    // Accepted: the chat goes straight to Olga, active, with no queue.
    let again = app
        .engine
        .invite_visitor(
            &olga,
            InviteVisitor {
                visitor_id: vera.id,
                message: "One more try?".into(),
            },
        )
        .await
        .unwrap();
    let chat = app
        .engine
        .accept_invitation(
            &vera,
            again.id,
            AcceptInvitation {
                name: Some("Vera".into()),
                email: Some("vera@example.com".into()),
                voice: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(chat.status, ChatStatus::Active);
    // She chose a voice chat: the chat asks Olga to call, in words the bubble shows.
    let request = chat.events.last().unwrap();
    assert!(
        matches!(&request.kind, domain::EventKind::CallRequested { operator, .. } if *operator == olga.operator.id),
        "{request:?}"
    );
    assert!(
        request
            .text
            .as_deref()
            .is_some_and(|t| t.starts_with("You asked for a voice chat")),
        "{request:?}"
    );
    let stored = app.store.store().chat(chat.id).await.unwrap().unwrap();
    assert_eq!(stored.state.visitor_name, "Vera");
    assert_eq!(
        stored.state.member(olga.operator.id).map(|m| m.role),
        Some(MemberRole::Participant)
    );
    assert!(stored.state.offers.is_empty());
    let heard = signals(&mut olga_rx).await;
    assert!(
        heard.iter().any(|s| matches!(
            s,
            Signal::InvitationChanged { status: InvitationStatus::Accepted, chat_id: Some(id), .. }
                if *id == chat.id
        )),
        "{heard:?}"
    );
    let me = app
        .engine
        .console_snapshot(&olga, domain::channel::ChannelFilter::All)
        .await
        .unwrap();
    assert!(
        me.my_chats.iter().any(|c| c.summary.id() == chat.id),
        "the chat is in Olga's My Chats"
    );
    let record = app
        .store
        .store()
        .visitor_by_id(vera.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.email.as_deref(), Some("vera@example.com"));
    // A visitor in a chat is not invited again.
    let err = app
        .engine
        .invite_visitor(
            &olga,
            InviteVisitor {
                visitor_id: vera.id,
                message: "Hello?".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ChatAlreadyOpen);
}

#[tokio::test]
async fn bad_invitations_are_refused_and_write_nothing() {
    let (app, _clock) = app().await;
    let (olga, _olga_rx) = console(&app, "Olga").await;
    let omar = app.session("Omar").clone();
    let (vera, _) = app.visitor().await;
    app.engine
        .visitor_page(&vera, page("https://shop.example/demo", "Demo", None))
        .await
        .unwrap();
    let invite = |visitor_id, message: &str| InviteVisitor {
        visitor_id,
        message: message.to_owned(),
    };

    let unknown = app
        .engine
        .invite_visitor(&olga, invite(VisitorId(Uuid::now_v7()), "Hi"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::VisitorGone);
    let blank = app
        .engine
        .invite_visitor(&olga, invite(vera.id, "   "))
        .await
        .unwrap_err();
    assert_eq!(blank.code, ErrorCode::EmptyMessage);
    let long = "x".repeat(domain::visitor::MAX_INVITATION_BYTES + 1);
    let long = app
        .engine
        .invite_visitor(&olga, invite(vera.id, &long))
        .await
        .unwrap_err();
    assert_eq!(long.code, ErrorCode::MessageTooLong);
    // No console open: not available.
    let offline = app
        .engine
        .invite_visitor(&omar, invite(vera.id, "Hi"))
        .await
        .unwrap_err();
    assert_eq!(offline.code, ErrorCode::OperatorUnavailable);
    // Set Unavailable by hand: not available either.
    app.engine.set_unavailable(&olga, true).await.unwrap();
    let unavailable = app
        .engine
        .invite_visitor(&olga, invite(vera.id, "Hi"))
        .await
        .unwrap_err();
    assert_eq!(unavailable.code, ErrorCode::OperatorUnavailable);
    assert!(app.engine.open_invitation(&vera).await.unwrap().is_none());
}

#[tokio::test]
async fn closing_the_last_page_ends_the_visitors_part_but_a_reload_does_not() {
    let (app, clock) = app().await;
    let (olga, _olga_rx) = console(&app, "Olga").await;
    let (vera, _) = app.visitor().await;
    let (walt, _) = app.visitor().await;
    let talking = app.start_chat(&vera, "Hello").await.id;
    app.engine.accept_chat(&olga, talking).await.unwrap();
    let waiting = app.start_chat(&walt, "Anyone there?").await.id;
    let status = |chat| {
        let store = app.store.store();
        async move { store.chat(chat).await.unwrap().unwrap().state }
    };

    // Pages come and go (a reload, a move to another page): the chats stay open.
    let mut vera_page = app
        .engine
        .open_stream(Audience::Visitor(vera.id), domain::EventId(0));
    let walt_page = app
        .engine
        .open_stream(Audience::Visitor(walt.id), domain::EventId(0));
    for _ in 0..8 {
        clock.advance(15_000);
        drop(vera_page);
        vera_page = app
            .engine
            .open_stream(Audience::Visitor(vera.id), domain::EventId(0));
        app.engine.keep_visitors().await.unwrap();
        app.engine.keep_consoles().await.unwrap();
        assert_eq!(app.engine.end_departed_visits().await.unwrap(), 0);
    }
    assert_eq!(status(talking).await.status, ChatStatus::Active);
    assert_eq!(status(waiting).await.status, ChatStatus::Waiting);

    // Their last pages close: within the grace period nothing ends, after it their part does.
    drop(vera_page);
    drop(walt_page);
    clock.advance(45_000);
    assert_eq!(app.engine.end_departed_visits().await.unwrap(), 0);
    clock.advance(20_000);
    assert_eq!(app.engine.end_departed_visits().await.unwrap(), 2);
    let talking = status(talking).await;
    assert_eq!(talking.status, ChatStatus::Vacant, "Olga is still in it");
    assert!(!talking.visitor_present);
    assert_eq!(status(waiting).await.status, ChatStatus::Closed);
    assert_eq!(app.engine.end_departed_visits().await.unwrap(), 0);
}
