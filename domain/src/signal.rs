//! Signals: what is happening right now (typing, viewing, who is online) rather than what
//! happened. They are never stored and carry no event id, so a reconnecting client does not
//! replay them; it learns the current picture from the next signals (they repeat while true).

use serde::Serialize;

use crate::event::Author;
use crate::ids::{ChatId, EventId, InvitationId, OperatorId, VisitorId};
use crate::visitor::InvitationStatus;

/// How long a "typing" or "viewing" signal holds without being repeated, in milliseconds.
pub const SIGNAL_TTL_MS: i64 = 6_000;
/// How often a client repeats a signal that still holds, in milliseconds.
pub const SIGNAL_REPEAT_MS: i64 = 3_000;

/// A passing state of someone in a chat, or of an operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Signal {
    /// Someone is (or stopped) typing in a chat.
    Typing {
        /// The chat.
        chat_id: ChatId,
        /// Who.
        author: Author,
        /// Their name as shown in the chat.
        name: String,
        /// Typing now?
        active: bool,
        /// Typing a private note (never shown to the visitor).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        note: bool,
    },
    /// An operator has (or no longer has) a chat open in front of them.
    Viewing {
        /// The chat.
        chat_id: ChatId,
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        name: String,
        /// Viewing now?
        active: bool,
    },
    /// An operator's console came online or went away.
    Presence {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        name: String,
        /// Online now?
        online: bool,
        /// Set Unavailable by hand: online, but taking no chats.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unavailable: bool,
    },
    /// Channels or who serves them changed: consoles list them afresh.
    ChannelsChanged,
    /// A ticket was opened or changed: consoles count and list them afresh.
    TicketsChanged,
    /// A waiting visitor's place in the queue changed (V4).
    Queue {
        /// The waiting chat.
        chat_id: ChatId,
        /// 1-based position in the chat's channel.
        position: u32,
        /// Roughly how long until an operator takes the chat, when there is a basis.
        estimated_wait_seconds: Option<u32>,
    },
    /// The other side has seen a chat up to an event (V5): the visitor hears it of the
    /// operators (a participant read their messages), the operators of the visitor.
    Seen {
        /// The chat.
        chat_id: ChatId,
        /// The visitor saw it (else an operator in the chat did).
        by_visitor: bool,
        /// The newest event seen.
        up_to: EventId,
    },
    /// The visitor of a chat moved to another page of the site.
    VisitorPage {
        /// The chat.
        chat_id: ChatId,
        /// The page's address.
        url: String,
    },
    /// An operator invites the visitor to chat (O25): their page shows the request.
    Invited {
        /// The invitation.
        invitation_id: InvitationId,
        /// Who invites, by the name the invitation is signed with.
        operator_name: String,
        /// The invitation's text.
        message: String,
    },
    /// What became of an invitation, told to the operator who sent it.
    InvitationChanged {
        /// The invitation.
        invitation_id: InvitationId,
        /// Whom it invited.
        visitor_id: VisitorId,
        /// Its state now.
        status: InvitationStatus,
        /// The chat it opened, once accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chat_id: Option<ChatId>,
    },
    /// What one browser of a voice call tells the other (V7 O26), relayed to the other party
    /// of the call only.
    Call {
        /// The chat.
        chat_id: ChatId,
        /// Sent by the visitor (else by the operator who called).
        from_visitor: bool,
        /// What it says.
        signal: crate::call::CallSignal,
    },
    /// Visitors arrived, moved or left: consoles list them afresh. Coalesced by each node to
    /// about one a second, however busy the site.
    VisitorsChanged,
}

impl Signal {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Typing { .. } => "typing",
            Self::Viewing { .. } => "viewing",
            Self::Presence { .. } => "presence",
            Self::VisitorPage { .. } => "visitor_page",
            Self::Seen { .. } => "seen",
            Self::Queue { .. } => "queue",
            Self::ChannelsChanged => "channels_changed",
            Self::TicketsChanged => "tickets_changed",
            Self::Invited { .. } => "invited",
            Self::InvitationChanged { .. } => "invitation_changed",
            Self::VisitorsChanged => "visitors_changed",
            Self::Call { .. } => "call",
        }
    }

    /// Every signal name, for clients that subscribe to each SSE event type.
    pub const NAMES: [&'static str; 12] = [
        "typing",
        "seen",
        "viewing",
        "presence",
        "visitor_page",
        "channels_changed",
        "tickets_changed",
        "queue",
        "invited",
        "invitation_changed",
        "visitors_changed",
        "call",
    ];

    /// The chat it is about, if any.
    pub fn chat(&self) -> Option<ChatId> {
        match self {
            Self::Typing { chat_id, .. }
            | Self::Viewing { chat_id, .. }
            | Self::VisitorPage { chat_id, .. }
            | Self::Seen { chat_id, .. }
            | Self::Call { chat_id, .. }
            | Self::Queue { chat_id, .. } => Some(*chat_id),
            Self::Presence { .. }
            | Self::ChannelsChanged
            | Self::TicketsChanged
            | Self::Invited { .. }
            | Self::InvitationChanged { .. }
            | Self::VisitorsChanged => None,
        }
    }

    /// Whether the chat's visitor may receive it: only participants typing a message, their
    /// own place in the queue, and the operators having seen their messages.
    pub fn for_visitor(&self) -> bool {
        matches!(
            self,
            Self::Typing {
                author: Author::Operator { .. },
                note: false,
                ..
            } | Self::Queue { .. }
                | Self::Invited { .. }
                | Self::Call {
                    from_visitor: false,
                    ..
                }
                | Self::Seen {
                    by_visitor: false,
                    ..
                }
        )
    }

    /// Whether `operator` sent it (nobody is told about themselves).
    pub fn from_operator(&self, operator: OperatorId) -> bool {
        match self {
            Self::Typing {
                author: Author::Operator { id },
                ..
            } => *id == operator,
            Self::Viewing { operator: who, .. } | Self::Presence { operator: who, .. } => {
                *who == operator
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn visitors_only_hear_operators_typing_messages() {
        let chat_id = ChatId(Uuid::nil());
        let op = OperatorId(Uuid::from_u128(1));
        let typing = |author, note| Signal::Typing {
            chat_id,
            author,
            name: "x".into(),
            active: true,
            note,
        };
        assert!(typing(Author::Operator { id: op }, false).for_visitor());
        assert!(!typing(Author::Operator { id: op }, true).for_visitor());
        assert!(!typing(Author::Visitor, false).for_visitor());
        let viewing = Signal::Viewing {
            chat_id,
            operator: op,
            name: "x".into(),
            active: true,
        };
        assert!(!viewing.for_visitor());
        assert!(viewing.from_operator(op));
        let json = serde_json::to_value(&viewing).unwrap_or_default();
        assert_eq!(json["type"], viewing.name());
    }
}
