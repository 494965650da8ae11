//! Channels and settings on a real database (SQLite, or PostgreSQL with
//! `SWITCHBOARD_TEST_BACKEND=postgres`): only admins keep them, operators join and leave
//! channels, chats start in and move between channels, the dashboard's My channels filter
//! follows membership, and the settings change what visitors and operators may do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::api::{StartChat, VisitorChat};
use domain::channel::{Channel, ChannelFilter};
use domain::console::{ChatAction, ConsoleModel, Role};
use std::time::Duration;

use domain::reach::{Interest, Recipient};
use domain::{ChannelId, ChatId, ErrorCode, EventKind, OfferKind, OperatorId, Viewer};
use engine::stream::StreamItem;
use engine::{ChannelForm, Engine, EngineConfig, Session};
use test_support::{TestApp, TestAppBuilder, next_event, ready_events};

/// Visitors need not give a name unless a channel says so.
fn names_optional() -> TestAppBuilder {
    TestApp::builder().with_config(EngineConfig {
        visitor_name_required: false,
        ..EngineConfig::default()
    })
}

fn form(name: &str) -> ChannelForm {
    ChannelForm {
        name: name.into(),
        name_required: None,
        ..ChannelForm::default()
    }
}

async fn create(engine: &Engine, admin: &Session, name: &str) -> Channel {
    engine.save_channel(admin, form(name)).await.unwrap()
}

async fn visitor_chat(
    app: &TestApp,
    name: Option<&str>,
    channel: Option<ChannelId>,
) -> Result<VisitorChat, domain::Error> {
    let (visitor, _) = app.visitor().await;
    app.engine
        .start_chat(
            &visitor,
            StartChat {
                email: None,
                name: name.map(str::to_owned),
                message: "Hello".into(),
                client_id: None,
                channel,
            },
        )
        .await
}

/// The chats the operator's dashboard lists under `filter`.
async fn listed(engine: &Engine, who: &Session, filter: ChannelFilter) -> Vec<ChatId> {
    let snapshot = engine.console_snapshot(who, filter).await.unwrap();
    assert_eq!(snapshot.filter, filter);
    let model = ConsoleModel::from_snapshot(&snapshot);
    let listed: Vec<ChatId> = model.listed().map(|c| c.id()).collect();
    // The snapshot holds only what its filter lists: the stream carries nothing else.
    assert_eq!(listed.len(), snapshot.dashboard.len());
    listed
}

fn started_in(events: &[domain::ChatEvent], chat: ChatId) -> bool {
    events
        .iter()
        .any(|e| e.chat_id == chat && matches!(e.kind, EventKind::ChatStarted { .. }))
}

/// An admin (Ada), two operators (Ann, Bob) and two channels nobody serves yet.
struct Cast {
    app: TestApp,
    admin: Session,
    ann: Session,
    bob: Session,
    sales: Channel,
    support: Channel,
}

async fn cast() -> Cast {
    let app = names_optional()
        .with_admin("Ada")
        .with_operator("Ann")
        .with_operator("Bob")
        .start()
        .await;
    let admin = app.session("Ada").clone();
    let ann = app.session("Ann").clone();
    let bob = app.session("Bob").clone();
    let sales = create(&app.engine, &admin, "Sales").await;
    let support = create(&app.engine, &admin, "Support").await;
    Cast {
        app,
        admin,
        ann,
        bob,
        sales,
        support,
    }
}

