use domain::event::KICKED_MESSAGE;
use domain::{MemberRole, Timestamp};

use super::*;

const CHAT: &str = "00000000-0000-0000-0000-00000000000c";
const ANN: &str = "00000000-0000-0000-0000-0000000000a1";
const BOB: &str = "00000000-0000-0000-0000-0000000000b2";

fn chat_id() -> ChatId {
    CHAT.parse().unwrap()
}

fn op(id: &str) -> OperatorId {
    id.parse().unwrap()
}

fn event(id: i64, kind: EventKind) -> ChatEvent {
    ChatEvent {
        id: EventId(id),
        chat_id: chat_id(),
        at: Timestamp(id * 1_000),
        kind,
    }
}

fn visitor_says(id: i64, body: &str) -> ChatEvent {
    event(
        id,
        EventKind::MessagePosted {
            author: Author::Visitor,
            author_name: "Vera".into(),
            body: body.into(),
            client_id: None,
            note: false,
        },
    )
}

fn ann_says(id: i64, body: &str) -> ChatEvent {
    event(
        id,
        EventKind::MessagePosted {
            author: Author::Operator { id: op(ANN) },
            author_name: "Ann".into(),
            body: body.into(),
            client_id: None,
            note: false,
        },
    )
}

fn status(id: i64, status: ChatStatus) -> ChatEvent {
    event(id, EventKind::StatusChanged { status })
}

fn hold(id: i64, on_hold: bool) -> ChatEvent {
    event(
        id,
        EventKind::HoldChanged {
            on_hold,
            operator_name: "Ann".into(),
        },
    )
}

fn typing(operator: &str, name: &str, active: bool) -> Signal {
    Signal::Typing {
        chat_id: chat_id(),
        author: Author::Operator { id: op(operator) },
        name: name.into(),
        active,
        note: false,
    }
}

/// A chat Ann accepted, with one message each way.
fn active_chat() -> Conversation {
    let mut c = Conversation::new(chat_id());
    for e in [
        event(
            1,
            EventKind::ChatStarted {
                visitor: None,
                visitor_name: "Vera".into(),
                channel: None,
            },
        ),
        visitor_says(2, "Hello"),
        event(
            3,
            EventKind::OperatorAccepted {
                operator: op(ANN),
                operator_name: "Ann".into(),
            },
        ),
        status(4, ChatStatus::Active),
        ann_says(5, "Hi Vera"),
    ] {
        c.apply(e);
    }
    c
}

