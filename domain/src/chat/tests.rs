//! Every transition of the chat state machine, legal and illegal.

use uuid::Uuid;

use super::*;

fn visitor() -> VisitorId {
    VisitorId(Uuid::from_u128(1))
}

fn ann() -> Actor {
    Actor::Operator {
        id: OperatorId(Uuid::from_u128(10)),
        name: "Ann".into(),
    }
}

fn bob() -> Actor {
    Actor::Operator {
        id: OperatorId(Uuid::from_u128(11)),
        name: "Bob".into(),
    }
}

fn body(text: &str) -> MessageBody {
    MessageBody::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn started() -> ChatState {
    ChatState::start(
        ChatId(Uuid::from_u128(100)),
        visitor(),
        "Vera".into(),
        body("hello"),
        Some("c0".into()),
    )
    .0
}

/// A chat in each reachable state, built only through commands.
fn reach(status: ChatStatus, with_operator: bool) -> ChatState {
    let mut chat = started();
    if with_operator {
        chat.execute(&ann(), &Command::Accept)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    match status {
        ChatStatus::Waiting => assert!(!with_operator),
        ChatStatus::Active => assert!(with_operator),
        ChatStatus::Vacant | ChatStatus::Closed => {
            chat.execute(&Actor::Visitor(visitor()), &Command::EndVisit)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    assert_eq!(chat.status, status);
    chat
}

fn post(text: &str) -> Command {
    Command::PostMessage {
        body: body(text),
        client_id: None,
    }
}

#[test]
fn start_records_chat_started_then_first_message_and_waits() {
    let (chat, events) = ChatState::start(
        ChatId(Uuid::from_u128(1)),
        visitor(),
        "Vera".into(),
        body("  hi there \n"),
        Some("k".into()),
    );
    assert_eq!(chat.status, ChatStatus::Waiting);
    assert!(chat.visitor_present);
    assert_eq!(events.len(), 2);
    assert!(
        matches!(&events[0], EventKind::ChatStarted { visitor_name } if visitor_name == "Vera")
    );
    assert!(
        matches!(&events[1], EventKind::MessagePosted { body, client_id: Some(k), author: Author::Visitor, .. } if body == "hi there" && k == "k")
    );
}

#[test]
fn accept_on_waiting_makes_the_operator_a_member_and_the_chat_active() {
    let mut chat = started();
    let events = chat
        .execute(&ann(), &Command::Accept)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(events.len(), 2);
    assert!(
        matches!(&events[0], EventKind::OperatorAccepted { operator_name, .. } if operator_name == "Ann")
    );
    assert_eq!(
        events[1],
        EventKind::StatusChanged {
            status: ChatStatus::Active
        }
    );
    assert_eq!(chat.status, ChatStatus::Active);
    assert_eq!(chat.operators.len(), 1);
}

#[test]
fn second_accept_is_already_taken() {
    let chat = reach(ChatStatus::Active, true);
    let err = chat.decide(&bob(), &Command::Accept).err();
    assert_eq!(err.map(|e| e.code), Some(ErrorCode::ChatNotWaiting));
}

#[test]
fn accept_is_refused_in_every_status_but_waiting() {
    for (status, with_op) in [
        (ChatStatus::Active, true),
        (ChatStatus::Vacant, true),
        (ChatStatus::Closed, false),
    ] {
        let chat = reach(status, with_op);
        let err = chat.decide(&bob(), &Command::Accept).err().map(|e| e.code);
        assert_eq!(err, Some(ErrorCode::ChatNotWaiting), "{status:?}");
    }
}

#[test]
fn visitors_cannot_accept() {
    let chat = started();
    let err = chat
        .decide(&Actor::Visitor(visitor()), &Command::Accept)
        .err()
        .map(|e| e.code);
    assert_eq!(err, Some(ErrorCode::Forbidden));
}

#[test]
fn visitor_may_post_while_waiting_or_active_only() {
    let table = [
        (ChatStatus::Waiting, false, None),
        (ChatStatus::Active, true, None),
        (ChatStatus::Vacant, true, Some(ErrorCode::ChatClosed)),
        (ChatStatus::Closed, false, Some(ErrorCode::ChatClosed)),
    ];
    for (status, with_op, expected) in table {
        let chat = reach(status, with_op);
        let got = chat
            .decide(&Actor::Visitor(visitor()), &post("x"))
            .err()
            .map(|e| e.code);
        assert_eq!(got, expected, "{status:?}");
    }
}

#[test]
fn operator_may_post_only_as_a_member_of_an_unclosed_chat() {
    let table = [
        (
            ChatStatus::Waiting,
            false,
            ann(),
            Some(ErrorCode::NotAParticipant),
        ),
        (ChatStatus::Active, true, ann(), None),
        (
            ChatStatus::Active,
            true,
            bob(),
            Some(ErrorCode::NotAParticipant),
        ),
        (ChatStatus::Vacant, true, ann(), None),
        (
            ChatStatus::Vacant,
            true,
            bob(),
            Some(ErrorCode::NotAParticipant),
        ),
        (
            ChatStatus::Closed,
            false,
            ann(),
            Some(ErrorCode::ChatClosed),
        ),
    ];
    for (status, with_op, actor, expected) in table {
        let chat = reach(status, with_op);
        let got = chat.decide(&actor, &post("x")).err().map(|e| e.code);
        assert_eq!(got, expected, "{status:?} {actor:?}");
    }
}

#[test]
fn operator_messages_carry_the_operator_as_author() {
    let chat = reach(ChatStatus::Active, true);
    let events = chat.decide(&ann(), &post("hello")).unwrap_or_default();
    assert!(
        matches!(&events[..], [EventKind::MessagePosted { author: Author::Operator { .. }, author_name, .. }] if author_name == "Ann")
    );
}

#[test]
fn end_visit_leaves_vacant_with_operators_and_closed_without() {
    let mut waiting = started();
    let events = waiting
        .execute(&Actor::Visitor(visitor()), &Command::EndVisit)
        .unwrap_or_default();
    assert_eq!(
        events,
        vec![
            EventKind::VisitorLeft,
            EventKind::StatusChanged {
                status: ChatStatus::Closed
            }
        ]
    );

    let mut active = reach(ChatStatus::Active, true);
    active
        .execute(&Actor::Visitor(visitor()), &Command::EndVisit)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(active.status, ChatStatus::Vacant);
    assert!(!active.visitor_present);
}

#[test]
fn end_visit_twice_or_by_an_operator_is_refused() {
    for (status, with_op) in [(ChatStatus::Vacant, true), (ChatStatus::Closed, false)] {
        let chat = reach(status, with_op);
        let got = chat
            .decide(&Actor::Visitor(visitor()), &Command::EndVisit)
            .err()
            .map(|e| e.code);
        assert_eq!(got, Some(ErrorCode::ChatClosed));
    }
    let chat = reach(ChatStatus::Active, true);
    let got = chat
        .decide(&ann(), &Command::EndVisit)
        .err()
        .map(|e| e.code);
    assert_eq!(got, Some(ErrorCode::Forbidden));
}

#[test]
fn another_visitor_sees_no_such_chat_for_every_command() {
    let stranger = Actor::Visitor(VisitorId(Uuid::from_u128(99)));
    for status in [ChatStatus::Waiting, ChatStatus::Active] {
        let chat = reach(status, status == ChatStatus::Active);
        for command in [Command::Accept, post("x"), Command::EndVisit] {
            let got = chat.decide(&stranger, &command).err().map(|e| e.code);
            assert_eq!(got, Some(ErrorCode::ChatNotFound));
        }
    }
}

#[test]
fn decide_never_changes_the_state() {
    for (status, with_op) in [
        (ChatStatus::Waiting, false),
        (ChatStatus::Active, true),
        (ChatStatus::Vacant, true),
        (ChatStatus::Closed, false),
    ] {
        let chat = reach(status, with_op);
        let before = chat.clone();
        for actor in [ann(), bob(), Actor::Visitor(visitor())] {
            for command in [Command::Accept, post("x"), Command::EndVisit] {
                let _ = chat.decide(&actor, &command);
                assert_eq!(chat, before);
            }
        }
    }
}

#[test]
fn replaying_the_recorded_events_rebuilds_the_same_state() {
    let (mut live, mut log) = ChatState::start(
        ChatId(Uuid::from_u128(5)),
        visitor(),
        "Vera".into(),
        body("hi"),
        None,
    );
    for (actor, command) in [
        (ann(), Command::Accept),
        (ann(), post("hello")),
        (Actor::Visitor(visitor()), post("thanks")),
        (Actor::Visitor(visitor()), Command::EndVisit),
    ] {
        log.extend(
            live.execute(&actor, &command)
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let mut replayed = ChatState {
        id: live.id,
        visitor: live.visitor,
        visitor_name: String::new(),
        status: ChatStatus::Closed,
        operators: vec![],
        visitor_present: false,
    };
    for event in &log {
        replayed.apply(event);
    }
    assert_eq!(replayed, live);
}

#[test]
fn message_validation_trims_and_enforces_limits() {
    assert_eq!(
        MessageBody::parse("   \n\t").err().map(|e| e.code),
        Some(ErrorCode::EmptyMessage)
    );
    assert_eq!(
        MessageBody::parse("").err().map(|e| e.code),
        Some(ErrorCode::EmptyMessage)
    );
    let max = "é".repeat(MAX_MESSAGE_BYTES / 2);
    assert!(MessageBody::parse(&max).is_ok());
    let over = format!("{max}a");
    assert_eq!(
        MessageBody::parse(&over).err().map(|e| e.code),
        Some(ErrorCode::MessageTooLong)
    );
    assert_eq!(body(" two\nlines ").as_str(), "two\nlines");
}

#[test]
fn display_name_validation() {
    assert_eq!(
        parse_display_name(None, true).err().map(|e| e.code),
        Some(ErrorCode::NameRequired)
    );
    assert_eq!(parse_display_name(Some("  "), false), Ok(None));
    assert_eq!(
        parse_display_name(Some(" Vera "), true),
        Ok(Some("Vera".into()))
    );
    let long = "x".repeat(MAX_NAME_CHARS + 1);
    assert_eq!(
        parse_display_name(Some(&long), true).err().map(|e| e.code),
        Some(ErrorCode::InvalidField)
    );
    assert_eq!(
        parse_display_name(Some("a\u{7}b"), true)
            .err()
            .map(|e| e.code),
        Some(ErrorCode::InvalidField)
    );
}

#[test]
fn client_id_validation() {
    assert_eq!(parse_client_id(None), Ok(None));
    assert_eq!(parse_client_id(Some(" ")), Ok(None));
    assert_eq!(parse_client_id(Some("abc")), Ok(Some("abc".into())));
    let long = "x".repeat(MAX_CLIENT_ID_BYTES + 1);
    assert!(parse_client_id(Some(&long)).is_err());
}

#[test]
fn status_round_trips_through_its_stored_name() {
    for status in ChatStatus::ALL {
        assert_eq!(ChatStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(ChatStatus::parse("nope"), None);
}