#[tokio::test]
async fn a_dashboard_change_costs_work_only_for_the_consoles_listing_its_channel() {
    let Cast {
        app,
        admin,
        ann,
        bob,
        sales,
        support,
    } = cast().await;
    let engine = &app.engine;
    engine
        .set_channel_operators(&admin, sales.id, vec![ann.operator.id])
        .await
        .unwrap();
    engine
        .set_channel_operators(&admin, support.id, vec![bob.operator.id])
        .await
        .unwrap();
    let start = engine.last_event_id().await.unwrap();
    let mine = |channel: &Channel| Interest::Channels(vec![channel.id]);
    let open = |session: Session, interest: Interest| async move {
        let audience = engine.operator_audience(&session, interest).await.unwrap();
        engine.open_stream(audience, start)
    };

    // Ann lists Sales, Bob Support, Ada everything; fifty more consoles list only Support.
    let mut ann_stream = open(ann.clone(), mine(&sales)).await;
    let mut bob_stream = open(bob.clone(), mine(&support)).await;
    let mut ada_stream = open(admin.clone(), Interest::All).await;
    let support_consoles: Vec<_> = (0..50)
        .map(|_| {
            engine.bus().subscribe(
                Recipient::Operator(OperatorId(uuid::Uuid::now_v7())),
                mine(&support),
            )
        })
        .collect();
    for stream in [&mut ann_stream, &mut bob_stream, &mut ada_stream] {
        ready_events(stream).await;
    }

    // A new Sales chat reaches Ann's and Ada's consoles only: two offers, not fifty-three.
    let before = engine.bus().offers();
    let in_sales = visitor_chat(&app, Some("Sam"), Some(sales.id))
        .await
        .unwrap();
    assert_eq!(next_event(&mut ann_stream).await.chat_id, in_sales.id);
    assert_eq!(next_event(&mut ada_stream).await.chat_id, in_sales.id);
    assert_eq!(engine.bus().offers() - before, 2);
    assert!(ready_events(&mut bob_stream).await.is_empty());
    assert!(support_consoles.iter().all(|s| s.receiver.is_empty()));

    // A chat in no channel is everyone's.
    let before = engine.bus().offers();
    let general = visitor_chat(&app, Some("Gil"), None).await.unwrap();
    assert_eq!(next_event(&mut bob_stream).await.chat_id, general.id);
    assert_eq!(engine.bus().offers() - before, 3 + 50);

    // Ann takes the Sales chat and invites Bob: listing only Support, he still hears of it.
    engine.accept_chat(&ann, in_sales.id).await.unwrap();
    engine
        .offer_chat(&ann, in_sales.id, OfferKind::Invite, bob.operator.id)
        .await
        .unwrap();
    let bobs = ready_events(&mut bob_stream).await;
    assert!(
        bobs.iter().all(|e| e.chat_id == in_sales.id)
            && bobs
                .iter()
                .any(|e| matches!(e.kind, EventKind::OfferMade { .. })),
        "{bobs:?}"
    );
    engine
        .operator_command(&bob, in_sales.id, &domain::Command::DeclineOffer)
        .await
        .unwrap();
    assert_eq!(ready_events(&mut bob_stream).await.len(), 1);

    // Moved to Support, the chat's move reaches both channels' consoles; after that, it is
    // Support's (and Ann's, who is in it).
    let before = engine.bus().offers();
    engine
        .move_chat(&ann, in_sales.id, support.id)
        .await
        .unwrap();
    assert_eq!(ready_events(&mut bob_stream).await.len(), 1);
    assert_eq!(engine.bus().offers() - before, 3 + 50);
    let after_move = engine.last_event_id().await.unwrap();
    ready_events(&mut ann_stream).await;
    let before = engine.bus().offers();
    engine
        .operator_command(&ann, in_sales.id, &domain::Command::Close)
        .await
        .unwrap();
    let closing = ready_events(&mut ann_stream).await;
    assert!(!closing.is_empty());
    assert_eq!(
        engine.bus().offers() - before,
        (3 + 50) * u64::try_from(closing.len()).unwrap()
    );

    // A replay asks for the same: Bob's console replays no Sales-only change.
    let mut replayed = open(bob.clone(), mine(&support)).await;
    let bob_saw = ready_events(&mut replayed).await;
    assert!(!started_in(&bob_saw, in_sales.id));
    assert!(started_in(&bob_saw, general.id));
    assert!(
        bob_saw
            .iter()
            .any(|e| e.chat_id == in_sales.id && e.id > after_move)
    );
    let mut everything = open(admin.clone(), Interest::All).await;
    assert!(started_in(
        &ready_events(&mut everything).await,
        in_sales.id
    ));

    // A console listing its channels hears that they changed.
    ready_events(&mut bob_stream).await;
    engine
        .set_channel_operators(&admin, sales.id, vec![ann.operator.id, bob.operator.id])
        .await
        .unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(5), bob_stream.recv()).await;
    assert!(
        matches!(
            heard,
            Ok(Some(StreamItem::Signal(domain::Signal::ChannelsChanged)))
        ),
        "{heard:?}"
    );

    // Closed consoles leave the interest index: a Support change is offered to Bob and Ada's
    // two consoles only.
    drop(support_consoles);
    drop(replayed);
    let before = engine.bus().offers();
    let in_support = visitor_chat(&app, Some("Sue"), Some(support.id))
        .await
        .unwrap();
    assert_eq!(next_event(&mut bob_stream).await.chat_id, in_support.id);
    assert_eq!(engine.bus().offers() - before, 3);
}

