//! The chat state machine: which actor may do what in which state, and what that records.
//!
//! `decide` is the only place these rules live. It is a pure function of the chat's state, the
//! actor and the command; it answers the events to append or the error to return. `apply` folds
//! an event into the state, so replaying a chat's events rebuilds it exactly.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode};
use crate::event::{Author, EventKind};
use crate::ids::{ChannelId, ChatId, OperatorId, VisitorId};
pub use crate::routing::{Assignment, PassReason};
use crate::time::Timestamp;

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Switchboard itself: routing, timeouts and escalation.
    System,
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

/// Whether a character may not appear in a name: control characters, and the invisible ones
/// that make a name read differently from what it is (bidirectional overrides, isolates and
/// marks; zero-width spaces and joiners), so one person cannot pass for another.
pub fn unfit_for_names(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Whether an address a visitor's browser reported is a web page (`http` or `https`): other
/// schemes (`javascript:`, `data:`…) are never shown to operators as a link.
pub fn is_web_address(address: &str) -> bool {
    let lower = address.get(..8).unwrap_or(address).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && !address.chars().any(char::is_control)
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
    if trimmed.chars().count() > MAX_NAME_CHARS || trimmed.chars().any(unfit_for_names) {
        return Err(Error::new(
            ErrorCode::InvalidField,
            format!("Names are limited to {MAX_NAME_CHARS} printable characters."),
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

/// How an operator is in a chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Visible to everyone and may post.
    Participant,
    /// Read-only; other operators see them, the visitor does not.
    Observer,
    /// Read-only and invisible to everyone else in the chat.
    Watcher,
}

impl MemberRole {
    /// The role as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Participant => "participant",
            Self::Observer => "observer",
            Self::Watcher => "watcher",
        }
    }

    /// Parses a stored or submitted role.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Participant, Self::Observer, Self::Watcher]
            .into_iter()
            .find(|role| role.as_str() == s)
    }
}

/// An operator in a chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// Who.
    pub id: OperatorId,
    /// Their chat name.
    pub name: String,
    /// How they are in it.
    pub role: MemberRole,
}

/// What an operator offers another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// Come and help: the inviter stays.
    Invite,
    /// Take over: the requester leaves when the target assumes the chat.
    Transfer,
}

impl OfferKind {
    /// The kind as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::Transfer => "transfer",
        }
    }
}

/// A pending invitation or transfer, until the target answers or the requester withdraws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Offer {
    /// Invite or transfer.
    pub kind: OfferKind,
    /// Who is asked.
    pub target: OperatorId,
    /// Their chat name.
    pub target_name: String,
    /// Who asks.
    pub from: OperatorId,
    /// Their chat name.
    pub from_name: String,
}

/// Who may see an event. Decided once, when the event is recorded, from the chat as it was
/// then, and stored with it: live streams, replays and reloads all obey the same answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The visitor and the operators.
    Everyone,
    /// Operators only (notes, observers, offers; everything after a kick).
    Operators,
    /// One operator only (a watcher's own coming and going).
    Operator(OperatorId),
}

/// Someone reading a chat's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// The chat's visitor.
    Visitor,
    /// An operator.
    Operator(OperatorId),
}

impl Visibility {
    /// Whether `viewer` may see an event with this visibility.
    pub fn admits(self, viewer: Viewer) -> bool {
        match (self, viewer) {
            (Self::Everyone, _) | (Self::Operators, Viewer::Operator(_)) => true,
            (Self::Operator(only), Viewer::Operator(id)) => only == id,
            (Self::Operators | Self::Operator(_), Viewer::Visitor) => false,
        }
    }

    /// The stored form: `everyone`, `operators` or the one operator's id.
    pub fn to_stored(self) -> String {
        match self {
            Self::Everyone => "everyone".into(),
            Self::Operators => "operators".into(),
            Self::Operator(id) => id.0.to_string(),
        }
    }

    /// Parses the stored form.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "everyone" => Some(Self::Everyone),
            "operators" => Some(Self::Operators),
            other => uuid::Uuid::parse_str(other)
                .ok()
                .map(|id| Self::Operator(OperatorId(id))),
        }
    }

    /// Narrows to operators: used once the visitor may no longer see the chat.
    fn operators_only(self) -> Self {
        match self {
            Self::Everyone => Self::Operators,
            other => other,
        }
    }
}

