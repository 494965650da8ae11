//! Tickets (O23): the follow-up list. Whatever needs an answer after the live moment has
//! passed — a message left while live chat was off, a visitor's follow-up request, a chat an
//! operator could not finish — becomes a ticket with a status, an assignee and a channel, and
//! a thread of articles: the visitor's message, appended chats, and the operator's email
//! replies. The rules of which status may follow which, and who may see a ticket, live here.

use serde::{Deserialize, Serialize};

use crate::channel::Channel;
use crate::console::Role;
use crate::error::{Error, ErrorCode};
use crate::followup::OfflineReason;
use crate::ids::{ChannelId, ChatId, OperatorId, TicketId, VisitorId};
use crate::time::Timestamp;

/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest email reply, in characters.
pub const MAX_REPLY_CHARS: usize = 20_000;
/// Most tickets a list shows.
pub const TICKETS_SHOWN: i64 = 500;

/// Where a ticket stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Needs an operator's answer.
    Open,
    /// Answered; waiting for the customer.
    Pending,
    /// Done.
    Closed,
}

impl TicketStatus {
    /// Every status, in the order lists show them.
    pub const ALL: [Self; 3] = [Self::Open, Self::Pending, Self::Closed];

    /// As stored and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Closed => "closed",
        }
    }

    /// Reads the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// What the console shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Pending => "Pending",
            Self::Closed => "Closed",
        }
    }

    /// Whether an operator may move a ticket from `self` to `to`. Every change is allowed but
    /// "closed → pending": a closed ticket is reopened first, so that nothing waits on a
    /// customer unseen. Setting the status a ticket already has is refused, so that two
    /// operators acting at once learn that the other was first.
    pub fn change_to(self, to: Self) -> Result<Self, Error> {
        if self == to {
            return Err(Error::new(
                ErrorCode::TicketConflict,
                format!("The ticket is {} already.", to.as_str()),
            ));
        }
        if self == Self::Closed && to == Self::Pending {
            return Err(Error::new(
                ErrorCode::TicketClosed,
                "Reopen the ticket before setting it pending.",
            ));
        }
        Ok(to)
    }

    /// The status after a chat is appended: a chat needs an answer, so a closed or pending
    /// ticket opens again.
    pub fn after_append(self) -> Self {
        Self::Open
    }

    /// The status after an email reply, as the operator chose it: replies to a closed ticket
    /// are refused (reopen it first), and a reply cannot leave the ticket where a reply is
    /// not needed any more without saying so.
    pub fn after_reply(self, then: Self) -> Result<Self, Error> {
        if self == Self::Closed {
            return Err(Error::new(
                ErrorCode::TicketClosed,
                "The ticket is closed: reopen it to reply.",
            ));
        }
        Ok(then)
    }
}

/// What an article of a ticket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ArticleKind {
    /// What the visitor wrote in the bubble's message form.
    Message,
    /// A chat, appended as its transcript.
    Chat,
    /// An operator's email to the visitor.
    Reply,
}

impl ArticleKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::Message, Self::Chat, Self::Reply];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Chat => "chat",
            Self::Reply => "reply",
        }
    }

    /// Reads the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A ticket, as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    /// Id.
    pub id: TicketId,
    /// Its number, for people: "#42".
    pub number: i64,
    /// What it is about.
    pub subject: String,
    /// Where it stands.
    pub status: TicketStatus,
    /// The operator who answers it.
    pub assignee: Option<OperatorId>,
    /// The assignee's name, as shown.
    pub assignee_name: Option<String>,
    /// The channel it belongs to.
    pub channel: Option<ChannelId>,
    /// The visitor it is for.
    pub visitor: Option<VisitorId>,
    /// The visitor's name, or empty.
    pub name: String,
    /// Where replies go, or empty when the visitor gave no address.
    pub email: String,
    /// Why it was opened from the bubble, when it was: `None` for a ticket made from a chat.
    pub reason: Option<OfflineReason>,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When anything about it last changed.
    pub updated_at: Timestamp,
}

/// One entry in a ticket's thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Article {
    /// What it is.
    pub kind: ArticleKind,
    /// Who wrote it, as shown.
    pub author: String,
    /// Its text: a message, a transcript, a reply.
    pub body: String,
    /// The chat it carries.
    pub chat: Option<ChatId>,
    /// Where a reply was sent.
    pub recipient: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

/// A ticket with its thread, oldest article first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketView {
    /// The ticket.
    pub ticket: Ticket,
    /// Its articles.
    pub articles: Vec<Article>,
}