#[tokio::test]
async fn only_admins_keep_channels_and_settings_and_refusals_change_nothing() {
    let app = names_optional()
        .with_admin("Ada")
        .with_operator("operator")
        .with_account("supervisor", Role::Supervisor)
        .start()
        .await;
    let engine = &app.engine;
    let admin = app.session("Ada").clone();
    let sales = create(engine, &admin, "Sales").await;
    let settings_before = engine.settings().await.unwrap();
    for role in [Role::Operator, Role::Supervisor] {
        let caller = app.session(role.as_str()).clone();
        let before = engine.channels(&admin).await.unwrap();
        let forbidden = |result: Result<(), domain::Error>| {
            assert_eq!(result.unwrap_err().code, ErrorCode::Forbidden, "{role:?}");
        };
        forbidden(engine.save_channel(&caller, form("Mine")).await.map(|_| ()));
        forbidden(
            engine
                .save_channel(
                    &caller,
                    ChannelForm {
                        id: Some(sales.id),
                        archived: true,
                        ..form("Renamed")
                    },
                )
                .await
                .map(|_| ()),
        );
        forbidden(
            engine
                .set_channel_operators(&caller, sales.id, vec![caller.operator.id])
                .await
                .map(|_| ()),
        );
        forbidden(engine.settings_for(&caller).await.map(|_| ()));
        forbidden(
            engine
                .save_settings(&caller, &settings_form("Hi", "5", "30", "1", true))
                .await
                .map(|_| ()),
        );
        assert_eq!(engine.channels(&admin).await.unwrap(), before);
        assert_eq!(engine.settings().await.unwrap(), settings_before);
    }
}

#[tokio::test]
async fn admins_create_rename_and_archive_channels_with_unique_names() {
    let app = names_optional()
        .with_admin("Ada")
        .with_operator("Ann")
        .with_operator("Bob")
        .start()
        .await;
    let engine = &app.engine;
    let admin = app.session("Ada").clone();
    let ann = app.session("Ann").clone();
    let sales = create(engine, &admin, "  Sales ").await;
    assert_eq!(sales.name, "Sales");
    let taken = engine
        .save_channel(&admin, form("sALES"))
        .await
        .unwrap_err();
    assert_eq!(
        (taken.code, taken.field.as_deref()),
        (ErrorCode::InvalidField, Some("name"))
    );
    let blank = engine.save_channel(&admin, form(" ")).await.unwrap_err();
    assert_eq!(blank.field.as_deref(), Some("name"));
    let renamed = engine
        .save_channel(
            &admin,
            ChannelForm {
                id: Some(sales.id),
                ..form("Sales EMEA")
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.id, renamed.name.as_str()),
        (sales.id, "Sales EMEA")
    );
    assert_eq!(engine.channels(&ann).await.unwrap().len(), 1);

    engine.join_channel(&ann, sales.id, true).await.unwrap();
    engine
        .save_channel(
            &admin,
            ChannelForm {
                id: Some(sales.id),
                archived: true,
                ..form("Sales EMEA")
            },
        )
        .await
        .unwrap();
    // An archived channel takes no new chats and no new operators; leaving it still works.
    let bob = app.session("Bob").clone();
    let join = engine.join_channel(&bob, sales.id, true).await.unwrap_err();
    assert_eq!(join.code, ErrorCode::UnknownChannel);
    let start = visitor_chat(&app, Some("Vera"), Some(sales.id))
        .await
        .unwrap_err();
    assert_eq!(start.code, ErrorCode::UnknownChannel);
    assert!(engine.widget_config().await.unwrap().channels.is_empty());
    let after = engine.join_channel(&ann, sales.id, false).await.unwrap();
    assert!(after[0].operators.is_empty() && after[0].archived);
    assert_eq!(app.event_count().await, 0);
}