/// What an actor asks to do to an existing chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// An operator takes a waiting chat.
    Accept,
    /// An operator joins an active chat as a participant.
    Join,
    /// An operator enters a chat invisibly, read-only.
    Watch,
    /// A participant invites another operator, or offers them the chat.
    Offer {
        /// Invite or transfer.
        kind: OfferKind,
        /// Who (the service checks they are online).
        target: OperatorId,
        /// Their chat name.
        target_name: String,
    },
    /// The target of an invitation enters as a participant or an observer.
    AcceptInvite {
        /// Participant or observer.
        role: MemberRole,
    },
    /// The target of a transfer takes the chat; the requester leaves.
    AssumeTransfer,
    /// The target turns an offer down.
    DeclineOffer,
    /// The requester takes an offer back.
    WithdrawOffer {
        /// Whom it was made to.
        target: OperatorId,
    },
    /// A participant becomes an observer or the other way round.
    SwitchRole {
        /// Participant or observer.
        role: MemberRole,
    },
    /// An operator leaves the chat.
    Leave,
    /// A participant ends the chat for the visitor, who sees nothing after it.
    Kick,
    /// A participant ends the chat for everyone.
    Close,
    /// A participant puts the chat on hold (or resumes it).
    Hold {
        /// On hold after this?
        on: bool,
    },
    /// Post a message.
    PostMessage {
        /// The text.
        body: MessageBody,
        /// The sender's idempotency key.
        client_id: Option<String>,
    },
    /// Add a note only operators see.
    AddNote {
        /// The text.
        body: MessageBody,
        /// The sender's idempotency key.
        client_id: Option<String>,
    },
    /// The visitor ends their part ("End chat", or closing the bubble for good).
    EndVisit {
        /// How long the chat has been open: recorded as its waiting time if nobody answered.
        waited_ms: i64,
    },
    /// Routing assigns the waiting chat to an operator, who may accept or decline it.
    Assign {
        /// Who.
        operator: OperatorId,
        /// Their chat name.
        operator_name: String,
        /// Why them.
        reason: String,
        /// When.
        since: crate::time::Timestamp,
    },
    /// Routing takes the chat from its assignee (no answer, escalation, gone); nothing when
    /// it is no longer theirs.
    PassAssignment {
        /// Whose assignment.
        operator: OperatorId,
        /// Why.
        why: PassReason,
    },
    /// The assignee turns the chat down; routing offers it to the next candidate.
    DeclineAssignment,
    /// The operator was signed off for inactivity (O17): their offers are withdrawn and, where
    /// they take part, the chat is flagged to supervisors.
    SignOff {
        /// Who.
        operator: OperatorId,
    },
    /// The signed-off operator is back: their flag comes off the chat.
    Return {
        /// Who.
        operator: OperatorId,
    },
    /// A participant calls the visitor (V7 O26).
    StartCall {
        /// Now.
        at: Timestamp,
    },
    /// The call ends: hung up by either of its two parties, or declined by the visitor.
    EndCall {
        /// Now.
        at: Timestamp,
        /// The visitor declined it.
        declined: bool,
    },
    /// The visitor rates the chat they were in, once it is over for them (V12).
    Rate {
        /// Stars and comment, validated.
        rating: crate::rating::Rating,
    },
    /// Moves the chat to another channel (the service checks the channel is open).
    ChangeChannel {
        /// The channel.
        channel: ChannelId,
        /// Its name, for the conversation's line.
        channel_name: String,
    },
}

/// A chat as the state machine sees it: what the rules need, nothing more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatState {
    /// The chat.
    pub id: ChatId,
    /// Its visitor; `None` for a private chat between operators.
    pub visitor: Option<VisitorId>,
    /// The visitor's name as given at start (empty for a chat between operators).
    pub visitor_name: String,
    /// Current status.
    pub status: ChatStatus,
    /// Operators in the chat, in the order they came.
    #[serde(default)]
    pub members: Vec<Member>,
    /// Pending invitations and transfers.
    #[serde(default)]
    pub offers: Vec<Offer>,
    /// Whether the visitor is still in the chat.
    pub visitor_present: bool,
    /// A participant put the chat on hold.
    #[serde(default)]
    pub on_hold: bool,
    /// The visitor was kicked: from then on they see nothing.
    #[serde(default)]
    pub visitor_kicked: bool,
    /// The channel whose queue the chat is in; `None` for everyone's queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelId>,
    /// The operator automatic routing chose, while the chat waits for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<Assignment>,
    /// Operators this chat was assigned to and who declined or let it pass: not chosen again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed_over: Vec<OperatorId>,
    /// Whether an operator ever took part: a chat that ends without one was missed.
    #[serde(default)]
    pub answered: bool,
    /// Participants signed off for inactivity while in the chat: flagged to supervisors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flagged: Vec<OperatorId>,
    /// The visitor's rating, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<crate::rating::Rating>,
    /// The voice call under way, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<crate::call::Call>,
}

fn not_in_chat() -> Error {
    Error::new(ErrorCode::NotAParticipant, "You are not in this chat.")
}

fn read_only() -> Error {
    Error::new(
        ErrorCode::ReadOnly,
        "You are only following this chat; join it as a participant to do that.",
    )
}

fn chat_ended() -> Error {
    Error::new(ErrorCode::ChatClosed, "This chat has ended.")
}

fn no_offer() -> Error {
    Error::new(
        ErrorCode::NoPendingOffer,
        "There is no such invitation or transfer any more.",
    )
}

fn private_chat() -> Error {
    Error::new(
        ErrorCode::Forbidden,
        "That is not possible in a private chat between operators.",
    )
}

