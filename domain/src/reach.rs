//! Who an event or a signal reaches: the one rule the live streams, the replays and the
//! reloads all follow.
//!
//! An event's reach is fixed when it is recorded, from the chat around it: its visibility
//! (decided by [`ChatState::visibility`]), the chat's visitor, and the operators who were in
//! the chat just before or just after it. That is stored with the event, so a stream on any
//! node, live or replaying, admits exactly what a reload shows, and the server only has to
//! look at the streams of those recipients — never at every open stream.
//!
//! Signals (typing, viewing, page views, presence) are never stored; their reach is decided
//! here too, from the chat as it is when they are sent.

use crate::chat::{ChatState, MemberRole, Viewer, Visibility};
use crate::event::{Author, EventKind};
use crate::ids::{OperatorId, VisitorId};
use crate::signal::Signal;

/// Someone holding a live stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// A visitor's bubble.
    Visitor(VisitorId),
    /// An operator's console.
    Operator(OperatorId),
}

/// The event kinds that are not dashboard changes: they reach only the chat's members. Stores
/// use the list to read an operator's replay.
pub const CHAT_ONLY_KINDS: [&str; 2] = ["message_posted", "private_chat_started"];

/// Whether an event is a change every console's dashboard shows: anything that moves a
/// visitor chat between the lists, but not its messages.
pub fn on_dashboard(kind: &EventKind, visitor: Option<VisitorId>) -> bool {
    visitor.is_some() && kind.concerns_dashboard()
}

/// The operators an event of `before`'s chat reaches as members: those in the chat just before
/// it or just after it (so the event that takes someone out still reaches them, and nothing
/// after it does). One list per event, in order.
pub fn members_around(
    before: &ChatState,
    events: &[(EventKind, Visibility)],
) -> Vec<Vec<OperatorId>> {
    let mut state = before.clone();
    events
        .iter()
        .map(|(kind, _)| {
            let mut members: Vec<OperatorId> = state.members.iter().map(|m| m.id).collect();
            state.apply(kind);
            for member in &state.members {
                if !members.contains(&member.id) {
                    members.push(member.id);
                }
            }
            members
        })
        .collect()
}

/// Whether a recorded event reaches `recipient`.
///
/// The visitor gets what is visible to them in their own chats. An operator gets what is
/// visible to them in the chats they were in around the event, and every dashboard change.
pub fn event_reaches(
    recipient: Recipient,
    kind: &EventKind,
    visitor: Option<VisitorId>,
    visibility: Visibility,
    members: &[OperatorId],
) -> bool {
    match recipient {
        Recipient::Visitor(id) => visitor == Some(id) && visibility.admits(Viewer::Visitor),
        Recipient::Operator(id) => {
            visibility.admits(Viewer::Operator(id))
                && (members.contains(&id) || on_dashboard(kind, visitor))
        }
    }
}

/// Who a signal reaches. Serialisable, so a signal can travel to the other nodes with it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignalReach {
    /// The visitor, when the signal is for them.
    pub visitor: Option<VisitorId>,
    /// Operators it reaches by name.
    pub operators: Vec<OperatorId>,
    /// Whether it reaches every operator's console (presence, channel changes).
    pub all_operators: bool,
    /// Who sent it: nobody is told about themselves.
    pub sender: Option<OperatorId>,
}

impl SignalReach {
    /// Every operator's console but the sender's.
    pub fn all_operators(sender: Option<OperatorId>) -> Self {
        Self {
            visitor: None,
            operators: Vec::new(),
            all_operators: true,
            sender,
        }
    }

    /// Whether it reaches `recipient`.
    pub fn admits(&self, recipient: Recipient) -> bool {
        match recipient {
            Recipient::Visitor(id) => self.visitor == Some(id),
            Recipient::Operator(id) => {
                self.sender != Some(id) && (self.all_operators || self.operators.contains(&id))
            }
        }
    }
}

