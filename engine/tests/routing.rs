//! Routing with a clock the test moves (R2, R3, O16, V11): away while the console keeps
//! polling, automatic assignment in order of language, load and idle time with its reason,
//! decline and acknowledge timeout passing the chat on, the hand-over at T2, missed chats,
//! and when the bubble offers the message form instead of a live chat.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::api::{NewVisitor, StartChat};
use domain::console::OnlineOperator;
use domain::followup::{OfflineMessage, OfflineReason};
use domain::routing::PassReason;
use domain::settings::Settings;
use domain::ticket::{TicketFilter, TicketStatus};
use domain::{ChatId, ChatStatus, ErrorCode, EventKind, Timestamp};
use engine::TicketEdit;
use engine::store::VisitorRecord;
use engine::{ChannelForm, Clock, EngineConfig, Session};
use test_support::TestApp;

/// Tuesday 2026-12-01 10:00 UTC.
const TUESDAY_10_UTC: i64 = 1_796_119_200_000;

async fn app_at(start: i64, accounts: &[(&str, domain::console::Role)]) -> (TestApp, Clock) {
    let clock = Clock::manual(Timestamp(start));
    let mut builder = TestApp::builder().with_config(EngineConfig {
        clock: clock.clone(),
        ..EngineConfig::default()
    });
    for (name, role) in accounts {
        builder = builder.with_account(name, *role);
    }
    (builder.start().await, clock)
}

/// Tuesday 10:00 UTC with Ada (admin), Ann and Bob (operators), all logged in.
async fn admin_and_two_operators() -> (TestApp, Clock, [Session; 3]) {
    use domain::console::Role;
    let (app, clock) = app_at(
        TUESDAY_10_UTC,
        &[
            ("Ada", Role::Admin),
            ("Ann", Role::Operator),
            ("Bob", Role::Operator),
        ],
    )
    .await;
    let sessions = ["Ada", "Ann", "Bob"].map(|name| app.session(name).clone());
    (app, clock, sessions)
}

/// Moves the clock; the node's consoles stay live as its watch would keep them.
async fn advance(app: &TestApp, clock: &Clock, millis: i64) {
    clock.advance(millis);
    app.engine.keep_consoles().await.unwrap();
}

async fn settings(app: &TestApp, admin: &Session, change: impl FnOnce(&mut Settings)) {
    let mut settings = app.engine.settings().await.unwrap();
    change(&mut settings);
    app.engine
        .save_settings(admin, &settings.form())
        .await
        .unwrap();
}

async fn visitor(app: &TestApp, language: Option<&str>) -> VisitorRecord {
    let created = app
        .engine
        .create_visitor(
            NewVisitor {
                language: language.map(str::to_owned),
                ..NewVisitor::default()
            },
            None,
        )
        .await
        .unwrap();
    app.engine
        .authenticate_visitor(&created.token)
        .await
        .unwrap()
}

async fn start(app: &TestApp, visitor: &VisitorRecord) -> Result<ChatId, domain::Error> {
    app.engine
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
        .map(|chat| chat.id)
}

async fn assigned(app: &TestApp, chat: ChatId) -> Option<(String, String)> {
    let stored = app.store.store().chat(chat).await.unwrap().unwrap();
    stored.state.assigned.map(|a| (a.operator_name, a.reason))
}