impl ChatState {
    /// A new chat started by a visitor with their first message: the state and its first events.
    pub fn start(
        id: ChatId,
        visitor: VisitorId,
        visitor_name: String,
        channel: Option<ChannelId>,
        first_message: MessageBody,
        client_id: Option<String>,
    ) -> (Self, Vec<(EventKind, Visibility)>) {
        let events = vec![
            EventKind::ChatStarted {
                visitor: Some(visitor),
                visitor_name: visitor_name.clone(),
                channel,
            },
            EventKind::MessagePosted {
                author: Author::Visitor,
                author_name: visitor_name.clone(),
                body: first_message.0,
                client_id,
                note: false,
            },
        ];
        let mut state = Self::empty(id, Some(visitor));
        let recorded = state.record(events);
        (state, recorded)
    }

    /// A chat the visitor opened from an operator's invitation (O25): it goes straight to
    /// that operator, with no queue, and begins with the invitation's text as theirs.
    pub fn start_invited(
        id: ChatId,
        visitor: VisitorId,
        visitor_name: String,
        channel: Option<ChannelId>,
        operator: (OperatorId, String),
        invitation: MessageBody,
        voice: bool,
    ) -> (Self, Vec<(EventKind, Visibility)>) {
        let (operator, operator_name) = operator;
        let mut events = vec![
            EventKind::ChatStarted {
                visitor: Some(visitor),
                visitor_name,
                channel,
            },
            EventKind::OperatorAccepted {
                operator,
                operator_name: operator_name.clone(),
            },
            EventKind::StatusChanged {
                status: ChatStatus::Active,
            },
            EventKind::MessagePosted {
                author: Author::Operator { id: operator },
                author_name: operator_name.clone(),
                body: invitation.0,
                client_id: None,
                note: false,
            },
        ];
        if voice {
            events.push(EventKind::CallRequested {
                operator,
                operator_name,
            });
        }
        let mut state = Self::empty(id, Some(visitor));
        let recorded = state.record(events);
        (state, recorded)
    }

    /// A private chat an operator starts with another, with its first message.
    pub fn start_private(
        id: ChatId,
        by: Member,
        with: Member,
        first_message: MessageBody,
        client_id: Option<String>,
    ) -> Result<(Self, Vec<(EventKind, Visibility)>), Error> {
        if by.id == with.id {
            return Err(Error::new(
                ErrorCode::InvalidField,
                "Pick another operator to chat with.",
            ));
        }
        let events = vec![
            EventKind::PrivateChatStarted {
                by: by.id,
                by_name: by.name.clone(),
                with: with.id,
                with_name: with.name,
            },
            EventKind::MessagePosted {
                author: Author::Operator { id: by.id },
                author_name: by.name,
                body: first_message.0,
                client_id,
                note: false,
            },
        ];
        let mut state = Self::empty(id, None);
        let recorded = state.record(events);
        Ok((state, recorded))
    }

    /// A chat known by id only, before its first event is folded in.
    pub fn empty(id: ChatId, visitor: Option<VisitorId>) -> Self {
        Self {
            id,
            visitor,
            visitor_name: String::new(),
            status: ChatStatus::Waiting,
            members: Vec::new(),
            offers: Vec::new(),
            visitor_present: false,
            on_hold: false,
            visitor_kicked: false,
            channel: None,
            assigned: None,
            passed_over: Vec::new(),
            answered: false,
            flagged: Vec::new(),
            rating: None,
            call: None,
        }
    }

    /// Whether this is a private chat between operators.
    pub fn is_private(&self) -> bool {
        self.visitor.is_none()
    }

    /// Whether the chat is still open for its visitor (they may post and end it).
    pub fn open_for_visitor(&self) -> bool {
        self.visitor_present && matches!(self.status, ChatStatus::Waiting | ChatStatus::Active)
    }

    /// The operator's membership, if they are in the chat.
    pub fn member(&self, operator: OperatorId) -> Option<&Member> {
        self.members.iter().find(|m| m.id == operator)
    }

    /// Whether the operator is in the chat, in any role.
    pub fn has_operator(&self, operator: OperatorId) -> bool {
        self.member(operator).is_some()
    }

    /// Whether the operator is in the chat as a participant.
    pub fn is_participant(&self, operator: OperatorId) -> bool {
        self.member(operator)
            .is_some_and(|m| m.role == MemberRole::Participant)
    }

    /// Whether going from `self` to `after` makes the operator a participant of one more
    /// visitor chat (accept, join, an invitation or transfer taken, observer to participant):
    /// what the per-operator chat limit counts.
    pub fn adds_participation(&self, after: &ChatState, operator: OperatorId) -> bool {
        !self.is_private() && !self.is_participant(operator) && after.is_participant(operator)
    }

    /// The participants, in the order they came.
    pub fn participants(&self) -> impl Iterator<Item = &Member> {
        self.members
            .iter()
            .filter(|m| m.role == MemberRole::Participant)
    }

    /// The pending offer addressed to an operator.
    pub fn offer_to(&self, operator: OperatorId) -> Option<&Offer> {
        self.offers.iter().find(|o| o.target == operator)
    }

    /// The chat as `viewer` may know it: other operators' watching is nobody's business.
    pub fn seen_by(&self, viewer: OperatorId) -> Self {
        let mut seen = self.clone();
        seen.members
            .retain(|m| m.role != MemberRole::Watcher || m.id == viewer);
        seen
    }