/// Which tickets a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketFilter {
    /// Only this status; `None`: open and pending ones.
    #[serde(default)]
    pub status: Option<TicketStatus>,
    /// Only those assigned to the asking operator.
    #[serde(default)]
    pub mine: bool,
}

/// Whose tickets an operator sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TicketScope {
    /// Every ticket (supervisors and admins).
    All,
    /// Tickets assigned to this operator, in no channel, or in one of these channels (the
    /// channels whose chats are the operator's to answer).
    Operator {
        /// The operator.
        id: OperatorId,
        /// The channels they answer.
        channels: Vec<ChannelId>,
    },
}

impl TicketScope {
    /// Supervisors and admins see every ticket; operators the tickets of the channels whose
    /// chats they answer, those in no channel, and those assigned to them — the same reach as
    /// a waiting chat's (R1).
    pub fn of(role: Role, operator: OperatorId, channels: &[Channel]) -> Self {
        if role >= Role::Supervisor {
            return Self::All;
        }
        Self::Operator {
            id: operator,
            channels: channels
                .iter()
                .filter(|c| crate::channel::answered_by(Some(c), operator))
                .map(|c| c.id)
                .collect(),
        }
    }

    /// Whether a ticket is within reach.
    pub fn sees(&self, ticket: &Ticket) -> bool {
        match self {
            Self::All => true,
            Self::Operator { id, channels } => {
                ticket.assignee == Some(*id) || ticket.channel.is_none_or(|c| channels.contains(&c))
            }
        }
    }
}

/// What turning a chat into a ticket (or appending it to one) does to the chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatAfterTicket {
    /// It is still open: close it, as a participant.
    Close,
    /// It is over already.
    Leave,
}

/// Whether an operator may put a chat into a ticket: a visitor's chat, which they may read
/// ([`crate::transcript::may_read`]; `took_part`: they have been in it); if it is still open they must be a participant in it,
/// because the chat then closes — the ticket carries the conversation on.
pub fn may_ticket_chat(
    state: &crate::ChatState,
    operator: OperatorId,
    role: Role,
    took_part: bool,
) -> Result<ChatAfterTicket, Error> {
    let member = state.member(operator);
    if !crate::transcript::may_read(role, took_part || member.is_some()) {
        return Err(Error::new(
            ErrorCode::ChatNotFound,
            "There is no such chat.",
        ));
    }
    if state.is_private() {
        return Err(Error::new(
            ErrorCode::Forbidden,
            "A chat between operators has no visitor to follow up.",
        ));
    }
    if state.status == crate::ChatStatus::Closed {
        return Ok(ChatAfterTicket::Leave);
    }
    match member.map(|m| m.role) {
        Some(crate::MemberRole::Participant) => Ok(ChatAfterTicket::Close),
        Some(_) => Err(Error::new(
            ErrorCode::ReadOnly,
            "Only a participant can close this chat into a ticket.",
        )),
        None => Err(Error::new(
            ErrorCode::NotAParticipant,
            "Join the chat to close it into a ticket.",
        )),
    }
}

/// Someone a ticket can be given to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    /// Who.
    pub id: OperatorId,
    /// Their name.
    pub name: String,
}

/// What an operator changes on a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", content = "to", rename_all = "snake_case")]
pub enum TicketEdit {
    /// Moves it to another status.
    Status(TicketStatus),
    /// Gives it to an operator, or to nobody.
    Assign(Option<OperatorId>),
    /// Moves it to another channel, or to none.
    Channel(Option<ChannelId>),
}

/// The console's "change this ticket".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditTicket {
    /// Which.
    pub ticket: TicketId,
    /// What.
    pub edit: TicketEdit,
}

/// The console's "turn this chat into a ticket".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketFromChat {
    /// The chat.
    pub chat: ChatId,
    /// The new ticket's subject.
    pub subject: String,
}

/// The console's "append this chat to a ticket".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendChat {
    /// The chat.
    pub chat: ChatId,
    /// The ticket.
    pub ticket: TicketId,
}

/// The console's "reply by email".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketReply {
    /// The ticket.
    pub ticket: TicketId,
    /// The reply.
    pub body: String,
    /// The status it leaves the ticket in.
    pub then: TicketStatus,
}