#[tokio::test]
async fn membership_drives_the_my_channels_filter_and_chats_move_between_channels() {
    let Cast {
        app,
        admin,
        ann,
        bob,
        sales,
        support,
    } = cast().await;
    let engine = &app.engine;
    // The admin puts Ann in Sales; Bob joins Support himself.
    let set = engine
        .set_channel_operators(&admin, sales.id, vec![ann.operator.id, ann.operator.id])
        .await
        .unwrap();
    assert_eq!(set.operators, vec![ann.operator.id]);
    let stranger = engine
        .set_channel_operators(
            &admin,
            sales.id,
            vec![domain::OperatorId(uuid::Uuid::nil())],
        )
        .await
        .unwrap_err();
    assert_eq!(stranger.field.as_deref(), Some("operators"));
    let mut console = engine.bus().subscribe(
        domain::reach::Recipient::Operator(ann.operator.id),
        domain::reach::Interest::All,
    );
    let channels = engine.join_channel(&bob, support.id, true).await.unwrap();
    // Open consoles are told to list the channels afresh; a join that changes nothing is quiet.
    match console.receiver.try_recv() {
        Ok(engine::bus::Delivery::Signal(signal)) => {
            assert_eq!(*signal, domain::Signal::ChannelsChanged);
        }
        other => panic!("expected channels_changed, got {other:?}"),
    }
    engine.join_channel(&bob, support.id, true).await.unwrap();
    assert!(matches!(
        console.receiver.try_recv(),
        Err(tokio::sync::mpsc::error::TryRecvError::Empty)
    ));
    assert!(
        channels
            .iter()
            .any(|c| c.id == support.id && c.serves(bob.operator.id))
    );

    let in_sales = visitor_chat(&app, Some("Sam"), Some(sales.id))
        .await
        .unwrap();
    let in_support = visitor_chat(&app, Some("Sue"), Some(support.id))
        .await
        .unwrap();
    let general = visitor_chat(&app, Some("Gil"), None).await.unwrap();
    let unknown = visitor_chat(&app, Some("Una"), Some(ChannelId(uuid::Uuid::nil())))
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::UnknownChannel);
    let stored = app.store.store().chat(in_sales.id).await.unwrap().unwrap();
    assert_eq!(stored.state.channel, Some(sales.id));

    let all = vec![in_sales.id, in_support.id, general.id];
    assert_eq!(listed(engine, &ann, ChannelFilter::All).await, all);
    assert_eq!(
        listed(engine, &ann, ChannelFilter::Mine).await,
        vec![in_sales.id, general.id]
    );
    assert_eq!(
        listed(engine, &bob, ChannelFilter::Mine).await,
        vec![in_support.id, general.id]
    );

    // Bob moves the waiting Sales chat to Support: it leaves Ann's channels for his.
    let moved = engine
        .move_chat(&bob, in_sales.id, support.id)
        .await
        .unwrap();
    assert!(matches!(
        moved[0].kind,
        EventKind::ChannelChanged { ref channel_name, .. } if channel_name == "Support"
    ));
    assert_eq!(
        listed(engine, &ann, ChannelFilter::Mine).await,
        vec![general.id]
    );
    assert_eq!(
        listed(engine, &bob, ChannelFilter::Mine).await,
        vec![in_sales.id, in_support.id, general.id]
    );
    // Leaving the channel takes its chats off Bob's filtered dashboard, except chats he is in.
    engine.accept_chat(&bob, in_support.id).await.unwrap();
    engine.join_channel(&bob, support.id, false).await.unwrap();
    assert_eq!(
        listed(engine, &bob, ChannelFilter::Mine).await,
        vec![in_support.id, general.id]
    );

    // Once taken, only its participants move a chat; archived channels take none; the
    // visitor never learns of it.
    let err = engine
        .move_chat(&ann, in_support.id, sales.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotAParticipant);
    let archived = create(engine, &admin, "Old").await;
    engine
        .save_channel(
            &admin,
            ChannelForm {
                id: Some(archived.id),
                archived: true,
                ..form("Old")
            },
        )
        .await
        .unwrap();
    let before = app.event_count().await;
    let err = engine
        .move_chat(&bob, in_support.id, archived.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UnknownChannel);
    assert_eq!(app.event_count().await, before);
    engine
        .move_chat(&bob, in_support.id, sales.id)
        .await
        .unwrap();
    let events = app.store.store().chat_events(in_support.id).await.unwrap();
    let change = events
        .iter()
        .find(|l| matches!(l.event.kind, EventKind::ChannelChanged { .. }))
        .unwrap();
    assert!(!change.visibility.admits(Viewer::Visitor));
    let log = engine
        .action_log(&admin, &domain::log::ActionFilter::default())
        .await
        .unwrap();
    assert!(log.entries.iter().any(|e| e.action == "change_channel"
        && e.chat == Some(in_support.id)
        && e.object.as_deref() == Some("Sales")));
    assert!(log.entries.iter().any(|e| e.action == "join_channel"));
    assert!(
        log.entries
            .iter()
            .any(|e| e.action == "set_channel_operators")
    );
}