    /// Who may see `event` if it were recorded now (before it is applied).
    pub fn visibility(&self, event: &EventKind) -> Visibility {
        let role_of = |operator: &OperatorId| self.member(*operator).map(|m| m.role);
        let of_role = |role: Option<MemberRole>, operator: &OperatorId| match role {
            Some(MemberRole::Watcher) => Visibility::Operator(*operator),
            Some(MemberRole::Observer) => Visibility::Operators,
            Some(MemberRole::Participant) | None => Visibility::Everyone,
        };
        let base = match event {
            EventKind::OperatorJoined { operator, role, .. } => of_role(Some(*role), operator),
            EventKind::RoleChanged { operator, role, .. } => {
                match (role_of(operator), role) {
                    // Becoming visible is news to everyone.
                    (_, MemberRole::Participant) => Visibility::Everyone,
                    (Some(MemberRole::Watcher), MemberRole::Observer) => Visibility::Operators,
                    (_, MemberRole::Observer) => Visibility::Operators,
                    (_, MemberRole::Watcher) => Visibility::Operator(*operator),
                }
            }
            EventKind::OperatorLeft { operator, .. } => of_role(role_of(operator), operator),
            EventKind::OfferMade { .. }
            | EventKind::ChatAssigned { .. }
            | EventKind::AssignmentPassed { .. }
            | EventKind::ChatMissed { .. }
            | EventKind::OperatorInactive { .. }
            | EventKind::OperatorReturned { .. }
            | EventKind::OfferDeclined { .. }
            | EventKind::OfferWithdrawn { .. }
            | EventKind::ChannelChanged { .. }
            | EventKind::MessagePosted { note: true, .. } => Visibility::Operators,
            EventKind::ChatStarted { .. }
            | EventKind::PrivateChatStarted { .. }
            | EventKind::MessagePosted { note: false, .. }
            | EventKind::OperatorAccepted { .. }
            | EventKind::VisitorKicked { .. }
            | EventKind::ChatClosed { .. }
            | EventKind::HoldChanged { .. }
            | EventKind::VisitorLeft
            | EventKind::ChatRated { .. }
            | EventKind::CallRequested { .. }
            | EventKind::CallStarted { .. }
            | EventKind::CallEnded { .. }
            | EventKind::StatusChanged { .. } => Visibility::Everyone,
        };
        if self.is_private() || self.visitor_kicked {
            base.operators_only()
        } else {
            base
        }
    }

    /// Decides a command: the events to record, or why it is refused. Never changes `self`.
    /// An empty list means the command asks for what already is (e.g. hold a held chat).
    pub fn decide(&self, actor: &Actor, command: &Command) -> Result<Vec<EventKind>, Error> {
        match actor {
            Actor::Visitor(visitor) => self.decide_for_visitor(*visitor, command),
            Actor::Operator { id, name } => self.decide_for_operator(*id, name, command),
            Actor::System => self.decide_for_system(command),
        }
    }

    /// What routing may do: assign a waiting chat nobody holds, and take it back.
    fn decide_for_system(&self, command: &Command) -> Result<Vec<EventKind>, Error> {
        match command {
            Command::Assign {
                operator,
                operator_name,
                reason,
                since,
            } => {
                if self.is_private() || self.status != ChatStatus::Waiting || !self.visitor_present
                {
                    return Err(Error::new(
                        ErrorCode::ChatNotWaiting,
                        "Only a waiting chat can be assigned.",
                    ));
                }
                // Decided on a stale view of the chat: someone else holds it already.
                if self.assigned.is_some() || self.passed_over.contains(operator) {
                    return Ok(Vec::new());
                }
                Ok(vec![EventKind::ChatAssigned {
                    operator: *operator,
                    operator_name: operator_name.clone(),
                    reason: reason.clone(),
                    since: *since,
                }])
            }
            Command::PassAssignment { operator, why } => Ok(self
                .assigned
                .as_ref()
                .filter(|a| a.operator == *operator)
                .map(|a| EventKind::AssignmentPassed {
                    operator: a.operator,
                    operator_name: a.operator_name.clone(),
                    why: *why,
                })
                .into_iter()
                .collect()),
            Command::SignOff { operator } => {
                let mut events: Vec<EventKind> = self
                    .offers
                    .iter()
                    .filter(|o| o.target == *operator || o.from == *operator)
                    .map(|o| EventKind::OfferWithdrawn {
                        kind: o.kind,
                        target: o.target,
                        target_name: o.target_name.clone(),
                    })
                    .collect();
                if let Some(member) = self.member(*operator)
                    && member.role == MemberRole::Participant
                    && !self.is_private()
                    && self.status != ChatStatus::Closed
                    && !self.flagged.contains(operator)
                {
                    events.push(EventKind::OperatorInactive {
                        operator: *operator,
                        operator_name: member.name.clone(),
                    });
                }
                Ok(events)
            }
            Command::Return { operator } => Ok(self
                .flagged
                .contains(operator)
                .then(|| EventKind::OperatorReturned {
                    operator: *operator,
                    operator_name: self
                        .member(*operator)
                        .map(|m| m.name.clone())
                        .unwrap_or_default(),
                })
                .into_iter()
                .collect()),
            _ => Err(Error::new(
                ErrorCode::Forbidden,
                "Only operators can do that.",
            )),
        }
    }

