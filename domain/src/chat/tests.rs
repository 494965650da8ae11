//! The chat state machine: named scenarios, then an exhaustive walk over every state reachable
//! with a visitor and three operators, checking the rules that must hold after every command.

use std::collections::{HashSet, VecDeque};

use uuid::Uuid;

use super::*;

fn visitor() -> VisitorId {
    VisitorId(Uuid::from_u128(1))
}

fn op(n: u128) -> Actor {
    let name = ["Ann", "Bob", "Cy"][usize::try_from(n).unwrap_or(0) % 3];
    Actor::Operator {
        id: OperatorId(Uuid::from_u128(10 + n)),
        name: name.into(),
    }
}

fn id_of(actor: &Actor) -> OperatorId {
    match actor {
        Actor::Operator { id, .. } => *id,
        Actor::Visitor(_) | Actor::System => OperatorId(Uuid::nil()),
    }
}

fn name_of(actor: &Actor) -> String {
    match actor {
        Actor::Operator { name, .. } => name.clone(),
        Actor::Visitor(_) | Actor::System => String::new(),
    }
}

fn ann() -> Actor {
    op(0)
}

fn bob() -> Actor {
    op(1)
}

fn cy() -> Actor {
    op(2)
}

fn vera() -> Actor {
    Actor::Visitor(visitor())
}

