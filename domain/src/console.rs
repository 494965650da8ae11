//! What the operator console shows, shared by the server (which builds it) and the hydrated
//! console (which folds live events into it).

use serde::{Deserialize, Serialize};

use crate::chat::ChatStatus;
use crate::event::{ChatEvent, EventKind};
use crate::ids::{ChatId, EventId, OperatorId};
use crate::time::Timestamp;

/// An operator's role. Each role can do everything the one before it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Answers chats.
    Operator,
    /// An operator who may also monitor others.
    Supervisor,
    /// Manages operators, channels and settings.
    Admin,
}

impl Role {
    /// The role as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }

    /// Parses a stored role.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Operator, Self::Supervisor, Self::Admin]
            .into_iter()
            .find(|role| role.as_str() == s)
    }
}

/// The logged-in operator, as the console shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// Who.
    pub id: OperatorId,
    /// Login email.
    pub email: String,
    /// Name shown to visitors.
    pub chat_name: String,
    /// Role.
    pub role: Role,
    /// Still on the default password: nothing but the password change is allowed.
    pub must_change_password: bool,
}

/// One line of the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSummary {
    /// The chat.
    pub id: ChatId,
    /// Its status.
    pub status: ChatStatus,
    /// The visitor's name.
    pub visitor_name: String,
    /// When the visitor started it.
    pub started_at: Timestamp,
    /// Names of the operators in it.
    pub operators: Vec<String>,
    /// Ids of the operators in it.
    pub operator_ids: Vec<OperatorId>,
}

impl ChatSummary {
    /// A summary of a chat that has just started.
    pub fn new(id: ChatId, visitor_name: String, started_at: Timestamp) -> Self {
        Self {
            id,
            status: ChatStatus::Waiting,
            visitor_name,
            started_at,
            operators: Vec::new(),
            operator_ids: Vec::new(),
        }
    }

    /// Folds an event of this chat into the summary.
    pub fn apply(&mut self, event: &EventKind) {
        match event {
            EventKind::ChatStarted { visitor_name } => self.visitor_name.clone_from(visitor_name),
            EventKind::OperatorAccepted {
                operator,
                operator_name,
            } => {
                if !self.operator_ids.contains(operator) {
                    self.operator_ids.push(*operator);
                    self.operators.push(operator_name.clone());
                }
            }
            EventKind::StatusChanged { status } => self.status = *status,
            EventKind::MessagePosted { .. } | EventKind::VisitorLeft => {}
        }
    }
}

/// A chat the operator is in, with its conversation so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyChat {
    /// The chat.
    pub summary: ChatSummary,
    /// Its events, oldest first.
    pub events: Vec<ChatEvent>,
    /// The last event this operator has read.
    pub read_up_to: EventId,
}

/// Everything the console needs at load; live events after `last_event_id` keep it current.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSnapshot {
    /// The operator.
    pub me: Me,
    /// Every chat that is not closed.
    pub dashboard: Vec<ChatSummary>,
    /// Chats the operator is in.
    pub my_chats: Vec<MyChat>,
    /// The newest event reflected in this snapshot.
    pub last_event_id: EventId,
}

/// Messages in `events` after `read_up_to` written by someone other than `me`.
pub fn unread_count(events: &[ChatEvent], read_up_to: EventId, me: OperatorId) -> usize {
    events
        .iter()
        .filter(|event| event.id > read_up_to)
        .filter(|event| match &event.kind {
            EventKind::MessagePosted { author, .. } => {
                *author != crate::event::Author::Operator { id: me }
            }
            _ => false,
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Author;
    use uuid::Uuid;

    fn message(id: i64, author: Author) -> ChatEvent {
        ChatEvent {
            id: EventId(id),
            chat_id: ChatId(Uuid::nil()),
            at: Timestamp(0),
            kind: EventKind::MessagePosted {
                author,
                author_name: String::new(),
                body: "x".into(),
                client_id: None,
            },
        }
    }

    #[test]
    fn unread_counts_only_others_messages_after_the_read_marker() {
        let me = OperatorId(Uuid::from_u128(1));
        let events = vec![
            message(1, Author::Visitor),
            message(2, Author::Operator { id: me }),
            message(3, Author::Visitor),
            message(
                4,
                Author::Operator {
                    id: OperatorId(Uuid::from_u128(2)),
                },
            ),
        ];
        assert_eq!(unread_count(&events, EventId(0), me), 3);
        assert_eq!(unread_count(&events, EventId(2), me), 2);
        assert_eq!(unread_count(&events, EventId(4), me), 0);
    }

    #[test]
    fn summary_folds_accept_and_status() {
        let op = OperatorId(Uuid::from_u128(1));
        let mut summary = ChatSummary::new(ChatId(Uuid::nil()), "Vera".into(), Timestamp(0));
        let accepted = EventKind::OperatorAccepted {
            operator: op,
            operator_name: "Ann".into(),
        };
        summary.apply(&accepted);
        summary.apply(&accepted);
        summary.apply(&EventKind::StatusChanged {
            status: ChatStatus::Active,
        });
        assert_eq!(summary.operators, vec!["Ann".to_string()]);
        assert_eq!(summary.status, ChatStatus::Active);
    }

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Role::Admin > Role::Supervisor && Role::Supervisor > Role::Operator);
        for role in [Role::Operator, Role::Supervisor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
