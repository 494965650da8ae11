//! Events: the record of every change to a chat. The event log is the truth; a chat's state,
//! the dashboard and every client's view are folds over it.

use serde::Serialize;

use crate::chat::{ChatStatus, MemberRole, OfferKind};
use crate::ids::{ChannelId, ChatId, EventId, OperatorId, VisitorId};
use crate::time::Timestamp;

/// Who wrote a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A visitor started the chat; it now waits for an operator.
    ChatStarted {
        /// The visitor (absent in chats recorded before it was kept here).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visitor: Option<VisitorId>,
        /// The name the visitor gave.
        visitor_name: String,
        /// The channel the visitor chose or the bubble is bound to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<ChannelId>,
    },
    /// An operator started a private chat with another.
    PrivateChatStarted {
        /// Who started it.
        by: OperatorId,
        /// Their chat name.
        by_name: String,
        /// With whom.
        with: OperatorId,
        /// Their chat name.
        with_name: String,
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
        /// A private note: operators only.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        note: bool,
    },
    /// An operator accepted the waiting chat and is now in it.
    OperatorAccepted {
        /// Who.
        operator: OperatorId,
        /// Their chat name, as shown to the visitor.
        operator_name: String,
    },
    /// An operator came into the chat (joined, watches, or answered an invitation or transfer).
    OperatorJoined {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
        /// How.
        role: MemberRole,
    },
    /// An operator in the chat now takes part differently (observer, participant).
    RoleChanged {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
        /// Their role from now on.
        role: MemberRole,
    },
    /// An operator left the chat.
    OperatorLeft {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
        /// Set when they left because the named operator assumed their transfer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transferred_to: Option<String>,
    },
    /// A participant invited another operator, or offered them the chat.
    OfferMade {
        /// Invite or transfer.
        kind: OfferKind,
        /// Who is asked.
        target: OperatorId,
        /// Their chat name.
        target_name: String,
        /// Who asks.
        from: OperatorId,
        /// Their chat name.
        from_name: String,
    },
    /// The target turned an offer down.
    OfferDeclined {
        /// Invite or transfer.
        kind: OfferKind,
        /// Who declined.
        target: OperatorId,
        /// Their chat name.
        target_name: String,
    },
    /// The requester took an offer back.
    OfferWithdrawn {
        /// Invite or transfer.
        kind: OfferKind,
        /// Whom it was made to.
        target: OperatorId,
        /// Their chat name.
        target_name: String,
    },
    /// A participant ended the chat for the visitor; the visitor sees nothing after this.
    VisitorKicked {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
    },
    /// A participant closed the chat for everyone.
    ChatClosed {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
    },
    /// A participant put the chat on hold, or resumed it.
    HoldChanged {
        /// On hold from now on?
        on_hold: bool,
        /// Who.
        operator_name: String,
    },
    /// An operator moved the chat to another channel.
    ChannelChanged {
        /// The channel.
        channel: ChannelId,
        /// Its name then.
        channel_name: String,
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
    },
    /// The visitor ended their part of the chat.
    VisitorLeft,
    /// The chat's status changed.
    StatusChanged {
        /// The new status.
        status: ChatStatus,
    },
    /// Automatic routing assigned the waiting chat to an operator (R2).
    ChatAssigned {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
        /// Why them, e.g. "language en matched; 1 of 3 chats; idle 4 min; 2 other candidates".
        reason: String,
        /// When; the acknowledge time runs from here.
        since: Timestamp,
    },
    /// The assignee declined the chat or let it pass; routing looks for the next candidate.
    AssignmentPassed {
        /// Who had it.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
        /// Why it passed.
        why: crate::routing::PassReason,
    },
    /// The visitor left before any operator answered: a missed chat.
    ChatMissed {
        /// How long the visitor waited (milliseconds).
        waited_ms: i64,
    },
    /// A participant was signed off for inactivity (O17): the chat stays, flagged to
    /// supervisors.
    OperatorInactive {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
    },
    /// The signed-off participant is back.
    OperatorReturned {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
    },
    /// The visitor chose a voice chat when they took up an operator's invitation (V7): that
    /// operator calls them.
    CallRequested {
        /// The operator asked to call.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
    },
    /// An operator in the chat started a voice call with the visitor (V7 O26).
    CallStarted {
        /// Who called.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
        /// When.
        started_at: crate::time::Timestamp,
    },
    /// The voice call ended: hung up by either side, or declined by the visitor.
    CallEnded {
        /// Who had called.
        operator: OperatorId,
        /// How long it lasted, from the call to its end.
        seconds: u32,
        /// The visitor declined it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        declined: bool,
    },
    /// The visitor rated the chat after it ended (V12).
    ChatRated {
        /// 1 to 5.
        stars: u8,
        /// Their comment, or empty.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        comment: String,
    },
}