    fn decide_for_visitor(
        &self,
        visitor: VisitorId,
        command: &Command,
    ) -> Result<Vec<EventKind>, Error> {
        // Another visitor's chat (or a chat between operators) does not exist for this visitor.
        if self.visitor != Some(visitor) {
            return Err(Error::new(ErrorCode::ChatNotFound, "No such chat."));
        }
        match command {
            Command::PostMessage { body, client_id } => {
                if !self.open_for_visitor() {
                    return Err(chat_ended());
                }
                Ok(vec![EventKind::MessagePosted {
                    author: Author::Visitor,
                    author_name: self.visitor_name.clone(),
                    body: body.0.clone(),
                    client_id: client_id.clone(),
                    note: false,
                }])
            }
            Command::EndVisit { waited_ms } => {
                if !self.open_for_visitor() {
                    return Err(chat_ended());
                }
                let status = if self.participants().next().is_none() {
                    ChatStatus::Closed
                } else {
                    ChatStatus::Vacant
                };
                let mut events = vec![EventKind::VisitorLeft];
                if !self.answered {
                    events.push(EventKind::ChatMissed {
                        waited_ms: (*waited_ms).max(0),
                    });
                }
                events.push(EventKind::StatusChanged { status });
                Ok(events)
            }
            Command::EndCall { at, declined } => self.end_call(None, *at, *declined),
            Command::Rate { rating } => {
                if self.visitor_kicked {
                    return Err(chat_ended());
                }
                if self.open_for_visitor() {
                    return Err(Error::new(
                        ErrorCode::ChatNotActive,
                        "Rate the chat once it has ended.",
                    ));
                }
                if !self.answered {
                    return Err(Error::new(
                        ErrorCode::ChatNotActive,
                        "Only a chat an operator answered can be rated.",
                    ));
                }
                if self.rating.is_some() {
                    return Err(Error::new(
                        ErrorCode::AlreadyRated,
                        "You have rated this chat already. Thank you!",
                    ));
                }
                Ok(vec![EventKind::ChatRated {
                    stars: rating.stars,
                    comment: rating.comment.clone(),
                }])
            }
            _ => Err(Error::new(
                ErrorCode::Forbidden,
                "Only operators can do that.",
            )),
        }
    }