fn body(text: &str) -> MessageBody {
    MessageBody::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn post(text: &str) -> Command {
    Command::PostMessage {
        body: body(text),
        client_id: None,
    }
}

fn note(text: &str) -> Command {
    Command::AddNote {
        body: body(text),
        client_id: None,
    }
}

fn offer(kind: OfferKind, to: &Actor) -> Command {
    Command::Offer {
        kind,
        target: id_of(to),
        target_name: name_of(to),
    }
}

fn sales() -> ChannelId {
    ChannelId(Uuid::from_u128(500))
}

fn started() -> ChatState {
    ChatState::start(
        ChatId(Uuid::from_u128(100)),
        visitor(),
        "Vera".into(),
        None,
        body("hello"),
        Some("c0".into()),
    )
    .0
}

fn run(chat: &mut ChatState, actor: &Actor, command: &Command) -> Vec<(EventKind, Visibility)> {
    chat.execute(actor, command)
        .unwrap_or_else(|e| panic!("{command:?} by {actor:?}: {e}"))
}

fn refused(chat: &ChatState, actor: &Actor, command: &Command) -> ErrorCode {
    match chat.decide(actor, command) {
        Ok(events) => panic!("{command:?} by {actor:?} was allowed: {events:?}"),
        Err(err) => err.code,
    }
}

/// Ann has accepted Vera's chat.
fn active() -> ChatState {
    let mut chat = started();
    run(&mut chat, &ann(), &Command::Accept);
    chat
}

fn assign(to: &Actor) -> Command {
    Command::Assign {
        operator: id_of(to),
        operator_name: name_of(to),
        reason: "language en matched; 0 chats; idle 1 min; 1 other candidate".into(),
        since: crate::Timestamp(5),
    }
}

#[test]
fn an_assignment_is_accepted_declined_or_passed_on_and_never_comes_back() {
    let mut chat = started();
    let events = run(&mut chat, &Actor::System, &assign(&ann()));
    assert_eq!(
        events[0].1,
        Visibility::Operators,
        "the visitor is not told"
    );
    assert_eq!(
        chat.assigned.as_ref().map(|a| a.operator),
        Some(id_of(&ann()))
    );
    // Someone else holds it: a second assignment decided on a stale view changes nothing.
    assert!(run(&mut chat, &Actor::System, &assign(&bob())).is_empty());
    assert_eq!(
        refused(&chat, &bob(), &Command::DeclineAssignment),
        ErrorCode::NoPendingOffer
    );
    assert_eq!(
        refused(&chat, &ann(), &assign(&bob())),
        ErrorCode::Forbidden
    );
    run(&mut chat, &ann(), &Command::DeclineAssignment);
    assert_eq!(chat.assigned, None);
    assert_eq!(chat.passed_over, vec![id_of(&ann())]);
    // Ann declined: she is not chosen again for this chat.
    assert!(run(&mut chat, &Actor::System, &assign(&ann())).is_empty());
    run(&mut chat, &Actor::System, &assign(&bob()));
    let pass = |who: &Actor| Command::PassAssignment {
        operator: id_of(who),
        why: PassReason::NoAnswer,
    };
    // Only the holder's assignment can pass.
    assert!(run(&mut chat, &Actor::System, &pass(&ann())).is_empty());
    let passed = run(&mut chat, &Actor::System, &pass(&bob()));
    assert!(matches!(
        &passed[0].0,
        EventKind::AssignmentPassed {
            why: PassReason::NoAnswer,
            ..
        }
    ));
    run(&mut chat, &Actor::System, &assign(&cy()));
    // Anyone may still accept; the assignment ends with the wait.
    run(&mut chat, &bob(), &Command::Accept);
    assert_eq!(chat.assigned, None);
    assert_eq!(
        refused(&chat, &Actor::System, &assign(&cy())),
        ErrorCode::ChatNotWaiting
    );
}

#[test]
fn signing_off_withdraws_offers_and_flags_the_chats_the_operator_takes_part_in() {
    let mut chat = active();
    run(&mut chat, &ann(), &offer(OfferKind::Invite, &bob()));
    let signed_off = run(
        &mut chat,
        &Actor::System,
        &Command::SignOff {
            operator: id_of(&ann()),
        },
    );
    assert_eq!(
        signed_off.iter().map(|(e, _)| e.name()).collect::<Vec<_>>(),
        ["offer_withdrawn", "operator_inactive"]
    );
    assert!(signed_off.iter().all(|(_, v)| *v == Visibility::Operators));
    assert!(chat.offers.is_empty());
    assert_eq!(chat.flagged, vec![id_of(&ann())]);
    assert!(chat.is_participant(id_of(&ann())), "the chat stays hers");
    // Again: nothing new.
    let again = Command::SignOff {
        operator: id_of(&ann()),
    };
    assert!(run(&mut chat, &Actor::System, &again).is_empty());
    assert_eq!(refused(&chat, &ann(), &again), ErrorCode::Forbidden);
    let back = Command::Return {
        operator: id_of(&ann()),
    };
    run(&mut chat, &Actor::System, &back);
    assert!(chat.flagged.is_empty());
    assert!(run(&mut chat, &Actor::System, &back).is_empty());
}

#[test]
fn dots_follow_presence_and_membership() {
    use crate::console::Dot;
    assert_eq!(Dot::in_chat(true, Some((false, false))), Dot::Active);
    assert_eq!(Dot::in_chat(true, Some((true, false))), Dot::Away);
    assert_eq!(Dot::in_chat(true, Some((true, true))), Dot::Unavailable);
    assert_eq!(Dot::in_chat(true, None), Dot::LoggedOut);
    assert_eq!(Dot::in_chat(false, Some((false, false))), Dot::Inactive);
}

#[test]
fn a_chat_left_before_anyone_answered_is_recorded_as_missed_with_its_wait() {
    let mut chat = started();
    let events = run(&mut chat, &vera(), &Command::EndVisit { waited_ms: 93_000 });
    assert_eq!(
        events.iter().map(|(e, _)| e.name()).collect::<Vec<_>>(),
        ["visitor_left", "chat_missed", "status_changed"]
    );
    assert_eq!(events[1].1, Visibility::Operators);
    assert_eq!(
        events[1]
            .0
            .describe(Viewer::Operator(id_of(&ann())))
            .as_deref(),
        Some("Missed: the visitor left after waiting 1 min 33 s with no answer")
    );
    // Answered once, waiting again after the operator left: not missed.
    let mut chat = active();
    run(&mut chat, &ann(), &Command::Leave);
    assert_eq!(chat.status, ChatStatus::Waiting);
    let events = run(&mut chat, &vera(), &Command::EndVisit { waited_ms: 1 });
    assert!(events.iter().all(|(e, _)| e.name() != "chat_missed"));
}

fn role(chat: &ChatState, actor: &Actor) -> Option<MemberRole> {
    chat.member(id_of(actor)).map(|m| m.role)
}

#[test]
fn start_records_chat_started_then_first_message_and_waits() {
    let (chat, events) = ChatState::start(
        ChatId(Uuid::from_u128(100)),
        visitor(),
        "Vera".into(),
        None,
        body("hello"),
        None,
    );
    assert_eq!(chat.status, ChatStatus::Waiting);
    assert!(chat.visitor_present && chat.members.is_empty());
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|(_, v)| *v == Visibility::Everyone));
}

#[test]
fn accept_makes_a_participant_and_a_second_accept_is_already_taken() {
    let mut chat = active();
    assert_eq!(chat.status, ChatStatus::Active);
    assert_eq!(role(&chat, &ann()), Some(MemberRole::Participant));
    assert_eq!(
        refused(&chat, &bob(), &Command::Accept),
        ErrorCode::ChatNotWaiting
    );
    assert_eq!(
        refused(&chat, &vera(), &Command::Accept),
        ErrorCode::Forbidden
    );
    run(&mut chat, &vera(), &post("hi"));
}