impl ChatState {
    fn member_ids(&self, except: Option<OperatorId>) -> Vec<OperatorId> {
        self.members
            .iter()
            .map(|m| m.id)
            .filter(|id| Some(*id) != except)
            .collect()
    }

    /// A signal about the chat for the operators in it but `sender`.
    fn to_members(&self, sender: Option<OperatorId>) -> SignalReach {
        SignalReach {
            visitor: None,
            operators: self.member_ids(sender),
            all_operators: false,
            sender,
        }
    }

    /// The visitor, while they may still hear from the operators.
    fn listening_visitor(&self) -> Option<VisitorId> {
        self.visitor
            .filter(|_| self.visitor_present && !self.visitor_kicked && self.open_for_visitor())
    }

    /// An operator in the chat is typing (a message, or a note when `note`), or stopped.
    ///
    /// Watchers stay invisible and send nothing; observers only "type" notes. The other
    /// operators in the chat hear it, and the visitor too when a participant types a message.
    pub fn operator_typing(
        &self,
        operator: OperatorId,
        name: &str,
        active: bool,
        note: bool,
    ) -> Option<(Signal, SignalReach)> {
        let role = self.member(operator)?.role;
        let may = match role {
            MemberRole::Watcher => false,
            MemberRole::Observer => note,
            MemberRole::Participant => true,
        };
        if !may {
            return None;
        }
        let signal = Signal::Typing {
            chat_id: self.id,
            author: Author::Operator { id: operator },
            name: name.to_owned(),
            active,
            note,
        };
        let reach = SignalReach {
            visitor: self.listening_visitor().filter(|_| signal.for_visitor()),
            ..self.to_members(Some(operator))
        };
        Some((signal, reach))
    }

    /// An operator in the chat has it in front of them (or no longer). Watchers send nothing;
    /// only the other operators in the chat hear it.
    pub fn operator_viewing(
        &self,
        operator: OperatorId,
        name: &str,
        active: bool,
    ) -> Option<(Signal, SignalReach)> {
        if self.member(operator)?.role == MemberRole::Watcher {
            return None;
        }
        let signal = Signal::Viewing {
            chat_id: self.id,
            operator,
            name: name.to_owned(),
            active,
        };
        Some((signal, self.to_members(Some(operator))))
    }

    /// The visitor is typing (or stopped), heard by the operators in the chat. `None` once the
    /// chat is no longer open for the visitor.
    pub fn visitor_typing(&self, active: bool) -> Option<(Signal, SignalReach)> {
        if !self.open_for_visitor() {
            return None;
        }
        let signal = Signal::Typing {
            chat_id: self.id,
            author: Author::Visitor,
            name: self.visitor_name.clone(),
            active,
            note: false,
        };
        Some((signal, self.to_members(None)))
    }