    fn decide_for_operator(
        &self,
        id: OperatorId,
        name: &str,
        command: &Command,
    ) -> Result<Vec<EventKind>, Error> {
        if self.status == ChatStatus::Closed {
            return Err(match command {
                Command::Accept => Error::new(ErrorCode::ChatNotWaiting, "This chat has ended."),
                _ => chat_ended(),
            });
        }
        let me = self.member(id).map(|m| m.role);
        let name = name.to_owned();
        // Every command but these needs the operator to be a participant.
        let participant = || match me {
            Some(MemberRole::Participant) => Ok(()),
            Some(_) => Err(read_only()),
            None => Err(not_in_chat()),
        };
        let visitor_chat = || {
            if self.is_private() {
                Err(private_chat())
            } else {
                Ok(())
            }
        };
        let enter = |role: MemberRole| match me {
            Some(_) => EventKind::RoleChanged {
                operator: id,
                operator_name: name.clone(),
                role,
            },
            None => EventKind::OperatorJoined {
                operator: id,
                operator_name: name.clone(),
                role,
            },
        };
        match command {
            Command::Accept => {
                if self.status != ChatStatus::Waiting {
                    return Err(Error::new(
                        ErrorCode::ChatNotWaiting,
                        "This chat was already taken by another operator.",
                    ));
                }
                let first = match me {
                    Some(_) => enter(MemberRole::Participant),
                    None => EventKind::OperatorAccepted {
                        operator: id,
                        operator_name: name.clone(),
                    },
                };
                Ok(vec![first, self.activated()])
            }
            Command::Join => {
                visitor_chat()?;
                if me == Some(MemberRole::Participant) {
                    return Err(already_in());
                }
                match self.status {
                    ChatStatus::Active => Ok(vec![enter(MemberRole::Participant)]),
                    ChatStatus::Waiting => Err(Error::new(
                        ErrorCode::ChatNotActive,
                        "This chat is waiting: accept it instead.",
                    )),
                    ChatStatus::Vacant | ChatStatus::Closed => Err(Error::new(
                        ErrorCode::ChatNotActive,
                        "The visitor has left this chat.",
                    )),
                }
            }
            Command::Watch => {
                visitor_chat()?;
                if me.is_some() {
                    return Err(already_in());
                }
                Ok(vec![enter(MemberRole::Watcher)])
            }
            Command::Offer {
                kind,
                target,
                target_name,
            } => {
                visitor_chat()?;
                participant()?;
                if self.status != ChatStatus::Active {
                    return Err(Error::new(
                        ErrorCode::ChatNotActive,
                        "Only a chat with its visitor in it can be handed on.",
                    ));
                }
                if *target == id {
                    return Err(Error::new(
                        ErrorCode::InvalidField,
                        "Pick another operator.",
                    ));
                }
                let target_role = self.member(*target).map(|m| m.role);
                let already = match kind {
                    OfferKind::Invite => {
                        matches!(
                            target_role,
                            Some(MemberRole::Participant | MemberRole::Observer)
                        )
                    }
                    OfferKind::Transfer => target_role == Some(MemberRole::Participant),
                };
                if already {
                    return Err(Error::new(
                        ErrorCode::AlreadyInChat,
                        format!("{target_name} is already in this chat."),
                    ));
                }
                if self.offer_to(*target).is_some() {
                    return Err(Error::new(
                        ErrorCode::OfferPending,
                        format!("{target_name} has not answered the last request yet."),
                    ));
                }
                Ok(vec![EventKind::OfferMade {
                    kind: *kind,
                    target: *target,
                    target_name: target_name.clone(),
                    from: id,
                    from_name: name.clone(),
                }])
            }
            Command::AcceptInvite { role } => {
                if *role == MemberRole::Watcher {
                    return Err(Error::new(
                        ErrorCode::InvalidField,
                        "Accept as a participant or as an observer.",
                    ));
                }
                match self.offer_to(id) {
                    Some(offer) if offer.kind == OfferKind::Invite => {}
                    _ => return Err(no_offer()),
                }
                let mut events = vec![enter(*role)];
                if *role == MemberRole::Participant && self.status == ChatStatus::Waiting {
                    events.push(self.activated());
                }
                Ok(events)
            }
            Command::AssumeTransfer => {
                let offer = match self.offer_to(id) {
                    Some(offer) if offer.kind == OfferKind::Transfer => offer,
                    _ => return Err(no_offer()),
                };
                let mut events = vec![enter(MemberRole::Participant)];
                if let Some(requester) = self.member(offer.from)
                    && offer.from != id
                {
                    events.push(EventKind::OperatorLeft {
                        operator: requester.id,
                        operator_name: requester.name.clone(),
                        transferred_to: Some(name.clone()),
                    });
                }
                if self.status == ChatStatus::Waiting {
                    events.push(self.activated());
                }
                Ok(events)
            }
            Command::DeclineOffer => {
                let offer = self.offer_to(id).ok_or_else(no_offer)?;
                Ok(vec![EventKind::OfferDeclined {
                    kind: offer.kind,
                    target: id,
                    target_name: offer.target_name.clone(),
                }])
            }
            Command::WithdrawOffer { target } => {
                let offer = self
                    .offer_to(*target)
                    .filter(|o| o.from == id)
                    .ok_or_else(no_offer)?;
                Ok(vec![EventKind::OfferWithdrawn {
                    kind: offer.kind,
                    target: *target,
                    target_name: offer.target_name.clone(),
                }])
            }
            Command::SwitchRole { role } => {
                visitor_chat()?;
                match (me, role) {
                    (None, _) => Err(not_in_chat()),
                    (_, MemberRole::Watcher) | (Some(MemberRole::Watcher), _) => Err(Error::new(
                        ErrorCode::InvalidField,
                        "Switch between participant and observer.",
                    )),
                    (Some(current), wanted) if current == *wanted => Ok(Vec::new()),
                    (Some(_), wanted) => {
                        let mut events = vec![enter(*wanted)];
                        if *wanted == MemberRole::Observer {
                            events.extend(self.after_participant_gone(id));
                        } else if self.status == ChatStatus::Waiting {
                            events.push(self.activated());
                        }
                        Ok(events)
                    }
                }
            }
            Command::Leave => {
                let role = me.ok_or_else(not_in_chat)?;
                let mut events = vec![EventKind::OperatorLeft {
                    operator: id,
                    operator_name: name.clone(),
                    transferred_to: None,
                }];
                if self.is_private() {
                    if self.members.len() <= 1 {
                        events.push(EventKind::StatusChanged {
                            status: ChatStatus::Closed,
                        });
                    }
                } else if role == MemberRole::Participant {
                    events.extend(self.after_participant_gone(id));
                }
                Ok(events)
            }
            Command::Kick => {
                visitor_chat()?;
                participant()?;
                if !self.open_for_visitor() {
                    return Err(Error::new(
                        ErrorCode::ChatNotActive,
                        "The visitor has already left this chat.",
                    ));
                }
                Ok(vec![
                    EventKind::VisitorKicked {
                        operator: id,
                        operator_name: name.clone(),
                    },
                    EventKind::StatusChanged {
                        status: ChatStatus::Vacant,
                    },
                ])
            }
            Command::Close => {
                participant()?;
                Ok(vec![
                    EventKind::ChatClosed {
                        operator: id,
                        operator_name: name.clone(),
                    },
                    EventKind::StatusChanged {
                        status: ChatStatus::Closed,
                    },
                ])
            }
            Command::Hold { on } => {
                visitor_chat()?;
                participant()?;
                if self.status != ChatStatus::Active {
                    return Err(Error::new(
                        ErrorCode::ChatNotActive,
                        "Only a chat with its visitor in it can be put on hold.",
                    ));
                }
                if self.on_hold == *on {
                    return Ok(Vec::new());
                }
                Ok(vec![EventKind::HoldChanged {
                    on_hold: *on,
                    operator_name: name.clone(),
                }])
            }
            Command::PostMessage { body, client_id } => {
                participant()?;
                Ok(vec![EventKind::MessagePosted {
                    author: Author::Operator { id },
                    author_name: name.clone(),
                    body: body.0.clone(),
                    client_id: client_id.clone(),
                    note: false,
                }])
            }
            Command::AddNote { body, client_id } => {
                visitor_chat()?;
                match me {
                    Some(MemberRole::Participant | MemberRole::Observer) => {}
                    Some(MemberRole::Watcher) => return Err(read_only()),
                    None => return Err(not_in_chat()),
                }
                Ok(vec![EventKind::MessagePosted {
                    author: Author::Operator { id },
                    author_name: name.clone(),
                    body: body.0.clone(),
                    client_id: client_id.clone(),
                    note: true,
                }])
            }
            Command::EndVisit { .. } => Err(Error::new(
                ErrorCode::Forbidden,
                "Only the visitor can end their part of the chat.",
            )),
            Command::Rate { .. } => Err(Error::new(
                ErrorCode::Forbidden,
                "Only the visitor can rate the chat.",
            )),
            Command::StartCall { at } => {
                visitor_chat()?;
                participant()?;
                if self.status != ChatStatus::Active
                    || !self.visitor_present
                    || self.visitor_kicked
                    || self.on_hold
                {
                    return Err(Error::new(
                        ErrorCode::ChatNotActive,
                        "Call a visitor who is in an active chat with you.",
                    ));
                }
                if self.call.is_some() {
                    return Err(Error::new(
                        ErrorCode::CallInProgress,
                        "A call is under way in this chat already.",
                    ));
                }
                Ok(vec![EventKind::CallStarted {
                    operator: id,
                    operator_name: name,
                    started_at: *at,
                }])
            }
            Command::EndCall { at, .. } => self.end_call(Some(id), *at, false),
            Command::Assign { .. }
            | Command::PassAssignment { .. }
            | Command::SignOff { .. }
            | Command::Return { .. } => Err(Error::new(
                ErrorCode::Forbidden,
                "Only Switchboard itself does that.",
            )),
            Command::DeclineAssignment => match &self.assigned {
                Some(a) if a.operator == id && self.status == ChatStatus::Waiting => {
                    Ok(vec![EventKind::AssignmentPassed {
                        operator: id,
                        operator_name: a.operator_name.clone(),
                        why: PassReason::Declined,
                    }])
                }
                _ => Err(Error::new(
                    ErrorCode::NoPendingOffer,
                    "This chat is not assigned to you any more.",
                )),
            },
            Command::ChangeChannel {
                channel,
                channel_name,
            } => {
                visitor_chat()?;
                // A waiting chat belongs to nobody yet: any operator may send it where it
                // belongs. Once taken, its participants decide.
                if !(self.status == ChatStatus::Waiting && me.is_none()) {
                    participant()?;
                }
                if self.channel == Some(*channel) {
                    return Ok(Vec::new());
                }
                Ok(vec![EventKind::ChannelChanged {
                    channel: *channel,
                    channel_name: channel_name.clone(),
                    operator: id,
                    operator_name: name.clone(),
                }])
            }
        }
    }