/// What the visitor reads when an operator ends the chat for them.
pub const KICKED_MESSAGE: &str = "The operator has ended the chat";

impl EventKind {
    /// Every event name, for clients that subscribe to each SSE event type.
    pub const NAMES: [&'static str; 25] = [
        "chat_started",
        "private_chat_started",
        "message_posted",
        "operator_accepted",
        "operator_joined",
        "role_changed",
        "operator_left",
        "offer_made",
        "offer_declined",
        "offer_withdrawn",
        "visitor_kicked",
        "chat_closed",
        "hold_changed",
        "channel_changed",
        "visitor_left",
        "status_changed",
        "chat_assigned",
        "assignment_passed",
        "chat_missed",
        "operator_inactive",
        "operator_returned",
        "chat_rated",
        "call_requested",
        "call_started",
        "call_ended",
    ];

    /// The snake_case name used as the SSE `event:` field.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ChatStarted { .. } => "chat_started",
            Self::PrivateChatStarted { .. } => "private_chat_started",
            Self::MessagePosted { .. } => "message_posted",
            Self::OperatorAccepted { .. } => "operator_accepted",
            Self::OperatorJoined { .. } => "operator_joined",
            Self::RoleChanged { .. } => "role_changed",
            Self::OperatorLeft { .. } => "operator_left",
            Self::OfferMade { .. } => "offer_made",
            Self::OfferDeclined { .. } => "offer_declined",
            Self::OfferWithdrawn { .. } => "offer_withdrawn",
            Self::VisitorKicked { .. } => "visitor_kicked",
            Self::ChatClosed { .. } => "chat_closed",
            Self::HoldChanged { .. } => "hold_changed",
            Self::ChannelChanged { .. } => "channel_changed",
            Self::VisitorLeft => "visitor_left",
            Self::StatusChanged { .. } => "status_changed",
            Self::ChatAssigned { .. } => "chat_assigned",
            Self::AssignmentPassed { .. } => "assignment_passed",
            Self::ChatMissed { .. } => "chat_missed",
            Self::OperatorInactive { .. } => "operator_inactive",
            Self::OperatorReturned { .. } => "operator_returned",
            Self::ChatRated { .. } => "chat_rated",
            Self::CallStarted { .. } => "call_started",
            Self::CallEnded { .. } => "call_ended",
            Self::CallRequested { .. } => "call_requested",
        }
    }

    /// Whether this event changes what the dashboard shows for a visitor chat, so that every
    /// operator (not only the chat's members) receives it when its visibility allows.
    pub fn concerns_dashboard(&self) -> bool {
        !crate::reach::CHAT_ONLY_KINDS.contains(&self.name())
    }

    /// The operator this event is about, if it brings them into the chat or takes them out.
    pub fn membership_of(&self) -> Option<(OperatorId, bool)> {
        match self {
            Self::OperatorAccepted { operator, .. }
            | Self::OperatorJoined { operator, .. }
            | Self::RoleChanged { operator, .. } => Some((*operator, true)),
            Self::OperatorLeft { operator, .. } => Some((*operator, false)),
            _ => None,
        }
    }

    /// A line describing the event for a chat's conversation, as `viewer` should read it.
    /// Messages have no line (they are shown as messages).
    pub fn describe(&self, viewer: crate::chat::Viewer) -> Option<String> {
        use crate::chat::Viewer;
        let to_visitor = viewer == Viewer::Visitor;
        Some(match self {
            Self::ChatStarted { visitor_name, .. } => {
                if to_visitor {
                    return None;
                }
                format!("{visitor_name} started the chat")
            }
            Self::PrivateChatStarted {
                by_name, with_name, ..
            } => {
                format!("{by_name} started a private chat with {with_name}")
            }
            Self::MessagePosted { .. } => return None,
            Self::OperatorAccepted { operator_name, .. } => {
                format!("{operator_name} joined the chat")
            }
            Self::OperatorJoined {
                operator_name,
                role,
                ..
            }
            | Self::RoleChanged {
                operator_name,
                role,
                ..
            } => match role {
                MemberRole::Participant => format!("{operator_name} joined the chat"),
                MemberRole::Observer => format!("{operator_name} is observing the chat"),
                MemberRole::Watcher => {
                    format!("{operator_name} is watching the chat (nobody else is told)")
                }
            },
            Self::OperatorLeft {
                operator_name,
                transferred_to,
                ..
            } => match transferred_to {
                Some(to) if to_visitor => format!("{operator_name} transferred you to {to}"),
                Some(to) => format!("{operator_name} transferred the chat to {to}"),
                None => format!("{operator_name} left the chat"),
            },
            Self::OfferMade {
                kind: OfferKind::Invite,
                from_name,
                target_name,
                ..
            } => {
                format!("{from_name} invited {target_name}")
            }
            Self::OfferMade {
                kind: OfferKind::Transfer,
                from_name,
                target_name,
                ..
            } => {
                format!("{from_name} offered the chat to {target_name}")
            }
            Self::OfferDeclined { target_name, .. } => format!("{target_name} declined"),
            Self::OfferWithdrawn { target_name, .. } => {
                format!("The request to {target_name} was withdrawn")
            }
            Self::VisitorKicked { operator_name, .. } => {
                if to_visitor {
                    KICKED_MESSAGE.to_owned()
                } else {
                    format!("{operator_name} ended the chat for the visitor")
                }
            }
            Self::ChatClosed { operator_name, .. } => format!("{operator_name} closed the chat"),
            Self::HoldChanged {
                on_hold: true,
                operator_name,
            } => {
                if to_visitor {
                    format!("{operator_name} will be right back with you")
                } else {
                    format!("{operator_name} put the chat on hold")
                }
            }
            Self::HoldChanged {
                on_hold: false,
                operator_name,
            } => {
                if to_visitor {
                    format!("{operator_name} is back")
                } else {
                    format!("{operator_name} resumed the chat")
                }
            }
            Self::ChannelChanged {
                channel_name,
                operator_name,
                ..
            } => format!("{operator_name} moved the chat to {channel_name}"),
            Self::VisitorLeft => {
                if to_visitor {
                    "You ended the chat".to_owned()
                } else {
                    "The visitor left the chat".to_owned()
                }
            }
            Self::ChatAssigned {
                operator_name,
                reason,
                ..
            } => format!("Assigned to {operator_name}: {reason}"),
            Self::AssignmentPassed {
                operator_name, why, ..
            } => format!("{operator_name} {}", why.describe()),
            Self::ChatMissed { waited_ms } => {
                let seconds = waited_ms / 1000;
                let waited = if seconds < 60 {
                    format!("{seconds} s")
                } else {
                    format!("{} min {} s", seconds / 60, seconds % 60)
                };
                format!("Missed: the visitor left after waiting {waited} with no answer")
            }
            Self::OperatorInactive { operator_name, .. } => {
                format!("{operator_name} was signed off for inactivity; the chat needs someone")
            }
            Self::OperatorReturned { operator_name, .. } => format!("{operator_name} is back"),
            Self::CallRequested { operator_name, .. } => {
                if to_visitor {
                    format!("You asked for a voice chat: {operator_name} will call you")
                } else {
                    format!("The visitor asked {operator_name} for a voice chat")
                }
            }
            Self::CallStarted { operator_name, .. } => {
                format!("{operator_name} started a voice call")
            }
            Self::CallEnded { declined: true, .. } => "The voice call was declined".to_owned(),
            Self::CallEnded { seconds, .. } => {
                format!(
                    "The voice call ended after {}:{:02}",
                    seconds / 60,
                    seconds % 60
                )
            }
            Self::ChatRated { stars, comment } => {
                let rating = crate::rating::Rating {
                    stars: *stars,
                    comment: comment.clone(),
                };
                let said = if comment.is_empty() {
                    String::new()
                } else {
                    format!(": “{comment}”")
                };
                if to_visitor {
                    format!(
                        "You rated the chat {} ({stars}/5){said}",
                        rating.stars_text()
                    )
                } else {
                    format!(
                        "The visitor rated the chat {} ({stars}/5){said}",
                        rating.stars_text()
                    )
                }
            }
            Self::StatusChanged { status } => match status {
                ChatStatus::Waiting if !to_visitor => {
                    "Nobody is answering: the chat is waiting again".to_owned()
                }
                ChatStatus::Waiting => "Waiting for an operator".to_owned(),
                _ => return None,
            },
        })
    }
}

/// One stored event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
                note: false,
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