fn names(list: &[OnlineOperator]) -> Vec<(String, bool)> {
    list.iter().map(|o| (o.name.clone(), o.away)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_goes_away_while_their_console_keeps_polling_then_counts_as_gone() {
    use domain::console::Role;
    let (app, clock) = app_at(
        TUESDAY_10_UTC,
        &[("Ada", Role::Admin), ("Ann", Role::Operator)],
    )
    .await;
    let (ada, ann) = (app.session("Ada").clone(), app.session("Ann").clone());
    let _ada_online = app.engine.go_online(&ada).await.unwrap();
    let _ann_online = app.engine.go_online(&ann).await.unwrap();
    assert_eq!(
        names(&app.engine.online_operators(&ada).await.unwrap()),
        [("Ann".to_owned(), false)]
    );
    // Six minutes of polling (snapshots, online lists) but no keystroke: away (5 minutes).
    for _ in 0..6 {
        advance(&app, &clock, 60_000).await;
        app.engine
            .console_snapshot(&ann, domain::channel::ChannelFilter::All)
            .await
            .unwrap();
        app.engine.online_operators(&ann).await.unwrap();
    }
    assert_eq!(
        names(&app.engine.online_operators(&ada).await.unwrap()),
        [("Ann".to_owned(), true)]
    );
    // Past the inactivity timeout (30 minutes) she counts as gone.
    advance(&app, &clock, 25 * 60_000).await;
    assert!(app.engine.online_operators(&ada).await.unwrap().is_empty());
    // A keystroke brings her back.
    app.engine
        .note_activity_at(&ann, clock.now())
        .await
        .unwrap();
    assert_eq!(
        names(&app.engine.online_operators(&ada).await.unwrap()),
        [("Ann".to_owned(), false)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_routing_prefers_language_then_load_then_idle_and_moves_on_when_not_taken() {
    use domain::console::Role;
    let (app, clock) = app_at(
        TUESDAY_10_UTC,
        &[
            ("Ada", Role::Admin),
            ("Ann", Role::Operator),
            ("Bob", Role::Operator),
            ("Cy", Role::Operator),
        ],
    )
    .await;
    let (ada, ann, bob, cy) = (
        app.session("Ada").clone(),
        app.session("Ann").clone(),
        app.session("Bob").clone(),
        app.session("Cy").clone(),
    );
    settings(&app, &ada, |s| {
        s.routing = domain::routing::RoutingMode::Automatic;
        s.max_chats_per_operator = 3;
        s.assign_ack_seconds = 30;
        s.escalate_after_seconds = 60;
        s.supervisors_after_seconds = 600;
    })
    .await;
    app.engine
        .save_profile(&bob, "", "fr, en", "")
        .await
        .unwrap();
    app.engine.save_profile(&cy, "", "en", "").await.unwrap();
    // Ada is unavailable: never chosen. Ann, Bob and Cy are online, Cy idle longest.
    app.engine.set_unavailable(&ada, true).await.unwrap();
    let _ada = app.engine.go_online(&ada).await.unwrap();
    let _cy = app.engine.go_online(&cy).await.unwrap();
    advance(&app, &clock, 2 * 60_000).await;
    let _bob = app.engine.go_online(&bob).await.unwrap();
    let _ann = app.engine.go_online(&ann).await.unwrap();
    advance(&app, &clock, 60_000).await;

    // An English speaker: Bob and Cy speak it, both free; Cy has been idle longer.
    let english = visitor(&app, Some("en-GB")).await;
    let first = start(&app, &english).await.unwrap();
    app.engine.sweep().await.unwrap();
    assert_eq!(
        assigned(&app, first).await,
        Some((
            "Cy".to_owned(),
            "language en matched; 0 of 3 chats; idle 3 min; 2 other candidates".to_owned()
        ))
    );
    // Another English speaker: Cy now holds one, so Bob (same language, less loaded).
    let second = start(&app, &visitor(&app, Some("en")).await).await.unwrap();
    app.engine.sweep().await.unwrap();
    assert_eq!(
        assigned(&app, second).await.map(|(who, _)| who).as_deref(),
        Some("Bob")
    );
    // Nobody speaks Japanese: the least loaded is Ann.
    let third = start(&app, &visitor(&app, Some("ja")).await).await.unwrap();
    app.engine.sweep().await.unwrap();
    let (who, why) = assigned(&app, third).await.unwrap();
    assert_eq!(who, "Ann");
    assert!(
        why.starts_with("nobody available speaks ja; 0 of 3 chats"),
        "{why}"
    );

    // Bob declines the second: it goes to the next candidate and never back to him.
    app.engine.decline_assignment(&bob, second).await.unwrap();
    let (who, _) = assigned(&app, second).await.unwrap();
    assert_ne!(who, "Bob");
    assert_eq!(
        app.engine
            .decline_assignment(&bob, second)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NoPendingOffer
    );

    // Cy does not answer within 30 s: the first chat passes on.
    advance(&app, &clock, 29_000).await;
    app.engine.sweep().await.unwrap();
    assert_eq!(assigned(&app, first).await.unwrap().0, "Cy");
    advance(&app, &clock, 2_000).await;
    app.engine.sweep().await.unwrap();
    let (who, _) = assigned(&app, first).await.unwrap();
    assert_ne!(who, "Cy");
    let events = app.store.store().chat_events(first).await.unwrap();
    assert!(events.iter().any(|e| matches!(
        &e.event.kind,
        EventKind::AssignmentPassed { operator_name, why: PassReason::NoAnswer, .. } if operator_name == "Cy"
    )));

    // Accepting ends the assignment; the reason stays in the chat for whoever reads it.
    let holder = match who.as_str() {
        "Ann" => &ann,
        "Bob" => &bob,
        _ => panic!("unexpected {who}"),
    };
    let chat = app.engine.accept_chat(holder, first).await.unwrap();
    assert_eq!(chat.summary.chat.assigned, None);
    assert!(chat.events.iter().any(|e| {
        e.kind
            .describe(domain::Viewer::Operator(holder.operator.id))
            .is_some_and(|line| line.starts_with("Assigned to Cy: language en matched"))
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_t2_an_unanswered_assignment_passes_on_and_a_chat_left_unanswered_is_missed() {
    let (app, clock, [ada, ann, bob]) = admin_and_two_operators().await;
    settings(&app, &ada, |s| {
        s.routing = domain::routing::RoutingMode::Automatic;
        s.assign_ack_seconds = 600;
        s.escalate_after_seconds = 30;
        s.supervisors_after_seconds = 90;
    })
    .await;
    app.engine.set_unavailable(&ada, true).await.unwrap();
    let _ann = app.engine.go_online(&ann).await.unwrap();
    advance(&app, &clock, 1_000).await;
    let _bob = app.engine.go_online(&bob).await.unwrap();
    let vera = visitor(&app, None).await;
    let chat = start(&app, &vera).await.unwrap();
    app.engine.sweep().await.unwrap();
    assert_eq!(assigned(&app, chat).await.unwrap().0, "Ann");
    advance(&app, &clock, 89_000).await;
    app.engine.sweep().await.unwrap();
    assert_eq!(assigned(&app, chat).await.unwrap().0, "Ann");
    // T2: the chat goes to the next candidate, once.
    advance(&app, &clock, 1_000).await;
    app.engine.sweep().await.unwrap();
    assert_eq!(assigned(&app, chat).await.unwrap().0, "Bob");
    advance(&app, &clock, 10_000).await;
    app.engine.sweep().await.unwrap();
    assert_eq!(assigned(&app, chat).await.unwrap().0, "Bob");

    // Vera gives up: the chat is recorded as missed, with how long she waited.
    app.engine.visitor_end(&vera, chat).await.unwrap();
    let stored = app.store.store().chat(chat).await.unwrap().unwrap();
    assert_eq!(stored.state.status, ChatStatus::Closed);
    let events = app.store.store().chat_events(chat).await.unwrap();
    let missed: Vec<i64> = events
        .iter()
        .filter_map(|e| match e.event.kind {
            EventKind::ChatMissed { waited_ms } => Some(waited_ms),
            _ => None,
        })
        .collect();
    assert_eq!(missed, [100_000]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_form_is_offered_when_nobody_is_available_outside_hours_or_switched_off() {
    use domain::console::Role;
    let (app, clock) = app_at(
        TUESDAY_10_UTC,
        &[("Ada", Role::Admin), ("Ann", Role::Operator)],
    )
    .await;
    let (ada, ann) = (app.session("Ada").clone(), app.session("Ann").clone());
    let sales = app
        .engine
        .save_channel(
            &ada,
            ChannelForm {
                name: "Sales".into(),
                name_required: None,
                time_zone: Some("Europe/Paris".into()),
                business_hours: Some("Mon-Fri 09:00-17:00".into()),
                ..ChannelForm::default()
            },
        )
        .await
        .unwrap();
    app.engine
        .set_channel_operators(&ada, sales.id, vec![ann.operator.id])
        .await
        .unwrap();
    let offline = |config: &domain::api::WidgetConfig| {
        (
            config.offline,
            config
                .channels
                .iter()
                .find(|c| c.id == sales.id)
                .unwrap()
                .offline,
        )
    };
    // Nobody online.
    let config = app.engine.widget_config().await.unwrap();
    assert_eq!(
        offline(&config),
        (
            Some(OfflineReason::NobodyAvailable),
            Some(OfflineReason::NobodyAvailable)
        )
    );
    // Ann online: 11:00 in Paris on a Tuesday, open.
    let _ann = app.engine.go_online(&ann).await.unwrap();
    assert_eq!(
        offline(&app.engine.widget_config().await.unwrap()),
        (None, None)
    );
    // 17:30 in Paris: Sales is closed, and refuses a live chat; outside any channel it is open.
    advance(&app, &clock, 6 * 3_600_000 + 30 * 60_000).await;
    app.engine
        .note_activity_at(&ann, clock.now())
        .await
        .unwrap();
    assert_eq!(
        offline(&app.engine.widget_config().await.unwrap()),
        (None, Some(OfflineReason::OutsideHours))
    );
    let vera = visitor(&app, None).await;
    let refused = app
        .engine
        .start_chat(
            &vera,
            StartChat {
                email: None,
                name: Some("Vera".into()),
                message: "hello".into(),
                client_id: None,
                channel: Some(sales.id),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Offline);
    // Live support switched off: everywhere, and starts are refused.
    settings(&app, &ada, |s| s.live_support = false).await;
    assert_eq!(
        offline(&app.engine.widget_config().await.unwrap()),
        (Some(OfflineReason::Off), Some(OfflineReason::Off))
    );
    assert_eq!(
        start(&app, &vera).await.unwrap_err().code,
        ErrorCode::Offline
    );

    // The message becomes a follow-up; bad input is refused and writes nothing.
    let bad = app
        .engine
        .leave_message(
            &vera,
            OfflineMessage {
                email: "nope".into(),
                message: "x".into(),
                ..OfflineMessage::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("email"));
    let left = app
        .engine
        .leave_message(
            &vera,
            OfflineMessage {
                name: Some("Vera".into()),
                email: "vera@example.org".into(),
                message: "Please call me back".into(),
                channel: Some(sales.id),
            },
        )
        .await
        .unwrap();
    assert_eq!(left.reason, OfflineReason::Off);
    // It is an open ticket in the channel, the message its first article.
    let open = app
        .engine
        .tickets(&ann, TicketFilter::default())
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (
            open[0].id,
            open[0].name.as_str(),
            open[0].subject.as_str(),
            open[0].reason,
            open[0].channel
        ),
        (
            left.id,
            "Vera",
            "Please call me back",
            Some(OfflineReason::Off),
            Some(sales.id)
        )
    );
    let view = app.engine.ticket(&ann, left.id).await.unwrap();
    assert_eq!(view.articles.len(), 1);
    assert_eq!(view.articles[0].body, "Please call me back");
    app.engine
        .edit_ticket(&ann, left.id, TicketEdit::Status(TicketStatus::Closed))
        .await
        .unwrap();
    assert!(
        app.engine
            .tickets(&ann, TicketFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    let closed = app
        .engine
        .tickets(
            &ann,
            TicketFilter {
                status: Some(TicketStatus::Closed),
                mine: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(
        app.engine
            .edit_ticket(&ann, left.id, TicketEdit::Status(TicketStatus::Closed))
            .await
            .unwrap_err()
            .code,
        ErrorCode::TicketConflict
    );
    // An unknown time zone is refused with the field named.
    let err = app
        .engine
        .save_channel(
            &ada,
            ChannelForm {
                id: Some(sales.id),
                name: "Sales".into(),
                name_required: None,
                time_zone: Some("Mars/Olympus".into()),
                ..ChannelForm::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("time_zone"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_inactivity_timeout_an_operator_is_signed_off_until_they_rejoin() {
    let (app, clock, [ada, ann, bob]) = admin_and_two_operators().await;
    let sales = app
        .engine
        .save_channel(
            &ada,
            ChannelForm {
                name: "Sales".into(),
                name_required: None,
                ..ChannelForm::default()
            },
        )
        .await
        .unwrap();
    app.engine
        .set_channel_operators(&ada, sales.id, vec![ann.operator.id, bob.operator.id])
        .await
        .unwrap();
    let _ann = app.engine.go_online(&ann).await.unwrap();
    let _bob = app.engine.go_online(&bob).await.unwrap();
    let chat = start(&app, &visitor(&app, None).await).await.unwrap();
    app.engine.accept_chat(&ann, chat).await.unwrap();
    app.engine
        .operator_command(
            &ann,
            chat,
            &domain::Command::Offer {
                kind: domain::OfferKind::Invite,
                target: bob.operator.id,
                target_name: "Bob".into(),
            },
        )
        .await
        .unwrap();

    // 29 minutes idle: away, not signed off.
    advance(&app, &clock, 29 * 60_000).await;
    app.engine
        .note_activity_at(&bob, clock.now())
        .await
        .unwrap();
    app.engine.sweep().await.unwrap();
    let stored = app.store.store().chat(chat).await.unwrap().unwrap();
    assert!(stored.state.flagged.is_empty() && stored.state.offers.len() == 1);

    // Past 30 minutes: signed off, out of Sales, the invitation withdrawn, the chat flagged.
    advance(&app, &clock, 2 * 60_000).await;
    app.engine
        .note_activity_at(&bob, clock.now())
        .await
        .unwrap();
    app.engine.sweep().await.unwrap();
    let record = |id| {
        let store = app.store.store();
        async move { store.operator_by_id(id).await.unwrap().unwrap() }
    };
    let signed_off = record(ann.operator.id).await;
    assert_eq!(signed_off.signed_off_at, Some(clock.now()));
    assert_eq!(signed_off.signed_off_channels, vec![sales.id]);
    let channels = app.store.store().channels().await.unwrap();
    assert_eq!(channels[0].operators, vec![bob.operator.id]);
    let stored = app.store.store().chat(chat).await.unwrap().unwrap();
    assert_eq!(stored.state.flagged, vec![ann.operator.id]);
    assert!(stored.state.offers.is_empty());
    assert!(
        stored.state.is_participant(ann.operator.id),
        "the chat stays hers"
    );
    let events = app.store.store().chat_events(chat).await.unwrap().len();
    // Once only; a keystroke does not bring her back by itself.
    app.engine
        .note_activity_at(&ann, clock.now())
        .await
        .unwrap();
    app.engine.sweep().await.unwrap();
    assert_eq!(
        app.store.store().chat_events(chat).await.unwrap().len(),
        events
    );
    assert!(app.engine.online_operators(&bob).await.unwrap().is_empty());

    // Rejoin: back in Sales, online, the flag off.
    app.engine.rejoin(&ann).await.unwrap();
    assert_eq!(record(ann.operator.id).await.signed_off_at, None);
    let channels = app.store.store().channels().await.unwrap();
    assert!(channels[0].serves(ann.operator.id));
    let stored = app.store.store().chat(chat).await.unwrap().unwrap();
    assert!(stored.state.flagged.is_empty());
    assert_eq!(
        names(&app.engine.online_operators(&bob).await.unwrap()),
        [("Ann".to_owned(), false)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_sweeping_at_once_assign_and_pass_each_chat_once() {
    let (app, clock, [ada, ann, bob]) = admin_and_two_operators().await;
    settings(&app, &ada, |s| {
        s.routing = domain::routing::RoutingMode::Automatic;
        s.assign_ack_seconds = 20;
    })
    .await;
    app.engine.set_unavailable(&ada, true).await.unwrap();
    let (other, _store) = app.another_node().await;
    // Ann's console is on this node, Bob's on the other.
    let _ann = app.engine.go_online(&ann).await.unwrap();
    let _bob = other.go_online(&bob).await.unwrap();
    let mut chats = Vec::new();
    for _ in 0..6 {
        chats.push(start(&app, &visitor(&app, None).await).await.unwrap());
    }
    let both = || async {
        let (a, b) = tokio::join!(app.engine.sweep(), other.sweep());
        a.unwrap();
        b.unwrap();
    };
    for _ in 0..3 {
        both().await;
    }
    let count = |events: &[engine::store::LoggedEvent], name: &str| {
        events
            .iter()
            .filter(|e| e.event.kind.name() == name)
            .count()
    };
    let mut held = std::collections::HashMap::<String, usize>::new();
    for chat in &chats {
        let events = app.store.store().chat_events(*chat).await.unwrap();
        assert_eq!(count(&events, "chat_assigned"), 1, "{events:?}");
        *held
            .entry(assigned(&app, *chat).await.unwrap().0)
            .or_default() += 1;
    }
    // Nodes deciding at the same moment may both count an operator as free: the load is
    // balanced as far as each saw it, but every chat is held by one available operator.
    assert_eq!(held.values().sum::<usize>(), 6, "{held:?}");
    assert!(
        held.keys().all(|who| who == "Ann" || who == "Bob"),
        "{held:?}"
    );

    // Nobody answers: each assignment passes once, to the other operator.
    advance(&app, &clock, 21_000).await;
    other.keep_consoles().await.unwrap();
    for _ in 0..3 {
        both().await;
    }
    for chat in &chats {
        let events = app.store.store().chat_events(*chat).await.unwrap();
        assert_eq!(count(&events, "assignment_passed"), 1, "{events:?}");
        assert_eq!(count(&events, "chat_assigned"), 2, "{events:?}");
    }
}