    /// The call ends, asked by its operator (`Some`) or the visitor (`None`): nobody else may.
    fn end_call(
        &self,
        by: Option<OperatorId>,
        at: Timestamp,
        declined: bool,
    ) -> Result<Vec<EventKind>, Error> {
        let Some(call) = self
            .call
            .as_ref()
            .filter(|c| by.is_none_or(|o| o == c.operator))
        else {
            return Err(Error::new(ErrorCode::NoCall, "There is no call to end."));
        };
        Ok(vec![EventKind::CallEnded {
            operator: call.operator,
            seconds: crate::call::seconds_between(call.started_at, at),
            declined: declined && by.is_none(),
        }])
    }

    fn activated(&self) -> EventKind {
        EventKind::StatusChanged {
            status: ChatStatus::Active,
        }
    }

    /// What follows when `leaving` stops being a participant: with nobody left to answer, an
    /// active chat waits again and a vacant one is over.
    fn after_participant_gone(&self, leaving: OperatorId) -> Option<EventKind> {
        if self.participants().any(|m| m.id != leaving) {
            return None;
        }
        let status = match self.status {
            ChatStatus::Active => ChatStatus::Waiting,
            ChatStatus::Vacant => ChatStatus::Closed,
            ChatStatus::Waiting | ChatStatus::Closed => return None,
        };
        Some(EventKind::StatusChanged { status })
    }