    /// The visitor moved to another page, told to the operators in their open chat.
    pub fn visitor_moved(&self, url: &str) -> Option<(Signal, SignalReach)> {
        if !self.open_for_visitor() {
            return None;
        }
        let signal = Signal::VisitorPage {
            chat_id: self.id,
            url: url.to_owned(),
        };
        Some((signal, self.to_members(None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Actor, Command, MessageBody};
    use crate::ids::ChatId;
    use uuid::Uuid;

    fn op(n: u128) -> OperatorId {
        OperatorId(Uuid::from_u128(n))
    }

    fn waiting() -> (ChatState, VisitorId) {
        let visitor = VisitorId(Uuid::from_u128(99));
        let body = MessageBody::parse("hi").unwrap_or_else(|_| unreachable!());
        let (state, _) = ChatState::start(
            ChatId(Uuid::from_u128(7)),
            visitor,
            "Vera".into(),
            None,
            body,
            None,
        );
        (state, visitor)
    }

    fn actor(n: u128) -> Actor {
        Actor::Operator {
            id: op(n),
            name: format!("op{n}"),
        }
    }

    #[test]
    fn an_event_reaches_the_members_around_it_and_every_dashboard_when_it_moves_lists() {
        let (mut state, visitor) = waiting();
        let before = state.clone();
        let accepted = state
            .execute(&actor(1), &Command::Accept)
            .unwrap_or_default();
        let members = members_around(&before, &accepted);
        assert_eq!(members.len(), accepted.len());
        // Ann is in the chat after accepting: the accept reaches her as a member.
        assert!(members[0].contains(&op(1)));

        let before = state.clone();
        let body = MessageBody::parse("hello").unwrap_or_else(|_| unreachable!());
        let posted = state
            .execute(
                &actor(1),
                &Command::PostMessage {
                    body,
                    client_id: None,
                },
            )
            .unwrap_or_default();
        let members = members_around(&before, &posted);
        let (kind, visibility) = &posted[0];
        let reaches = |r| event_reaches(r, kind, Some(visitor), *visibility, &members[0]);
        assert!(reaches(Recipient::Visitor(visitor)));
        assert!(!reaches(Recipient::Visitor(VisitorId(Uuid::from_u128(98)))));
        assert!(reaches(Recipient::Operator(op(1))));
        // A message is not a dashboard change: operators outside the chat do not get it.
        assert!(!reaches(Recipient::Operator(op(2))));

        let before = state.clone();
        let left = state
            .execute(&actor(1), &Command::Leave)
            .unwrap_or_default();
        let members = members_around(&before, &left);
        // Her leaving reaches her; what follows it (the chat going back to Waiting) reaches
        // her only as a dashboard change.
        assert!(matches!(left[0].0, EventKind::OperatorLeft { .. }));
        assert!(members[0].contains(&op(1)));
        assert!(members[1..].iter().all(|m| !m.contains(&op(1))));
        assert!(
            left[1..]
                .iter()
                .all(|(kind, _)| on_dashboard(kind, Some(visitor)))
        );
        assert!(state.members.is_empty());
    }

    #[test]
    fn watchers_send_no_signals_and_kicked_visitors_hear_no_typing() {
        let (mut state, visitor) = waiting();
        let _ = state.execute(&actor(1), &Command::Accept);
        let _ = state.execute(&actor(2), &Command::Watch);
        assert!(state.operator_typing(op(2), "w", true, false).is_none());
        assert!(state.operator_viewing(op(2), "w", true).is_none());
        assert!(state.operator_typing(op(3), "x", true, false).is_none());

        let (_, reach) = state
            .operator_typing(op(1), "Ann", true, false)
            .unwrap_or_else(|| unreachable!());
        assert!(reach.admits(Recipient::Visitor(visitor)));
        assert!(reach.admits(Recipient::Operator(op(2))));
        assert!(!reach.admits(Recipient::Operator(op(1))));
        assert!(!reach.admits(Recipient::Operator(op(3))));

        let (_, note) = state
            .operator_typing(op(1), "Ann", true, true)
            .unwrap_or_else(|| unreachable!());
        assert!(!note.admits(Recipient::Visitor(visitor)));

        let (_, typing) = state.visitor_typing(true).unwrap_or_else(|| unreachable!());
        assert!(typing.admits(Recipient::Operator(op(1))));
        assert!(!typing.admits(Recipient::Visitor(visitor)));

        let _ = state.execute(&actor(1), &Command::Kick);
        let after_kick = state.operator_typing(op(1), "Ann", true, false);
        assert!(after_kick.is_none_or(|(_, reach)| !reach.admits(Recipient::Visitor(visitor))));
        assert!(state.visitor_typing(true).is_none());
    }

    #[test]
    fn presence_reaches_every_console_but_the_senders() {
        let reach = SignalReach::all_operators(Some(op(1)));
        assert!(reach.admits(Recipient::Operator(op(2))));
        assert!(!reach.admits(Recipient::Operator(op(1))));
        assert!(!reach.admits(Recipient::Visitor(VisitorId(Uuid::nil()))));
    }
}