#[tokio::test]
async fn settings_are_validated_and_govern_names_capacity_and_invitations() {
    let app = names_optional()
        .with_admin("Ada")
        .with_operator("Ann")
        .start()
        .await;
    let engine = &app.engine;
    let admin = app.session("Ada").clone();
    let ann = app.session("Ann").clone();
    let defaults = engine.settings_for(&admin).await.unwrap();
    assert_eq!(defaults.inactivity_timeout_minutes, 30);
    assert!(!defaults.visitor_name_required, "follows the server's flag");

    let bad = engine
        .save_settings(&admin, &settings_form("Hi %name%", "10", "5", "0", false))
        .await
        .unwrap_err();
    assert_eq!(bad.field.as_deref(), Some("inactivity_timeout_minutes"));
    assert_eq!(engine.settings().await.unwrap(), defaults);

    // Names: not required in general, required in Sales.
    let sales = engine
        .save_channel(
            &admin,
            ChannelForm {
                name_required: Some(true),
                invitation_text: "%name% from %channel% here.".into(),
                invitation_name: "Acme".into(),
                ..form("Sales")
            },
        )
        .await
        .unwrap();
    let config = engine.widget_config().await.unwrap();
    assert!(!config.name_required);
    assert_eq!(config.channels.len(), 1);
    assert!(config.channels[0].name_required);
    let nameless = visitor_chat(&app, None, Some(sales.id)).await.unwrap_err();
    assert_eq!(nameless.code, ErrorCode::NameRequired);
    let first = visitor_chat(&app, None, None).await.unwrap();
    let second = visitor_chat(&app, Some("Sam"), Some(sales.id))
        .await
        .unwrap();

    // Capacity: one chat at a time.
    engine
        .save_settings(
            &admin,
            &settings_form("Hello! I'm %name%.", "5", "30", "1", false),
        )
        .await
        .unwrap();
    engine.accept_chat(&ann, first.id).await.unwrap();
    let before = app.event_count().await;
    let full = engine.accept_chat(&ann, second.id).await.unwrap_err();
    assert_eq!(full.code, ErrorCode::TooManyChats);
    assert_eq!(app.event_count().await, before);
    engine
        .operator_command(&ann, first.id, &ChatAction::Close.command())
        .await
        .unwrap();
    // Two accepts at once cannot both pass on the same count: exactly one wins.
    let third = visitor_chat(&app, Some("Tom"), None).await.unwrap();
    let (a, b) = tokio::join!(
        engine.accept_chat(&ann, second.id),
        engine.accept_chat(&ann, third.id)
    );
    assert_eq!(
        usize::from(a.is_ok()) + usize::from(b.is_ok()),
        1,
        "{a:?} {b:?}"
    );
    let refused = a.err().or(b.err()).unwrap();
    assert_eq!(refused.code, ErrorCode::TooManyChats);

    // Invitations: the general text or the channel's, signed with the operator's invitation
    // name or the channel's.
    assert_eq!(
        engine.invitation_text(&ann, None).await.unwrap(),
        "Hello! I'm Ann."
    );
    engine
        .save_profile(&ann, "", "", "Ann from Acme")
        .await
        .unwrap();
    let ann = Session {
        operator: app
            .store
            .store()
            .operator_by_id(ann.operator.id)
            .await
            .unwrap()
            .unwrap(),
        ..ann
    };
    assert_eq!(
        engine.invitation_text(&ann, None).await.unwrap(),
        "Hello! I'm Ann from Acme."
    );
    // Sales signs its invitations with its own name, whoever sends them.
    assert_eq!(
        engine.invitation_text(&ann, Some(sales.id)).await.unwrap(),
        "Acme from Sales here."
    );
}