#[test]
fn join_is_seen_by_everyone_and_watch_by_nobody_else() {
    let mut chat = active();
    let joined = run(&mut chat, &bob(), &Command::Join);
    assert_eq!(joined[0].1, Visibility::Everyone);
    let watched = run(&mut chat, &cy(), &Command::Watch);
    assert_eq!(watched[0].1, Visibility::Operator(id_of(&cy())));
    assert_eq!(refused(&chat, &cy(), &post("psst")), ErrorCode::ReadOnly);
    assert_eq!(refused(&chat, &cy(), &note("psst")), ErrorCode::ReadOnly);
    assert_eq!(
        refused(&chat, &bob(), &Command::Join),
        ErrorCode::AlreadyInChat
    );
    // Other operators' view of the chat does not show the watcher; the watcher's own does.
    assert!(!chat.seen_by(id_of(&ann())).has_operator(id_of(&cy())));
    assert!(chat.seen_by(id_of(&cy())).has_operator(id_of(&cy())));
    let left = run(&mut chat, &cy(), &Command::Leave);
    assert_eq!(left[0].1, Visibility::Operator(id_of(&cy())));
}

#[test]
fn join_needs_an_active_chat() {
    assert_eq!(
        refused(&started(), &bob(), &Command::Join),
        ErrorCode::ChatNotActive
    );
    let mut chat = active();
    run(&mut chat, &vera(), &Command::EndVisit { waited_ms: 0 });
    assert_eq!(chat.status, ChatStatus::Vacant);
    assert_eq!(
        refused(&chat, &bob(), &Command::Join),
        ErrorCode::ChatNotActive
    );
    // A waiting chat may still be watched (supervisors keep an eye on the queue).
    let mut waiting = started();
    run(&mut waiting, &cy(), &Command::Watch);
}

#[test]
fn invite_accepted_as_observer_then_switched_to_participant_and_back() {
    let mut chat = active();
    let made = run(&mut chat, &ann(), &offer(OfferKind::Invite, &bob()));
    assert_eq!(made[0].1, Visibility::Operators);
    assert_eq!(
        refused(&chat, &ann(), &offer(OfferKind::Transfer, &bob())),
        ErrorCode::OfferPending
    );
    let observed = run(
        &mut chat,
        &bob(),
        &Command::AcceptInvite {
            role: MemberRole::Observer,
        },
    );
    assert_eq!(observed[0].1, Visibility::Operators);
    assert!(chat.offers.is_empty());
    assert_eq!(refused(&chat, &bob(), &post("hi")), ErrorCode::ReadOnly);
    run(&mut chat, &bob(), &note("try the reset link"));
    let switched = run(
        &mut chat,
        &bob(),
        &Command::SwitchRole {
            role: MemberRole::Participant,
        },
    );
    assert_eq!(switched[0].1, Visibility::Everyone);
    run(&mut chat, &bob(), &post("hello, I am Bob"));
    let back = run(
        &mut chat,
        &bob(),
        &Command::SwitchRole {
            role: MemberRole::Observer,
        },
    );
    assert_eq!(back[0].1, Visibility::Operators);
    assert_eq!(chat.status, ChatStatus::Active, "Ann still answers");
    // Accepting twice finds no invitation any more.
    assert_eq!(
        refused(
            &chat,
            &bob(),
            &Command::AcceptInvite {
                role: MemberRole::Participant
            }
        ),
        ErrorCode::NoPendingOffer
    );
}

#[test]
fn invitations_can_be_declined_or_withdrawn_only_by_the_right_operator() {
    let mut chat = active();
    run(&mut chat, &ann(), &offer(OfferKind::Invite, &bob()));
    assert_eq!(
        refused(&chat, &cy(), &Command::DeclineOffer),
        ErrorCode::NoPendingOffer
    );
    assert_eq!(
        refused(
            &chat,
            &bob(),
            &Command::WithdrawOffer {
                target: id_of(&bob())
            }
        ),
        ErrorCode::NoPendingOffer
    );
    run(&mut chat, &bob(), &Command::DeclineOffer);
    assert!(chat.offers.is_empty());
    run(&mut chat, &ann(), &offer(OfferKind::Transfer, &cy()));
    run(
        &mut chat,
        &ann(),
        &Command::WithdrawOffer {
            target: id_of(&cy()),
        },
    );
    assert_eq!(
        refused(&chat, &cy(), &Command::AssumeTransfer),
        ErrorCode::NoPendingOffer
    );
}

