//! Events: the record of every change to a chat. The event log is the truth; a chat's state,
//! the dashboard and every client's view are folds over it.

use serde::{Deserialize, Serialize};

use crate::chat::ChatStatus;
use crate::ids::{ChatId, EventId, OperatorId};
use crate::time::Timestamp;

/// Who wrote a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Author {
    /// The chat's visitor.
    Visitor,
    /// An operator in the chat.
    Operator {
        /// Who.
        id: OperatorId,
    },
}

/// What happened. Serialised with a `type` tag so clients can switch on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A visitor started the chat; it now waits for an operator.
    ChatStarted {
        /// The name the visitor gave.
        visitor_name: String,
    },
    /// A message was posted.
    MessagePosted {
        /// Who wrote it.
        author: Author,
        /// The name shown next to it (visitor's name, or the operator's chat name).
        author_name: String,
        /// The text, shown as text (never as HTML).
        body: String,
        /// The sender's idempotency key, so a client can match the echo of its own message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// An operator accepted the waiting chat and is now in it.
    OperatorAccepted {
        /// Who.
        operator: OperatorId,
        /// Their chat name, as shown to the visitor.
        operator_name: String,
    },
    /// The visitor ended their part of the chat.
    VisitorLeft,
    /// The chat's status changed.
    StatusChanged {
        /// The new status.
        status: ChatStatus,
    },
}

impl EventKind {
    /// Every event name, for clients that subscribe to each SSE event type.
    pub const NAMES: [&'static str; 5] = [
        "chat_started",
        "message_posted",
        "operator_accepted",
        "visitor_left",
        "status_changed",
    ];

    /// The snake_case name used as the SSE `event:` field.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ChatStarted { .. } => "chat_started",
            Self::MessagePosted { .. } => "message_posted",
            Self::OperatorAccepted { .. } => "operator_accepted",
            Self::VisitorLeft => "visitor_left",
            Self::StatusChanged { .. } => "status_changed",
        }
    }

    /// Whether the chat's visitor may see this event.
    pub fn visible_to_visitor(&self) -> bool {
        true
    }

    /// Whether this event changes what the dashboard shows for the chat, so that every operator
    /// (not only the chat's members) receives it.
    pub fn concerns_dashboard(&self) -> bool {
        !matches!(self, Self::MessagePosted { .. })
    }
}

/// One stored event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatEvent {
    /// Position in the global log.
    pub id: EventId,
    /// The chat it belongs to.
    pub chat_id: ChatId,
    /// When it was committed.
    pub at: Timestamp,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn event_serialises_flat_with_type_tag_and_round_trips() {
        let event = ChatEvent {
            id: EventId(7),
            chat_id: ChatId(Uuid::nil()),
            at: Timestamp(1),
            kind: EventKind::MessagePosted {
                author: Author::Visitor,
                author_name: "Ann".into(),
                body: "hi".into(),
                client_id: Some("c1".into()),
            },
        };
        let json = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(json["type"], "message_posted");
        assert_eq!(json["id"], 7);
        assert_eq!(json["author"]["kind"], "visitor");
        let back: ChatEvent = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, event);
    }
}