/// Checks a subject, trimmed.
pub fn parse_subject(raw: &str) -> Result<String, Error> {
    let subject = raw.trim();
    if subject.is_empty() {
        return Err(Error::invalid(
            "subject",
            "Please give the ticket a subject.",
        ));
    }
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(Error::invalid(
            "subject",
            format!("Subjects are limited to {MAX_SUBJECT_CHARS} characters."),
        ));
    }
    Ok(subject.to_owned())
}

/// Checks an email reply's text, trimmed at its end.
pub fn parse_reply(raw: &str) -> Result<String, Error> {
    let body = raw.trim_end();
    if body.trim().is_empty() {
        return Err(Error::invalid("body", "Please write your reply."));
    }
    if body.chars().count() > MAX_REPLY_CHARS {
        return Err(Error::invalid(
            "body",
            format!("Replies are limited to {MAX_REPLY_CHARS} characters."),
        ));
    }
    Ok(body.to_owned())
}

/// The subject of a ticket opened from the bubble's message form: the message's first line,
/// shortened.
pub fn subject_of_message(message: &str) -> String {
    const SHOWN: usize = 80;
    let line = message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("Message");
    if line.chars().count() <= SHOWN {
        return line.to_owned();
    }
    let mut short: String = line.chars().take(SHOWN - 1).collect();
    short.truncate(short.trim_end().len());
    short.push('…');
    short
}

/// The subject line of an emailed reply, so the visitor's mail program threads them.
pub fn reply_subject(ticket: &Ticket) -> String {
    format!("Re: {} [#{}]", ticket.subject, ticket.number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::{Closed, Open, Pending};

    #[test]
    fn every_change_but_closed_to_pending_is_allowed() {
        for from in TicketStatus::ALL {
            for to in TicketStatus::ALL {
                let result = from.change_to(to);
                match (from, to) {
                    (a, b) if a == b => {
                        assert_eq!(result.unwrap_err().code, ErrorCode::TicketConflict);
                    }
                    (Closed, Pending) => {
                        assert_eq!(result.unwrap_err().code, ErrorCode::TicketClosed);
                    }
                    _ => assert_eq!(result.unwrap(), to),
                }
            }
        }
    }

    #[test]
    fn replies_need_an_open_or_pending_ticket_and_appends_reopen() {
        assert_eq!(Open.after_reply(Pending).unwrap(), Pending);
        assert_eq!(Pending.after_reply(Closed).unwrap(), Closed);
        assert_eq!(
            Closed.after_reply(Pending).unwrap_err().code,
            ErrorCode::TicketClosed
        );
        for status in TicketStatus::ALL {
            assert_eq!(status.after_append(), Open);
            assert_eq!(TicketStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn subjects_and_replies_are_checked() {
        assert_eq!(parse_subject("  Refund  ").unwrap(), "Refund");
        assert_eq!(
            parse_subject(" ").unwrap_err().field.as_deref(),
            Some("subject")
        );
        assert!(parse_subject(&"x".repeat(MAX_SUBJECT_CHARS + 1)).is_err());
        assert_eq!(parse_reply("Hello\n\n").unwrap(), "Hello");
        assert_eq!(
            parse_reply(" \n").unwrap_err().field.as_deref(),
            Some("body")
        );
        assert_eq!(
            subject_of_message("\n  Where is my order?\nThanks"),
            "Where is my order?"
        );
        let long = subject_of_message(&"word ".repeat(40));
        assert!(long.ends_with('…') && long.chars().count() <= 80, "{long}");
    }

    #[test]
    fn operators_see_their_channels_and_their_own_tickets() {
        let ann = OperatorId(uuid::Uuid::from_u128(1));
        let bob = OperatorId(uuid::Uuid::from_u128(2));
        let sales = ChannelId(uuid::Uuid::from_u128(10));
        let ticket = |channel, assignee| Ticket {
            id: TicketId(uuid::Uuid::from_u128(100)),
            number: 1,
            subject: "s".into(),
            status: Open,
            assignee,
            assignee_name: None,
            channel,
            visitor: None,
            name: String::new(),
            email: String::new(),
            reason: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        let scope = TicketScope::Operator {
            id: ann,
            channels: vec![],
        };
        assert!(scope.sees(&ticket(None, None)));
        assert!(!scope.sees(&ticket(Some(sales), None)));
        assert!(!scope.sees(&ticket(Some(sales), Some(bob))));
        assert!(scope.sees(&ticket(Some(sales), Some(ann))));
        assert!(TicketScope::All.sees(&ticket(Some(sales), Some(bob))));
    }
}