fn system_lines(c: &Conversation) -> Vec<&str> {
    c.lines
        .iter()
        .filter_map(|l| match &l.kind {
            LineKind::System(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn messages_and_joins_become_lines_in_event_order() {
    let mut c = active_chat();
    c.apply(event(
        7,
        EventKind::OperatorJoined {
            operator: op(BOB),
            operator_name: "Bob".into(),
            role: MemberRole::Participant,
        },
    ));
    // A message answered by the POST before the stream delivered the join.
    assert!(c.apply(visitor_says(6, "Thanks")));
    assert!(
        !c.apply(visitor_says(6, "Thanks")),
        "an event is folded once"
    );
    let ids: Vec<i64> = c.lines.iter().map(|l| l.id.0).collect();
    assert_eq!(ids, [2, 3, 5, 6, 7]);
    assert_eq!(
        system_lines(&c),
        ["Ann joined the chat", "Bob joined the chat"]
    );
    assert_eq!(
        c.lines[2].kind,
        LineKind::Operator {
            name: "Ann".into(),
            body: "Hi Vera".into()
        }
    );
    assert!(c.open());
}

#[test]
fn kicked_visitor_reads_the_kick_line_then_the_chat_ends_and_later_events_are_ignored() {
    let mut c = active_chat();
    c.on_signal(&typing(ANN, "Ann", true), 0);
    c.apply(hold(6, true));
    assert!(c.apply(event(
        7,
        EventKind::VisitorKicked {
            operator: op(ANN),
            operator_name: "Ann".into(),
        },
    )));
    assert_eq!(system_lines(&c).last(), Some(&KICKED_MESSAGE));
    assert!(c.ended());
    assert!(!c.open());
    assert!(!c.listening(), "the stream is no longer needed");
    assert!(!c.ended_without_line(), "the kick line says how it ended");
    assert_eq!(c.hold_banner(), None);
    assert_eq!(c.typing_text(), None);

    let lines = c.lines.clone();
    assert!(!c.apply(status(8, ChatStatus::Vacant)));
    assert!(!c.apply(ann_says(9, "Anything after the kick")));
    assert!(!c.apply(status(10, ChatStatus::Active)));
    assert!(!c.on_signal(&typing(ANN, "Ann", true), 1));
    assert_eq!(c.lines, lines);
    assert!(c.ended());
}

#[test]
fn closing_the_chat_or_a_status_without_the_visitor_ends_it() {
    let mut closed = active_chat();
    closed.apply(event(
        6,
        EventKind::ChatClosed {
            operator: op(ANN),
            operator_name: "Ann".into(),
        },
    ));
    assert!(closed.ended());
    assert_eq!(system_lines(&closed).last(), Some(&"Ann closed the chat"));

    for end in [ChatStatus::Closed, ChatStatus::Vacant] {
        let mut c = active_chat();
        c.apply(status(6, end));
        assert!(c.ended(), "{end:?}");
        assert!(c.ended_without_line(), "the panel says it ended");
        assert!(!c.apply(ann_says(7, "late")));
    }
}

#[test]
fn the_visitors_own_end_shows_its_line_when_it_arrives() {
    let mut c = active_chat();
    c.mark_left();
    assert!(c.ended());
    assert!(
        c.listening(),
        "keep listening for the events that record it"
    );
    c.apply(event(6, EventKind::VisitorLeft));
    c.apply(status(7, ChatStatus::Vacant));
    assert_eq!(system_lines(&c).last(), Some(&"You ended the chat"));
    assert!(!c.listening());
    assert!(!c.ended_without_line());
}

#[test]
fn hold_banner_shows_while_on_hold_and_the_visitor_may_still_write() {
    let mut c = active_chat();
    assert_eq!(c.hold_banner(), None);
    c.apply(hold(6, true));
    assert_eq!(c.hold_banner(), Some("Ann will be right back with you"));
    assert!(c.open(), "the visitor may still type while on hold");
    assert_eq!(
        system_lines(&c),
        ["Ann joined the chat"],
        "the banner says it"
    );
    c.apply(hold(7, false));
    assert_eq!(c.hold_banner(), None);
    assert_eq!(system_lines(&c).last(), Some(&"Ann is back"));

    c.apply(hold(8, true));
    assert!(c.hold_banner().is_some());
    c.apply(event(
        9,
        EventKind::OperatorLeft {
            operator: op(ANN),
            operator_name: "Ann".into(),
            transferred_to: None,
        },
    ));
    c.apply(status(10, ChatStatus::Waiting));
    assert_eq!(c.hold_banner(), None, "leaving active status ends the hold");
    assert!(c.waiting());
    c.apply(status(11, ChatStatus::Active));
    assert_eq!(c.hold_banner(), None);
}

#[test]
fn typing_shows_until_it_expires_stops_or_the_operator_writes() {
    let mut c = active_chat();
    assert!(c.on_signal(&typing(ANN, "Ann", true), 1_000));
    assert_eq!(c.typing_text().as_deref(), Some("Ann is typing…"));

    // Repeated in time: still shown; not repeated: gone once the TTL has passed.
    c.on_signal(&typing(ANN, "Ann", true), 1_000 + SIGNAL_REPEAT_MS);
    let last = 1_000 + SIGNAL_REPEAT_MS;
    assert!(!c.expire_typing(last + SIGNAL_TTL_MS - 1));
    assert!(c.typing_text().is_some());
    assert!(c.expire_typing(last + SIGNAL_TTL_MS));
    assert_eq!(c.typing_text(), None);

    c.on_signal(&typing(ANN, "Ann", true), 20_000);
    c.on_signal(&typing(BOB, "Bob", true), 20_000);
    assert_eq!(c.typing_text().as_deref(), Some("Ann and Bob are typing…"));
    c.on_signal(&typing(BOB, "Bob", false), 20_500);
    assert_eq!(c.typing_text().as_deref(), Some("Ann is typing…"));
    c.apply(ann_says(6, "Here you go"));
    assert_eq!(c.typing_text(), None, "the message replaces the indicator");

    // Signals of another chat, of notes, or of the visitor are not shown.
    let mut note = typing(ANN, "Ann", true);
    if let Signal::Typing { note: n, .. } = &mut note {
        *n = true;
    }
    assert!(!c.on_signal(&note, 21_000));
    let visitor = Signal::Typing {
        chat_id: chat_id(),
        author: Author::Visitor,
        name: "Vera".into(),
        active: true,
        note: false,
    };
    assert!(!c.on_signal(&visitor, 21_000));
    let other: ChatId = BOB.parse().unwrap();
    let mut elsewhere = Conversation::new(other);
    assert!(!elsewhere.on_signal(&typing(ANN, "Ann", true), 21_000));
}

fn frame(id: Option<&str>, name: &str, data: &str) -> SseEvent {
    SseEvent {
        id: id.map(str::to_owned),
        event: Some(name.to_owned()),
        data: data.to_owned(),
    }
}

#[test]
fn signals_without_an_id_never_move_the_resume_cursor() {
    let mut cursor = 4;
    let signal = serde_json::to_string(&typing(ANN, "Ann", true)).unwrap();
    let decoded = Incoming::decode(&frame(None, "typing", &signal), &mut cursor);
    assert_eq!(decoded, Some(Incoming::Signal(typing(ANN, "Ann", true))));
    assert_eq!(cursor, 4);

    let message = ann_says(5, "Hi");
    let data = serde_json::to_string(&message).unwrap();
    let decoded = Incoming::decode(&frame(Some("5"), "message_posted", &data), &mut cursor);
    assert_eq!(decoded, Some(Incoming::Event(message)));
    assert_eq!(cursor, 5);

    // Another signal, then the replay of event 5 after a reconnect: both leave it at 5.
    Incoming::decode(&frame(None, "typing", &signal), &mut cursor);
    assert_eq!(cursor, 5);
    assert_eq!(
        Incoming::decode(&frame(Some("5"), "message_posted", &data), &mut cursor),
        None
    );
    assert_eq!(cursor, 5);
    assert_eq!(
        Incoming::decode(&frame(None, "typing", "not json"), &mut cursor),
        None
    );
    assert_eq!(cursor, 5);
}

fn visitor_chat(
    status: ChatStatus,
    open: bool,
    on_hold: bool,
    events: Vec<ChatEvent>,
) -> VisitorChat {
    VisitorChat {
        id: chat_id(),
        status,
        open,
        on_hold,
        started_at: Timestamp(0),
        queue_position: (status == ChatStatus::Waiting).then_some(3),
        estimated_wait_seconds: None,
        seen_up_to: domain::EventId::default(),
        events,
    }
}

#[test]
fn the_queue_place_shows_while_waiting_and_follows_queue_signals() {
    let mut waiting =
        Conversation::from_chat(visitor_chat(ChatStatus::Waiting, true, false, vec![]));
    assert_eq!(waiting.queue().map(|p| p.position), Some(3));
    let moved = Signal::Queue {
        chat_id: chat_id(),
        position: 2,
        estimated_wait_seconds: Some(240),
    };
    assert!(waiting.on_signal(&moved, 0));
    assert!(
        !waiting.on_signal(&moved, 0),
        "the same place again changes nothing"
    );
    assert_eq!(
        waiting
            .queue()
            .map(|p| (p.position, p.estimated_wait_seconds)),
        Some((2, Some(240)))
    );
    let active = Conversation::from_chat(visitor_chat(ChatStatus::Active, true, false, vec![]));
    assert_eq!(active.queue(), None);
}

#[test]
fn an_ended_chat_from_get_visitor_is_shown_read_only() {
    let kicked = visitor_chat(
        ChatStatus::Vacant,
        false,
        false,
        vec![
            ann_says(5, "Hi Vera"),
            visitor_says(2, "Hello"),
            event(
                6,
                EventKind::VisitorKicked {
                    operator: op(ANN),
                    operator_name: "Ann".into(),
                },
            ),
        ],
    );
    let c = Conversation::from_chat(kicked);
    assert!(c.ended());
    assert!(!c.listening());
    let ids: Vec<i64> = c.lines.iter().map(|l| l.id.0).collect();
    assert_eq!(ids, [2, 5, 6]);
    assert_eq!(system_lines(&c), [KICKED_MESSAGE]);

    // The server's `open: false` ends it even when the status alone would not.
    let left = visitor_chat(
        ChatStatus::Active,
        false,
        true,
        vec![visitor_says(2, "Hello")],
    );
    let c = Conversation::from_chat(left);
    assert!(c.ended());
    assert!(c.ended_without_line());
    assert_eq!(c.hold_banner(), None);
}

#[test]
fn an_open_chat_from_the_server_keeps_its_hold() {
    let held = visitor_chat(
        ChatStatus::Active,
        true,
        true,
        vec![
            visitor_says(2, "Hello"),
            status(3, ChatStatus::Active),
            hold(4, true),
        ],
    );
    let c = Conversation::from_chat(held);
    assert!(c.open());
    assert!(c.listening());
    assert_eq!(c.hold_banner(), Some("Ann will be right back with you"));

    let no_wording = visitor_chat(ChatStatus::Active, true, true, Vec::new());
    assert_eq!(
        Conversation::from_chat(no_wording).hold_banner(),
        Some("The operator will be right back with you")
    );
}

#[test]
fn typing_is_reported_once_then_at_most_every_repeat_interval_and_stopped_once() {
    let mut report = TypingReport::default();
    assert_eq!(
        report.on_input("", 0),
        None,
        "nothing typed, nothing to say"
    );
    assert_eq!(report.on_input("H", 0), Some(true));
    assert_eq!(report.on_input("He", 10), None);
    assert_eq!(report.on_input("Hel", SIGNAL_REPEAT_MS - 1), None);
    assert_eq!(report.on_input("Hell", SIGNAL_REPEAT_MS), Some(true));
    assert_eq!(report.on_input("", SIGNAL_REPEAT_MS + 1), Some(false));
    assert_eq!(report.on_input("", SIGNAL_REPEAT_MS + 2), None);
    assert_eq!(report.on_input("Hi", SIGNAL_REPEAT_MS + 3), Some(true));
    assert_eq!(report.stop(), Some(false), "sending the message stops it");
    assert_eq!(report.stop(), None);
}

#[test]
fn an_answered_chat_can_be_rated_once_over_and_the_rating_is_kept_after_the_seal() {
    let mut c = active_chat();
    assert!(!c.can_rate(), "not while it is open");
    c.apply(event(
        6,
        EventKind::ChatClosed {
            operator: op(ANN),
            operator_name: "Ann".into(),
        },
    ));
    assert!(c.can_rate());
    let lines = c.lines.clone();
    assert!(c.apply(event(
        7,
        EventKind::ChatRated {
            stars: 4,
            comment: String::new(),
        },
    )));
    assert_eq!(c.rated(), Some(4));
    assert!(!c.can_rate());
    assert_eq!(c.lines, lines, "the rating shows as the thanks, not a line");

    // Missed (nobody answered) and kicked chats have nothing to rate.
    let mut missed = Conversation::new(chat_id());
    missed.apply(visitor_says(1, "Hello?"));
    missed.apply(event(2, EventKind::VisitorLeft));
    assert!(missed.ended() && !missed.can_rate());
    let mut kicked = active_chat();
    kicked.apply(event(
        6,
        EventKind::VisitorKicked {
            operator: op(ANN),
            operator_name: "Ann".into(),
        },
    ));
    assert!(kicked.ended() && !kicked.can_rate());
}

#[test]
fn the_visitor_s_last_message_is_delivered_then_seen_and_new_answers_are_reported_once() {
    let mut c = Conversation::new(chat_id());
    assert_eq!(c.receipt(), None);
    assert_eq!(c.seen_to_report(EventId(0)), None);
    c.apply(visitor_says(1, "Hello"));
    assert_eq!(c.receipt(), Some(false));
    // Only the visitor's own lines: nothing new to report as seen.
    assert_eq!(c.seen_to_report(EventId(0)), None);
    c.apply(ann_says(2, "Hi, how can I help?"));
    assert_eq!(c.seen_to_report(EventId(0)), Some(EventId(2)));
    assert_eq!(c.seen_to_report(EventId(2)), None);

    let seen = |chat_id, by_visitor, up_to| Signal::Seen {
        chat_id,
        by_visitor,
        up_to: EventId(up_to),
    };
    // The visitor's own seen marks, or another chat's, change nothing here.
    assert!(!c.on_signal(&seen(chat_id(), true, 1), 0));
    let other: ChatId = "00000000-0000-0000-0000-000000000009".parse().unwrap();
    assert!(!c.on_signal(&seen(other, false, 1), 0));
    assert!(c.on_signal(&seen(chat_id(), false, 1), 0));
    assert_eq!(c.receipt(), Some(true));
    assert!(!c.on_signal(&seen(chat_id(), false, 1), 0));
    c.apply(visitor_says(3, "Where is my parcel?"));
    assert_eq!(c.receipt(), Some(false));
}
