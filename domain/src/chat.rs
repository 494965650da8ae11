//! The chat state machine: which actor may do what in which state, and what that records.
//!
//! `decide` is the only place these rules live. It is a pure function of the chat's state, the
//! actor and the command; it answers the events to append or the error to return. `apply` folds
//! an event into the state, so replaying a chat's events rebuilds it exactly.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};
use crate::event::{Author, EventKind};
use crate::ids::{ChatId, OperatorId, VisitorId};

/// Largest message accepted, in bytes of UTF-8 text (4 KiB).
pub const MAX_MESSAGE_BYTES: usize = 4096;
/// Longest visitor or operator display name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest client idempotency key, in bytes.
pub const MAX_CLIENT_ID_BYTES: usize = 64;
/// Name shown for a visitor who gave none (where the name is optional).
pub const ANONYMOUS_VISITOR: &str = "Visitor";

/// Where a chat is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    /// Started by a visitor, no operator yet.
    Waiting,
    /// A visitor and at least one operator.
    Active,
    /// The visitor is gone; operators are still in it.
    Vacant,
    /// Over for everyone.
    Closed,
}

impl ChatStatus {
    /// Every status, for exhaustive tests and lists.
    pub const ALL: [ChatStatus; 4] = [Self::Waiting, Self::Active, Self::Vacant, Self::Closed];

    /// The status as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Active => "active",
            Self::Vacant => "vacant",
            Self::Closed => "closed",
        }
    }

    /// Parses a stored status.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// Who issues a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A visitor, identified by their token.
    Visitor(VisitorId),
    /// A logged-in operator, with the chat name shown to visitors.
    Operator {
        /// Who.
        id: OperatorId,
        /// Their chat name.
        name: String,
    },
}