#[tokio::test]
async fn idle_operators_show_as_away_and_then_count_as_gone() {
    let app = names_optional()
        .with_admin("Ada")
        .with_operator("Ann")
        .with_operator("Bob")
        .start()
        .await;
    let engine = &app.engine;
    let admin = app.session("Ada").clone();
    let ann = app.session("Ann").clone();
    let bob = app.session("Bob").clone();
    let _ann_online = engine.go_online(&ann).await.unwrap();
    let _bob_online = engine.go_online(&bob).await.unwrap();
    let chat = visitor_chat(&app, Some("Vera"), None).await.unwrap();
    engine.accept_chat(&ann, chat.id).await.unwrap();
    let away = |list: &[domain::console::OnlineOperator]| {
        list.iter()
            .find(|o| o.id == bob.operator.id)
            .map(|o| o.away)
    };

    // Just arrived: active.
    let listed = engine.online_operators(&ann).await.unwrap();
    assert_eq!(away(&listed), Some(false));

    // Idle past the away threshold (5 minutes by default): away, still offered chats.
    let minutes_ago = |m: i64| domain::Timestamp(engine::now().0 - m * 60_000);
    engine.note_activity_at(&bob, minutes_ago(6)).await.unwrap();
    let listed = engine.online_operators(&ann).await.unwrap();
    assert_eq!(away(&listed), Some(true));

    // Idle past the inactivity timeout: gone, and nothing is offered to him.
    engine
        .save_settings(
            &admin,
            &settings_form("Hello! I'm %name%.", "5", "20", "0", true),
        )
        .await
        .unwrap();
    engine
        .note_activity_at(&bob, minutes_ago(21))
        .await
        .unwrap();
    let listed = engine.online_operators(&ann).await.unwrap();
    assert_eq!(away(&listed), None);
    let before = app.event_count().await;
    let err = engine
        .offer_chat(&ann, chat.id, domain::OfferKind::Invite, bob.operator.id)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::OperatorUnavailable);
    assert_eq!(app.event_count().await, before);

    // Back at work: active again.
    engine.note_activity(&bob).await.unwrap();
    let listed = engine.online_operators(&ann).await.unwrap();
    assert_eq!(away(&listed), Some(false));
    engine
        .offer_chat(&ann, chat.id, domain::OfferKind::Invite, bob.operator.id)
        .await
        .unwrap();
}

/// The settings form with these general settings and the default ban and password lifetimes.
fn settings_form(
    text: &str,
    away: &str,
    inactivity: &str,
    max_chats: &str,
    name_required: bool,
) -> domain::settings::SettingsForm {
    domain::settings::SettingsForm {
        invitation_text: text.into(),
        away_after_minutes: away.into(),
        inactivity_timeout_minutes: inactivity.into(),
        max_chats_per_operator: max_chats.into(),
        visitor_name_required: name_required,
        kick_ban_minutes: "60".into(),
        default_password_days: "7".into(),
        escalate_after_seconds: "60".into(),
        supervisors_after_seconds: "180".into(),
        routing: domain::routing::RoutingMode::Manual,
        assign_ack_seconds: "30".into(),
        live_support: true,
        retention_days: String::new(),
        ice_servers: String::new(),
    }
}