    /// Folds one event into the state.
    pub fn apply(&mut self, event: &EventKind) {
        match event {
            EventKind::ChatStarted {
                visitor,
                visitor_name,
                channel,
            } => {
                if visitor.is_some() {
                    self.visitor = *visitor;
                }
                self.visitor_name.clone_from(visitor_name);
                self.channel = *channel;
                self.status = ChatStatus::Waiting;
                self.visitor_present = true;
            }
            EventKind::PrivateChatStarted {
                by,
                by_name,
                with,
                with_name,
            } => {
                self.visitor = None;
                self.status = ChatStatus::Active;
                self.enter(*by, by_name, MemberRole::Participant);
                self.enter(*with, with_name, MemberRole::Participant);
            }
            EventKind::MessagePosted { .. }
            | EventKind::ChatClosed { .. }
            | EventKind::ChatMissed { .. } => {}
            EventKind::ChatRated { stars, comment } => {
                self.rating = Some(crate::rating::Rating {
                    stars: *stars,
                    comment: comment.clone(),
                });
            }
            EventKind::OperatorInactive { operator, .. } => {
                if !self.flagged.contains(operator) {
                    self.flagged.push(*operator);
                }
            }
            EventKind::OperatorReturned { operator, .. } => self.flagged.retain(|o| o != operator),
            EventKind::ChatAssigned {
                operator,
                operator_name,
                reason,
                since,
            } => {
                self.assigned = Some(Assignment {
                    operator: *operator,
                    operator_name: operator_name.clone(),
                    reason: reason.clone(),
                    since: *since,
                });
            }
            EventKind::AssignmentPassed { operator, .. } => {
                self.assigned = None;
                if !self.passed_over.contains(operator) {
                    self.passed_over.push(*operator);
                }
            }
            EventKind::OperatorAccepted {
                operator,
                operator_name,
            } => self.enter(*operator, operator_name, MemberRole::Participant),
            EventKind::OperatorJoined {
                operator,
                operator_name,
                role,
            }
            | EventKind::RoleChanged {
                operator,
                operator_name,
                role,
            } => self.enter(*operator, operator_name, *role),
            EventKind::OperatorLeft { operator, .. } => {
                self.members.retain(|m| m.id != *operator);
                self.flagged.retain(|o| o != operator);
                if self.call.as_ref().is_some_and(|c| c.operator == *operator) {
                    self.call = None;
                }
            }
            EventKind::OfferMade {
                kind,
                target,
                target_name,
                from,
                from_name,
            } => {
                self.offers.retain(|o| o.target != *target);
                self.offers.push(Offer {
                    kind: *kind,
                    target: *target,
                    target_name: target_name.clone(),
                    from: *from,
                    from_name: from_name.clone(),
                });
            }
            EventKind::OfferDeclined { target, .. } | EventKind::OfferWithdrawn { target, .. } => {
                self.offers.retain(|o| o.target != *target);
            }
            EventKind::VisitorKicked { .. } => {
                self.visitor_present = false;
                self.visitor_kicked = true;
                self.call = None;
            }
            EventKind::HoldChanged { on_hold, .. } => self.on_hold = *on_hold,
            EventKind::ChannelChanged { channel, .. } => {
                // Another channel, other operators: routing starts over there.
                self.channel = Some(*channel);
                self.assigned = None;
                self.passed_over.clear();
            }
            EventKind::VisitorLeft => {
                self.visitor_present = false;
                self.call = None;
            }
            EventKind::CallStarted {
                operator,
                started_at,
                ..
            } => {
                self.call = Some(crate::call::Call {
                    operator: *operator,
                    started_at: *started_at,
                });
            }
            EventKind::CallEnded { .. } => self.call = None,
            // A wish, not a call: the operator starts it.
            EventKind::CallRequested { .. } => {}
            EventKind::StatusChanged { status } => {
                self.status = *status;
                if *status != ChatStatus::Waiting {
                    self.assigned = None;
                }
                if *status != ChatStatus::Active {
                    self.on_hold = false;
                }
                if *status == ChatStatus::Closed {
                    self.offers.clear();
                    self.call = None;
                }
            }
        }
    }

    /// Puts an operator in the chat in `role` (or changes their role); an offer to them is
    /// answered by their being here.
    fn enter(&mut self, operator: OperatorId, name: &str, role: MemberRole) {
        if role == MemberRole::Participant && !self.is_private() {
            self.answered = true;
        }
        match self.members.iter_mut().find(|m| m.id == operator) {
            Some(member) => member.role = role,
            None => self.members.push(Member {
                id: operator,
                name: name.to_owned(),
                role,
            }),
        }
        self.offers.retain(|o| o.target != operator);
    }

    /// Decides and applies in one step: each event recorded with who may see it, `self` updated.
    pub fn execute(
        &mut self,
        actor: &Actor,
        command: &Command,
    ) -> Result<Vec<(EventKind, Visibility)>, Error> {
        let events = self.decide(actor, command)?;
        Ok(self.record(events))
    }

    /// Applies decided events in order, each with its visibility as of just before it.
    pub fn record(&mut self, events: Vec<EventKind>) -> Vec<(EventKind, Visibility)> {
        events
            .into_iter()
            .map(|event| {
                let visibility = self.visibility(&event);
                self.apply(&event);
                (event, visibility)
            })
            .collect()
    }
}

fn already_in() -> Error {
    Error::new(ErrorCode::AlreadyInChat, "You are already in this chat.")
}

#[cfg(test)]
mod tests;