/// A validated message text: not blank, at most [`MAX_MESSAGE_BYTES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    /// Validates a message as typed. Surrounding blank lines and spaces are removed; the text
    /// inside is kept as it is (new lines included).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(Error::new(ErrorCode::EmptyMessage, "The message is empty."));
        }
        if trimmed.len() > MAX_MESSAGE_BYTES {
            return Err(Error::new(
                ErrorCode::MessageTooLong,
                format!("Messages are limited to {MAX_MESSAGE_BYTES} bytes."),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Validates an optional idempotency key sent with a message.
pub fn parse_client_id(client_id: Option<&str>) -> Result<Option<String>, Error> {
    match client_id.map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) if id.len() > MAX_CLIENT_ID_BYTES || id.chars().any(char::is_control) => {
            Err(Error::new(
                ErrorCode::InvalidField,
                "client_id must be at most 64 printable bytes.",
            ))
        }
        Some(id) => Ok(Some(id.to_owned())),
    }
}

/// Validates a display name. Blank names are `None` when optional and an error when required.
pub fn parse_display_name(name: Option<&str>, required: bool) -> Result<Option<String>, Error> {
    let trimmed = name.map(str::trim).unwrap_or_default();
    if trimmed.is_empty() {
        return if required {
            Err(Error::new(
                ErrorCode::NameRequired,
                "Please enter your name.",
            ))
        } else {
            Ok(None)
        };
    }
    if trimmed.chars().count() > MAX_NAME_CHARS || trimmed.chars().any(char::is_control) {
        return Err(Error::new(
            ErrorCode::InvalidField,
            format!("Names are limited to {MAX_NAME_CHARS} printable characters."),
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

/// What an actor asks to do to an existing chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// An operator takes a waiting chat.
    Accept,
    /// Post a message.
    PostMessage {
        /// The text.
        body: MessageBody,
        /// The sender's idempotency key.
        client_id: Option<String>,
    },
    /// The visitor ends their part ("End chat", or closing the bubble for good).
    EndVisit,
}

/// A chat as the state machine sees it: what the rules need, nothing more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatState {
    /// The chat.
    pub id: ChatId,
    /// Its visitor.
    pub visitor: VisitorId,
    /// The visitor's name as given at start.
    pub visitor_name: String,
    /// Current status.
    pub status: ChatStatus,
    /// Operators currently in the chat, in the order they came.
    pub operators: Vec<OperatorId>,
    /// Whether the visitor is still in the chat.
    pub visitor_present: bool,
}

impl ChatState {
    /// A new chat started by a visitor with their first message: the state and its first events.
    pub fn start(
        id: ChatId,
        visitor: VisitorId,
        visitor_name: String,
        first_message: MessageBody,
        client_id: Option<String>,
    ) -> (Self, Vec<EventKind>) {
        let events = vec![
            EventKind::ChatStarted {
                visitor_name: visitor_name.clone(),
            },
            EventKind::MessagePosted {
                author: Author::Visitor,
                author_name: visitor_name.clone(),
                body: first_message.0,
                client_id,
            },
        ];
        let mut state = Self {
            id,
            visitor,
            visitor_name,
            status: ChatStatus::Waiting,
            operators: Vec::new(),
            visitor_present: false,
        };
        for event in &events {
            state.apply(event);
        }
        (state, events)
    }

    /// Whether the chat is still open for its visitor (they may post and end it).
    pub fn open_for_visitor(&self) -> bool {
        self.visitor_present && matches!(self.status, ChatStatus::Waiting | ChatStatus::Active)
    }

    /// Whether the operator is a member of the chat.
    pub fn has_operator(&self, operator: OperatorId) -> bool {
        self.operators.contains(&operator)
    }

    /// Decides a command: the events to record, or why it is refused. Never changes `self`.
    pub fn decide(&self, actor: &Actor, command: &Command) -> Result<Vec<EventKind>, Error> {
        if let Actor::Visitor(visitor) = actor {
            // Another visitor's chat does not exist as far as this visitor can tell.
            if *visitor != self.visitor {
                return Err(Error::new(ErrorCode::ChatNotFound, "No such chat."));
            }
        }
        match (command, actor) {
            (Command::Accept, Actor::Visitor(_)) => Err(Error::new(
                ErrorCode::Forbidden,
                "Only operators can accept chats.",
            )),
            (Command::Accept, Actor::Operator { id, name }) => match self.status {
                ChatStatus::Waiting => Ok(vec![
                    EventKind::OperatorAccepted {
                        operator: *id,
                        operator_name: name.clone(),
                    },
                    EventKind::StatusChanged {
                        status: ChatStatus::Active,
                    },
                ]),
                ChatStatus::Closed => Err(Error::new(
                    ErrorCode::ChatNotWaiting,
                    "This chat has ended.",
                )),
                ChatStatus::Active | ChatStatus::Vacant => Err(Error::new(
                    ErrorCode::ChatNotWaiting,
                    "This chat was already taken by another operator.",
                )),
            },
            (Command::PostMessage { body, client_id }, Actor::Visitor(_)) => {
                if !self.open_for_visitor() {
                    return Err(Error::new(ErrorCode::ChatClosed, "This chat has ended."));
                }
                Ok(vec![EventKind::MessagePosted {
                    author: Author::Visitor,
                    author_name: self.visitor_name.clone(),
                    body: body.0.clone(),
                    client_id: client_id.clone(),
                }])
            }
            (Command::PostMessage { body, client_id }, Actor::Operator { id, name }) => {
                if self.status == ChatStatus::Closed {
                    return Err(Error::new(ErrorCode::ChatClosed, "This chat has ended."));
                }
                if !self.has_operator(*id) {
                    return Err(Error::new(
                        ErrorCode::NotAParticipant,
                        "You are not in this chat.",
                    ));
                }
                Ok(vec![EventKind::MessagePosted {
                    author: Author::Operator { id: *id },
                    author_name: name.clone(),
                    body: body.0.clone(),
                    client_id: client_id.clone(),
                }])
            }
            (Command::EndVisit, Actor::Operator { .. }) => Err(Error::new(
                ErrorCode::Forbidden,
                "Only the visitor can end their part of the chat.",
            )),
            (Command::EndVisit, Actor::Visitor(_)) => {
                if !self.open_for_visitor() {
                    return Err(Error::new(ErrorCode::ChatClosed, "This chat has ended."));
                }
                let status = if self.operators.is_empty() {
                    ChatStatus::Closed
                } else {
                    ChatStatus::Vacant
                };
                Ok(vec![
                    EventKind::VisitorLeft,
                    EventKind::StatusChanged { status },
                ])
            }
        }
    }

    /// Folds one event into the state.
    pub fn apply(&mut self, event: &EventKind) {
        match event {
            EventKind::ChatStarted { visitor_name } => {
                self.visitor_name.clone_from(visitor_name);
                self.status = ChatStatus::Waiting;
                self.visitor_present = true;
            }
            EventKind::MessagePosted { .. } => {}
            EventKind::OperatorAccepted { operator, .. } => {
                if !self.operators.contains(operator) {
                    self.operators.push(*operator);
                }
            }
            EventKind::VisitorLeft => self.visitor_present = false,
            EventKind::StatusChanged { status } => self.status = *status,
        }
    }

    /// Decides and applies in one step: the events recorded, with `self` updated.
    pub fn execute(&mut self, actor: &Actor, command: &Command) -> Result<Vec<EventKind>, Error> {
        let events = self.decide(actor, command)?;
        for event in &events {
            self.apply(event);
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests;