#[test]
fn only_participants_hand_a_chat_on_and_never_to_themselves() {
    let mut chat = active();
    assert_eq!(
        refused(&chat, &bob(), &offer(OfferKind::Invite, &cy())),
        ErrorCode::NotAParticipant
    );
    assert_eq!(
        refused(&chat, &ann(), &offer(OfferKind::Invite, &ann())),
        ErrorCode::InvalidField
    );
    run(&mut chat, &bob(), &Command::Watch);
    assert_eq!(
        refused(&chat, &bob(), &offer(OfferKind::Invite, &cy())),
        ErrorCode::ReadOnly
    );
    // The watcher can still be invited: the inviter cannot know they watch.
    run(&mut chat, &ann(), &offer(OfferKind::Invite, &bob()));
    run(
        &mut chat,
        &bob(),
        &Command::AcceptInvite {
            role: MemberRole::Participant,
        },
    );
    assert_eq!(role(&chat, &bob()), Some(MemberRole::Participant));
}

#[test]
fn transfer_assumed_swaps_requester_for_target_and_tells_the_visitor() {
    let mut chat = active();
    run(&mut chat, &ann(), &offer(OfferKind::Transfer, &bob()));
    let events = run(&mut chat, &bob(), &Command::AssumeTransfer);
    assert_eq!(role(&chat, &bob()), Some(MemberRole::Participant));
    assert_eq!(role(&chat, &ann()), None);
    assert!(events.iter().all(|(_, v)| *v == Visibility::Everyone));
    let left = events
        .iter()
        .find_map(|(e, _)| match e {
            EventKind::OperatorLeft { transferred_to, .. } => transferred_to.clone(),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(left, "Bob");
    assert_eq!(chat.status, ChatStatus::Active);
}

#[test]
fn transfer_after_the_requester_left_is_an_accept() {
    let mut chat = active();
    run(&mut chat, &ann(), &offer(OfferKind::Transfer, &bob()));
    run(&mut chat, &ann(), &Command::Leave);
    assert_eq!(chat.status, ChatStatus::Waiting);
    let events = run(&mut chat, &bob(), &Command::AssumeTransfer);
    assert_eq!(chat.status, ChatStatus::Active);
    assert!(
        !events
            .iter()
            .any(|(e, _)| matches!(e, EventKind::OperatorLeft { .. }))
    );
}

#[test]
fn last_participant_leaving_returns_the_chat_to_waiting_or_closes_a_vacant_one() {
    let mut chat = active();
    run(&mut chat, &bob(), &Command::Join);
    run(&mut chat, &ann(), &Command::Leave);
    assert_eq!(chat.status, ChatStatus::Active);
    run(&mut chat, &cy(), &Command::Watch);
    run(&mut chat, &bob(), &Command::Leave);
    assert_eq!(chat.status, ChatStatus::Waiting, "a watcher answers nobody");
    run(&mut chat, &ann(), &Command::Accept);
    run(&mut chat, &vera(), &Command::EndVisit { waited_ms: 0 });
    run(&mut chat, &ann(), &Command::Leave);
    assert_eq!(chat.status, ChatStatus::Closed);
    assert_eq!(
        refused(&chat, &cy(), &Command::Leave),
        ErrorCode::ChatClosed
    );
}

#[test]
fn kick_ends_the_chat_for_the_visitor_and_hides_everything_after() {
    let mut chat = active();
    assert_eq!(
        refused(&chat, &bob(), &Command::Kick),
        ErrorCode::NotAParticipant
    );
    let kicked = run(&mut chat, &ann(), &Command::Kick);
    assert_eq!(
        kicked[0].1,
        Visibility::Everyone,
        "the visitor reads the kick itself"
    );
    assert_eq!(
        kicked[0].0.describe(Viewer::Visitor).as_deref(),
        Some(crate::event::KICKED_MESSAGE)
    );
    assert_eq!(kicked[1].1, Visibility::Operators);
    assert_eq!(chat.status, ChatStatus::Vacant);
    assert_eq!(
        refused(&chat, &vera(), &post("wait!")),
        ErrorCode::ChatClosed
    );
    assert_eq!(
        refused(&chat, &ann(), &Command::Kick),
        ErrorCode::ChatNotActive
    );
    for (_, visibility) in run(&mut chat, &ann(), &post("bye")).into_iter().chain(run(
        &mut chat,
        &ann(),
        &Command::Close,
    )) {
        assert!(!visibility.admits(Viewer::Visitor));
    }
}

#[test]
fn hold_and_resume_are_told_to_the_visitor_and_repeat_harmlessly() {
    let mut chat = active();
    let held = run(&mut chat, &ann(), &Command::Hold { on: true });
    assert_eq!(held[0].1, Visibility::Everyone);
    assert!(chat.on_hold);
    assert!(run(&mut chat, &ann(), &Command::Hold { on: true }).is_empty());
    // The visitor may still write while the operator is away.
    run(&mut chat, &vera(), &post("still there?"));
    run(&mut chat, &ann(), &Command::Hold { on: false });
    assert!(!chat.on_hold);
    run(&mut chat, &ann(), &Command::Hold { on: true });
    run(&mut chat, &ann(), &Command::Leave);
    assert!(!chat.on_hold, "a chat back in the queue is not on hold");
}

#[test]
fn close_ends_it_for_everyone() {
    let mut chat = active();
    run(&mut chat, &ann(), &offer(OfferKind::Invite, &bob()));
    run(&mut chat, &ann(), &Command::Close);
    assert_eq!(chat.status, ChatStatus::Closed);
    assert!(chat.offers.is_empty());
    assert_eq!(refused(&chat, &vera(), &post("hi")), ErrorCode::ChatClosed);
    assert_eq!(
        refused(
            &chat,
            &bob(),
            &Command::AcceptInvite {
                role: MemberRole::Participant
            }
        ),
        ErrorCode::ChatClosed
    );
}

#[test]
fn private_chats_are_for_operators_only() {
    let (mut chat, events) = ChatState::start_private(
        ChatId(Uuid::from_u128(200)),
        Member {
            id: id_of(&ann()),
            name: "Ann".into(),
            role: MemberRole::Participant,
        },
        Member {
            id: id_of(&bob()),
            name: "Bob".into(),
            role: MemberRole::Participant,
        },
        body("got a minute?"),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(events.iter().all(|(_, v)| *v == Visibility::Operators));
    assert_eq!(chat.status, ChatStatus::Active);
    run(&mut chat, &bob(), &post("sure"));
    assert_eq!(
        refused(&chat, &cy(), &post("me too")),
        ErrorCode::NotAParticipant
    );
    assert_eq!(refused(&chat, &cy(), &Command::Join), ErrorCode::Forbidden);
    assert_eq!(refused(&chat, &cy(), &Command::Watch), ErrorCode::Forbidden);
    assert_eq!(refused(&chat, &ann(), &Command::Kick), ErrorCode::Forbidden);
    assert_eq!(
        refused(&chat, &vera(), &post("hi")),
        ErrorCode::ChatNotFound
    );
    run(&mut chat, &ann(), &Command::Leave);
    assert_eq!(chat.status, ChatStatus::Active);
    run(&mut chat, &bob(), &Command::Leave);
    assert_eq!(chat.status, ChatStatus::Closed);
}

#[test]
fn another_visitor_sees_no_such_chat() {
    let chat = active();
    let stranger = Actor::Visitor(VisitorId(Uuid::from_u128(2)));
    for command in [
        post("x"),
        Command::EndVisit { waited_ms: 0 },
        Command::Accept,
    ] {
        assert_eq!(refused(&chat, &stranger, &command), ErrorCode::ChatNotFound);
    }
}

/// Every command any of the actors could send.
fn all_commands() -> Vec<(Actor, Command)> {
    let operators = [ann(), bob(), cy()];
    let mut commands = vec![
        (vera(), post("v")),
        (vera(), Command::EndVisit { waited_ms: 0 }),
    ];
    // Routing, kept to one operator so the walk stays small: Ann is assigned and declines (a
    // pass by routing folds the same way).
    commands.push((Actor::System, assign(&ann())));
    commands.push((ann(), Command::DeclineAssignment));

    for actor in &operators {
        let mut add = |command: Command| commands.push((actor.clone(), command));
        add(Command::Accept);
        add(Command::Join);
        add(Command::Watch);
        for other in &operators {
            add(offer(OfferKind::Invite, other));
            add(offer(OfferKind::Transfer, other));
            add(Command::WithdrawOffer {
                target: id_of(other),
            });
        }
        for role in [
            MemberRole::Participant,
            MemberRole::Observer,
            MemberRole::Watcher,
        ] {
            add(Command::AcceptInvite { role });
            add(Command::SwitchRole { role });
        }
        add(Command::AssumeTransfer);
        add(Command::DeclineOffer);
        add(Command::Leave);
        add(Command::Kick);
        add(Command::Close);
        add(Command::Hold { on: true });
        add(Command::Hold { on: false });
        add(post("o"));
        add(note("n"));
        add(Command::EndVisit { waited_ms: 0 });
        add(Command::ChangeChannel {
            channel: sales(),
            channel_name: "Sales".into(),
        });
    }
    commands
}

/// A reachable state with the events that led to it (with their visibility).
#[derive(Clone)]
struct Reached {
    state: ChatState,
    log: Vec<(EventKind, Visibility)>,
}

fn key(state: &ChatState) -> String {
    format!("{state:?}")
}

/// Every state reachable from a new chat, breadth first, with one path to each.
fn reachable() -> Vec<Reached> {
    let (state, log) = ChatState::start(
        ChatId(Uuid::from_u128(100)),
        visitor(),
        "Vera".into(),
        None,
        body("hello"),
        None,
    );
    let commands = all_commands();
    let mut seen = HashSet::from([key(&state)]);
    let mut queue = VecDeque::from([Reached { state, log }]);
    let mut all = Vec::new();
    while let Some(reached) = queue.pop_front() {
        for (actor, command) in &commands {
            let mut next = reached.clone();
            if let Ok(events) = next.state.execute(actor, command) {
                next.log.extend(events);
                if seen.insert(key(&next.state)) {
                    queue.push_back(next);
                }
            }
        }
        all.push(reached);
        assert!(all.len() < 200_000, "state space exploded");
    }
    all
}

fn check_invariants(state: &ChatState) {
    let participants = state.participants().count();
    match state.status {
        ChatStatus::Waiting => {
            assert_eq!(participants, 0, "{state:?}");
            assert!(state.visitor_present && !state.on_hold, "{state:?}");
        }
        ChatStatus::Active => {
            assert!(participants >= 1 && state.visitor_present, "{state:?}");
        }
        ChatStatus::Vacant => assert!(!state.visitor_present && !state.on_hold, "{state:?}"),
        ChatStatus::Closed => assert!(state.offers.is_empty() && !state.on_hold, "{state:?}"),
    }
    let ids: HashSet<_> = state.members.iter().map(|m| m.id).collect();
    assert_eq!(
        ids.len(),
        state.members.len(),
        "one membership each: {state:?}"
    );
    let targets: HashSet<_> = state.offers.iter().map(|o| o.target).collect();
    assert_eq!(
        targets.len(),
        state.offers.len(),
        "one offer per target: {state:?}"
    );
    for offer in &state.offers {
        assert!(!state.is_participant(offer.target), "{state:?}");
    }
    if state.visitor_kicked {
        assert!(!state.visitor_present, "{state:?}");
    }
    if let Some(assigned) = &state.assigned {
        assert_eq!(state.status, ChatStatus::Waiting, "{state:?}");
        assert!(!state.passed_over.contains(&assigned.operator), "{state:?}");
    }
}

#[test]
fn exhaustive_walk_keeps_every_rule() {
    let states = reachable();
    assert!(states.len() > 500, "only {} states reached", states.len());
    eprintln!("{} reachable states", states.len());
    let commands = all_commands();
    let mut kicked_paths = 0;
    for reached in &states {
        let state = &reached.state;
        check_invariants(state);

        // Replaying the log rebuilds the state exactly.
        let mut replayed = ChatState::start(
            state.id,
            visitor(),
            "Vera".into(),
            None,
            body("hello"),
            None,
        )
        .0;
        for (event, _) in reached.log.iter().skip(2) {
            replayed.apply(event);
        }
        assert_eq!(&replayed, state);

        // The visitor never sees a watcher, an observer, a note, an offer, or anything after
        // the kick.
        let mut after_kick = false;
        for (event, visibility) in &reached.log {
            if visibility.admits(Viewer::Visitor) {
                assert!(!after_kick, "visitor sees {event:?} after the kick");
                match event {
                    EventKind::OperatorJoined { role, .. }
                    | EventKind::RoleChanged { role, .. } => {
                        assert_eq!(*role, MemberRole::Participant, "{event:?}");
                    }
                    EventKind::MessagePosted { note, .. } => assert!(!note),
                    EventKind::OfferMade { .. }
                    | EventKind::OfferDeclined { .. }
                    | EventKind::OfferWithdrawn { .. }
                    | EventKind::ChannelChanged { .. } => panic!("visitor sees {event:?}"),
                    _ => {}
                }
            }
            if let Visibility::Operator(only) = visibility {
                // Only a watcher's own coming, going and role are private to one operator.
                assert!(
                    matches!(event.membership_of(), Some((who, _)) if who == *only),
                    "{event:?}"
                );
            }
            if matches!(event, EventKind::VisitorKicked { .. }) {
                after_kick = true;
                kicked_paths += 1;
            }
        }

        for (actor, command) in &commands {
            let before = state.clone();
            let decided = state.decide(actor, command);
            assert_eq!(state, &before, "decide changed the state");
            let me = id_of(actor);
            let my_role = state.member(me).map(|m| m.role);
            match (command, &decided) {
                // Only participants speak; observers and watchers are read-only.
                (Command::PostMessage { .. }, Ok(_)) => {
                    if let Actor::Operator { .. } = actor {
                        assert_eq!(my_role, Some(MemberRole::Participant));
                    }
                }
                (Command::AddNote { .. }, Ok(_)) => assert!(matches!(
                    my_role,
                    Some(MemberRole::Participant | MemberRole::Observer)
                )),
                (
                    Command::Offer { .. } | Command::Kick | Command::Close | Command::Hold { .. },
                    Ok(_),
                ) => assert_eq!(my_role, Some(MemberRole::Participant)),
                (
                    Command::PostMessage { .. }
                    | Command::Offer { .. }
                    | Command::Kick
                    | Command::Close
                    | Command::Leave,
                    Err(err),
                ) if my_role.is_none()
                    && matches!(actor, Actor::Operator { .. })
                    && state.status != ChatStatus::Closed
                    && err.code != ErrorCode::Forbidden =>
                {
                    assert_eq!(err.code, ErrorCode::NotAParticipant, "{command:?}");
                }
                // A waiting chat may be moved by anyone not in it; after that, by participants.
                (Command::ChangeChannel { .. }, Ok(events)) if !events.is_empty() => {
                    assert!(
                        my_role == Some(MemberRole::Participant)
                            || (my_role.is_none() && state.status == ChatStatus::Waiting),
                        "{state:?}"
                    );
                    assert!(!state.is_private() && state.status != ChatStatus::Closed);
                }
                (Command::AssumeTransfer, Ok(_)) => {
                    // A transfer leaves exactly one of requester and target.
                    let requester = state.offer_to(me).map(|o| o.from).unwrap_or(me);
                    let mut after = state.clone();
                    let _ = after.execute(actor, command);
                    assert!(after.is_participant(me));
                    assert!(requester == me || !after.has_operator(requester));
                }
                _ => {}
            }
            // Two operators answering the same offer, or answering while it is withdrawn:
            // whichever is recorded first, the other is then refused.
            if let (Command::AssumeTransfer | Command::AcceptInvite { .. }, Ok(_)) =
                (command, &decided)
            {
                let mut after = state.clone();
                let _ = after.execute(actor, command);
                assert_eq!(
                    after.decide(actor, command).err().map(|e| e.code),
                    Some(ErrorCode::NoPendingOffer)
                );
                if let Some(offer) = state.offer_to(me) {
                    let requester = op_named(&offer.from_name, offer.from);
                    assert!(
                        after
                            .decide(&requester, &Command::WithdrawOffer { target: me })
                            .is_err()
                    );
                }
            }
        }
    }
    assert!(kicked_paths > 0);
}

fn op_named(name: &str, id: OperatorId) -> Actor {
    Actor::Operator {
        id,
        name: name.to_owned(),
    }
}

#[test]
fn visibility_round_trips_through_its_stored_form() {
    for visibility in [
        Visibility::Everyone,
        Visibility::Operators,
        Visibility::Operator(id_of(&bob())),
    ] {
        assert_eq!(
            Visibility::from_stored(&visibility.to_stored()),
            Some(visibility)
        );
    }
    assert_eq!(Visibility::from_stored("nope"), None);
    assert!(Visibility::Everyone.admits(Viewer::Visitor));
    assert!(!Visibility::Operators.admits(Viewer::Visitor));
    assert!(!Visibility::Operator(id_of(&bob())).admits(Viewer::Operator(id_of(&ann()))));
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
fn names_with_direction_overrides_or_invisible_characters_are_refused() {
    // "Admin" written backwards behind a right-to-left override, zero-width joiners, a BOM.
    for name in [
        "\u{202E}nimdA",
        "Ad\u{200D}min",
        "Ann\u{2066}x",
        "\u{FEFF}Bob",
        "A\u{200B}da",
    ] {
        assert_eq!(
            parse_display_name(Some(name), true).err().map(|e| e.code),
            Some(ErrorCode::InvalidField),
            "{name:?}"
        );
    }
    // Letters of any script pass.
    for name in ["Zoë", "Ελένη", "محمد", "李雷", "Nguyễn"] {
        assert_eq!(parse_display_name(Some(name), true), Ok(Some(name.into())));
    }
    assert!(crate::channel::parse_name("Sales\u{202E}").is_err());
}

#[test]
fn only_web_addresses_are_kept_as_pages() {
    for good in ["http://shop.example/", "HTTPS://shop.example/cart?x=1"] {
        assert!(is_web_address(good), "{good}");
    }
    for bad in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "shop.example",
        "http://a\nb",
        "",
    ] {
        assert!(!is_web_address(bad), "{bad:?}");
    }
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

#[test]
fn channel_changes_by_anyone_while_waiting_then_by_participants_only() {
    let move_to_sales = Command::ChangeChannel {
        channel: sales(),
        channel_name: "Sales".into(),
    };
    let mut chat = started();
    let events = run(&mut chat, &bob(), &move_to_sales);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1, Visibility::Operators);
    assert_eq!(chat.channel, Some(sales()));
    assert_eq!(
        events[0]
            .0
            .describe(Viewer::Operator(id_of(&ann())))
            .as_deref(),
        Some("Bob moved the chat to Sales")
    );
    // Moving it where it already is records nothing.
    assert!(run(&mut chat, &bob(), &move_to_sales).is_empty());

    run(&mut chat, &ann(), &Command::Accept);
    let support = Command::ChangeChannel {
        channel: ChannelId(Uuid::from_u128(501)),
        channel_name: "Support".into(),
    };
    assert_eq!(refused(&chat, &bob(), &support), ErrorCode::NotAParticipant);
    run(&mut chat, &bob(), &Command::Watch);
    assert_eq!(refused(&chat, &bob(), &support), ErrorCode::ReadOnly);
    run(&mut chat, &ann(), &support);
    assert_eq!(chat.channel, Some(ChannelId(Uuid::from_u128(501))));
    assert_eq!(refused(&chat, &vera(), &support), ErrorCode::Forbidden);
}

#[test]
fn an_accepted_invitation_opens_an_active_chat_with_the_inviting_operator() {
    let ann = op(0);
    let body = MessageBody::parse("Hello! I'm Ann.").unwrap_or_else(|_| unreachable!());
    let (state, recorded) = ChatState::start_invited(
        ChatId(Uuid::from_u128(5)),
        visitor(),
        "Vera".into(),
        None,
        (id_of(&ann), name_of(&ann)),
        body.clone(),
        false,
    );
    assert_eq!(state.status, ChatStatus::Active);
    assert!(state.open_for_visitor());
    assert_eq!(
        state.member(id_of(&ann)).map(|m| m.role),
        Some(MemberRole::Participant)
    );
    assert!(state.offers.is_empty() && state.assigned.is_none());
    let last = recorded
        .last()
        .map(|(event, visibility)| (event.clone(), *visibility));
    assert!(
        matches!(
            last,
            Some((
                EventKind::MessagePosted {
                    author: Author::Operator { .. },
                    ..
                },
                Visibility::Everyone
            ))
        ),
        "{last:?}"
    );
}

#[test]
fn a_voice_chat_asks_the_inviting_operator_to_call_and_tells_both_sides() {
    let ann = op(0);
    let body = MessageBody::parse("Hello! I'm Ann.").unwrap_or_else(|_| unreachable!());
    let (state, recorded) = ChatState::start_invited(
        ChatId(Uuid::from_u128(6)),
        visitor(),
        "Vera".into(),
        None,
        (id_of(&ann), name_of(&ann)),
        body,
        true,
    );
    let (request, visibility) = recorded.last().cloned().unwrap_or_else(|| unreachable!());
    assert_eq!(
        request,
        EventKind::CallRequested {
            operator: id_of(&ann),
            operator_name: name_of(&ann),
        }
    );
    assert_eq!(visibility, Visibility::Everyone);
    assert!(state.call.is_none(), "the operator starts the call");
    assert_eq!(
        request.describe(Viewer::Visitor).as_deref(),
        Some(
            format!(
                "You asked for a voice chat: {} will call you",
                name_of(&ann)
            )
            .as_str()
        )
    );
    assert_eq!(
        request.describe(Viewer::Operator(id_of(&ann))).as_deref(),
        Some(format!("The visitor asked {} for a voice chat", name_of(&ann)).as_str())
    );
}
