//! Who an event or a signal reaches: the one rule the live streams, the replays and the
//! reloads all follow.
//!
//! An event's reach is fixed when it is recorded, from the chat around it: its visibility
//! (decided by [`ChatState::visibility`]), the chat's visitor, and the operators who were in
//! the chat just before or just after it. That is stored with the event, so a stream on any
//! node, live or replaying, admits exactly what a reload shows, and the server only has to
//! look at the streams of those recipients — never at every open stream.
//!
//! A dashboard change reaches the consoles whose channel filter lists the chat: each stream
//! states its [`Interest`], and each event records its [`DashboardScope`] (the chat's channel
//! around it, and who was offered the chat), so a change in one channel costs nothing to the
//! consoles that list only others.
//!
//! Signals (typing, viewing, page views, presence) are never stored; their reach is decided
//! here too, from the chat as it is when they are sent.

use serde::{Deserialize, Serialize};

use crate::chat::{ChatState, MemberRole, Viewer, Visibility};
use crate::error::Error;
use crate::event::{Author, EventKind};
use crate::ids::{ChannelId, EventId, OperatorId, VisitorId};
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
pub const CHAT_ONLY_KINDS: [&str; 5] = [
    "message_posted",
    "private_chat_started",
    "chat_rated",
    "call_started",
    "call_ended",
];

/// Whether an event is a change every console's dashboard shows: anything that moves a
/// visitor chat between the lists, but not its messages.
pub fn on_dashboard(kind: &EventKind, visitor: Option<VisitorId>) -> bool {
    visitor.is_some() && kind.concerns_dashboard()
}

/// Which visitor chats' dashboard changes a console's stream carries: what its channel filter
/// lists. Chats the operator is in, or is offered, reach them whatever their interest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interest {
    /// Every channel's.
    #[default]
    All,
    /// These channels', and those of chats in no channel (everyone's queue).
    Channels(Vec<ChannelId>),
}

/// Most channels a stream may name in its interest.
pub const MAX_INTEREST_CHANNELS: usize = 1000;

impl Interest {
    /// Whether chats in `channel` (`None`: in no channel) are of interest.
    pub fn admits(&self, channel: Option<ChannelId>) -> bool {
        match (self, channel) {
            (Self::All, _) | (Self::Channels(_), None) => true,
            (Self::Channels(channels), Some(channel)) => channels.contains(&channel),
        }
    }

    /// Whether `me` with this interest has the chat on their dashboard: a chat of interest, or
    /// one they are in or are offered, whatever its channel.
    pub fn lists(&self, chat: &ChatState, me: OperatorId) -> bool {
        self.admits(chat.channel) || chat.has_operator(me) || chat.offer_to(me).is_some()
    }

    /// The interest as a stream's address names it: `all`, or the channel ids comma-separated
    /// (empty: only chats in no channel).
    pub fn to_query(&self) -> String {
        match self {
            Self::All => "all".to_owned(),
            Self::Channels(channels) => channels
                .iter()
                .map(|c| c.0.to_string())
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// Checks an interest a client sent: at most [`MAX_INTEREST_CHANNELS`] channels.
    pub fn check(&self) -> Result<(), Error> {
        match self {
            Self::Channels(channels) if channels.len() > MAX_INTEREST_CHANNELS => {
                Err(Error::invalid(
                    "channels",
                    format!("Name at most {MAX_INTEREST_CHANNELS} channels."),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Reads [`Self::to_query`]'s form back; a missing value is [`Self::All`].
    pub fn parse_query(query: Option<&str>) -> Result<Self, Error> {
        let Some(query) = query.map(str::trim) else {
            return Ok(Self::All);
        };
        if query == "all" {
            return Ok(Self::All);
        }
        let invalid = || Error::invalid("channels", "Name channels by their ids, comma-separated.");
        let mut channels = Vec::new();
        for id in query.split(',').map(str::trim).filter(|id| !id.is_empty()) {
            let id = uuid::Uuid::parse_str(id).map_err(|_| invalid())?;
            if channels.len() == MAX_INTEREST_CHANNELS {
                return Err(invalid());
            }
            if !channels.contains(&ChannelId(id)) {
                channels.push(ChannelId(id));
            }
        }
        Ok(Self::Channels(channels))
    }
}

/// Where a dashboard change belongs, fixed when it is recorded: the chat's channel after it
/// (and before it, when it moved the chat), and the operators offered the chat just before or
/// just after it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardScope {
    /// The channels (`None`: no channel).
    pub channels: Vec<Option<ChannelId>>,
    /// Operators with an invitation or a transfer of the chat pending around it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<OperatorId>,
}

impl DashboardScope {
    /// Whether it reaches `operator`'s console with `interest`.
    pub fn admits(&self, operator: OperatorId, interest: &Interest) -> bool {
        self.offered.contains(&operator) || self.channels.iter().any(|c| interest.admits(*c))
    }
}

/// One recorded event's reach.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Around {
    /// The operators in the chat just before or just after it.
    pub members: Vec<OperatorId>,
    /// Where it belongs on dashboards; `None` unless it is a dashboard change.
    pub dashboard: Option<DashboardScope>,
}

/// The reach of each event a command recorded on `before`'s chat, in order: the operators in
/// the chat just before or just after it (so the event that takes someone out still reaches
/// them, and nothing after it does), and, for a dashboard change, its scope.
pub fn reach_around(before: &ChatState, events: &[(EventKind, Visibility)]) -> Vec<Around> {
    let mut state = before.clone();
    events
        .iter()
        .map(|(kind, _)| {
            let mut members: Vec<OperatorId> = state.members.iter().map(|m| m.id).collect();
            let mut offered: Vec<OperatorId> = state.offers.iter().map(|o| o.target).collect();
            let channel_before = state.channel;
            state.apply(kind);
            for member in &state.members {
                if !members.contains(&member.id) {
                    members.push(member.id);
                }
            }
            for offer in &state.offers {
                if !offered.contains(&offer.target) {
                    offered.push(offer.target);
                }
            }
            let dashboard = on_dashboard(kind, state.visitor).then(|| {
                let mut channels = vec![state.channel];
                if matches!(kind, EventKind::ChannelChanged { .. })
                    && channel_before != state.channel
                {
                    channels.push(channel_before);
                }
                DashboardScope { channels, offered }
            });
            Around { members, dashboard }
        })
        .collect()
}

/// Whether a recorded event reaches `recipient` (for an operator, one whose console has
/// `interest`).
///
/// The visitor gets what is visible to them in their own chats. An operator gets what is
/// visible to them in the chats they were in around the event, and the dashboard changes of
/// their interest or of chats offered to them. A dashboard change recorded without a scope
/// (before scopes were kept) reaches every console.
pub fn event_reaches(
    recipient: Recipient,
    interest: &Interest,
    kind: &EventKind,
    visitor: Option<VisitorId>,
    visibility: Visibility,
    members: &[OperatorId],
    dashboard: Option<&DashboardScope>,
) -> bool {
    match recipient {
        Recipient::Visitor(id) => visitor == Some(id) && visibility.admits(Viewer::Visitor),
        Recipient::Operator(id) => {
            visibility.admits(Viewer::Operator(id))
                && (members.contains(&id)
                    || (on_dashboard(kind, visitor)
                        && dashboard.is_none_or(|scope| scope.admits(id, interest))))
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

    /// Only this visitor.
    pub fn visitor(visitor: VisitorId) -> Self {
        Self {
            visitor: Some(visitor),
            operators: Vec::new(),
            all_operators: false,
            sender: None,
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

    /// A participant has read the chat up to `up_to`: the visitor, while they listen, learns
    /// that their messages were seen (V5). Watchers and observers are invisible to the
    /// visitor and so mark nothing.
    pub fn operator_seen(
        &self,
        operator: OperatorId,
        up_to: EventId,
    ) -> Option<(Signal, SignalReach)> {
        if self.member(operator)?.role != MemberRole::Participant {
            return None;
        }
        let signal = Signal::Seen {
            chat_id: self.id,
            by_visitor: false,
            up_to,
        };
        let reach = SignalReach {
            visitor: Some(self.listening_visitor()?),
            operators: Vec::new(),
            all_operators: false,
            sender: Some(operator),
        };
        Some((signal, reach))
    }

    /// The visitor has seen the chat up to `up_to`: the operators in it learn it (V5).
    pub fn visitor_seen(&self, up_to: EventId) -> Option<(Signal, SignalReach)> {
        self.visitor?;
        let signal = Signal::Seen {
            chat_id: self.id,
            by_visitor: true,
            up_to,
        };
        Some((signal, self.to_members(None)))
    }

    /// A voice call's signal from one of its two parties to the other (V7): from the operator
    /// who called (`Some`) to the visitor while they listen, or from the visitor to that
    /// operator. Nobody else in the chat receives it, and nobody else may send one.
    pub fn call_relay(
        &self,
        from: Option<OperatorId>,
        signal: crate::call::CallSignal,
    ) -> Result<(Signal, SignalReach), Error> {
        let no_call = || Error::new(crate::error::ErrorCode::NoCall, "There is no call here.");
        let call = self.call.as_ref().ok_or_else(no_call)?;
        let reach = match from {
            Some(operator) if operator == call.operator => SignalReach {
                visitor: Some(self.listening_visitor().ok_or_else(no_call)?),
                operators: Vec::new(),
                all_operators: false,
                sender: Some(operator),
            },
            Some(_) => return Err(no_call()),
            None => SignalReach {
                visitor: None,
                operators: vec![call.operator],
                all_operators: false,
                sender: None,
            },
        };
        let signal = Signal::Call {
            chat_id: self.id,
            from_visitor: from.is_none(),
            signal,
        };
        Ok((signal, reach))
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
        let around = reach_around(&before, &accepted);
        assert_eq!(around.len(), accepted.len());
        // Ann is in the chat after accepting: the accept reaches her as a member.
        assert!(around[0].members.contains(&op(1)));

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
        let around = reach_around(&before, &posted);
        let (kind, visibility) = &posted[0];
        assert_eq!(around[0].dashboard, None);
        let reaches = |r| {
            event_reaches(
                r,
                &Interest::All,
                kind,
                Some(visitor),
                *visibility,
                &around[0].members,
                None,
            )
        };
        assert!(reaches(Recipient::Visitor(visitor)));
        assert!(!reaches(Recipient::Visitor(VisitorId(Uuid::from_u128(98)))));
        assert!(reaches(Recipient::Operator(op(1))));
        // A message is not a dashboard change: operators outside the chat do not get it.
        assert!(!reaches(Recipient::Operator(op(2))));

        let before = state.clone();
        let left = state
            .execute(&actor(1), &Command::Leave)
            .unwrap_or_default();
        let around = reach_around(&before, &left);
        // Her leaving reaches her; what follows it (the chat going back to Waiting) reaches
        // her only as a dashboard change.
        assert!(matches!(left[0].0, EventKind::OperatorLeft { .. }));
        assert!(around[0].members.contains(&op(1)));
        assert!(around[1..].iter().all(|a| !a.members.contains(&op(1))));
        assert!(
            left[1..]
                .iter()
                .all(|(kind, _)| on_dashboard(kind, Some(visitor)))
        );
        assert!(state.members.is_empty());
    }

    fn channel(n: u128) -> ChannelId {
        ChannelId(Uuid::from_u128(n))
    }

    #[test]
    fn dashboard_changes_reach_the_consoles_listing_their_channel_and_whoever_is_offered_the_chat()
    {
        let (mut state, visitor) = waiting();
        state.channel = Some(channel(10));
        let sales = Interest::Channels(vec![channel(10)]);
        let support = Interest::Channels(vec![channel(20)]);
        let none = Interest::Channels(Vec::new());
        let reaches = |events: &[(EventKind, Visibility)], around: &[Around], who, interest| {
            events.iter().zip(around).all(|((kind, visibility), a)| {
                event_reaches(
                    Recipient::Operator(op(who)),
                    interest,
                    kind,
                    Some(visitor),
                    *visibility,
                    &a.members,
                    a.dashboard.as_ref(),
                )
            })
        };

        // Ann accepts the Sales chat: Sales consoles and "all" consoles see it, Support's not.
        let before = state.clone();
        let accepted = state
            .execute(&actor(1), &Command::Accept)
            .unwrap_or_default();
        let around = reach_around(&before, &accepted);
        assert_eq!(
            around[0].dashboard.as_ref().map(|d| d.channels.clone()),
            Some(vec![Some(channel(10))])
        );
        assert!(reaches(&accepted, &around, 2, &sales));
        assert!(reaches(&accepted, &around, 2, &Interest::All));
        assert!(!reaches(&accepted, &around, 2, &support));
        assert!(!reaches(&accepted, &around, 2, &none));
        // Whatever her interest, Ann is in the chat.
        assert!(reaches(&accepted, &around, 1, &none));

        // Ann invites Bob, whose console lists only Support: the invitation still reaches him.
        let before = state.clone();
        let invited = state
            .execute(
                &actor(1),
                &Command::Offer {
                    kind: crate::chat::OfferKind::Invite,
                    target: op(2),
                    target_name: "Bob".into(),
                },
            )
            .unwrap_or_default();
        assert!(!invited.is_empty());
        let around = reach_around(&before, &invited);
        assert!(reaches(&invited, &around, 2, &support));
        assert!(!reaches(&invited, &around, 3, &support));

        // Moved to Support, the chat's move reaches both channels' consoles; what follows,
        // only Support's (and Bob's, still offered it).
        let before = state.clone();
        let moved = vec![(
            EventKind::ChannelChanged {
                channel: channel(20),
                channel_name: "Support".into(),
                operator: op(1),
                operator_name: "Ann".into(),
            },
            Visibility::Everyone,
        )];
        state.apply(&moved[0].0);
        let around = reach_around(&before, &moved);
        assert!(reaches(&moved, &around, 3, &sales));
        assert!(reaches(&moved, &around, 3, &support));
        assert!(!reaches(&moved, &around, 3, &none));
        let before = state.clone();
        let held = state
            .execute(&actor(1), &Command::Hold { on: true })
            .unwrap_or_default();
        let around = reach_around(&before, &held);
        assert!(!held.is_empty());
        assert!(!reaches(&held, &around, 3, &sales));
        assert!(reaches(&held, &around, 3, &support));

        // Chats in no channel are everyone's; a change recorded without a scope reaches every
        // console.
        assert!(none.admits(None) && sales.admits(None));
        let (kind, visibility) = &held[0];
        assert!(event_reaches(
            Recipient::Operator(op(3)),
            &none,
            kind,
            Some(visitor),
            *visibility,
            &[],
            None
        ));
    }

    #[test]
    fn an_interest_reads_back_from_its_query_form() {
        for interest in [
            Interest::All,
            Interest::Channels(Vec::new()),
            Interest::Channels(vec![channel(1), channel(2)]),
        ] {
            let query = interest.to_query();
            assert_eq!(Interest::parse_query(Some(&query)).ok(), Some(interest));
        }
        assert_eq!(Interest::parse_query(None).ok(), Some(Interest::All));
        let err = Interest::parse_query(Some("sales")).err();
        assert_eq!(err.and_then(|e| e.field).as_deref(), Some("channels"));
        let many = (0..=MAX_INTEREST_CHANNELS as u128)
            .map(|n| Uuid::from_u128(n).to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(Interest::parse_query(Some(&many)).is_err());
    }

    #[test]
    fn an_interest_sent_by_a_client_names_at_most_the_most_channels() {
        assert_eq!(Interest::All.check(), Ok(()));
        let most = Interest::Channels((0..MAX_INTEREST_CHANNELS as u128).map(channel).collect());
        assert_eq!(most.check(), Ok(()));
        let Interest::Channels(mut channels) = most else {
            unreachable!()
        };
        channels.push(channel(u128::MAX));
        let err = Interest::Channels(channels).check().err();
        assert_eq!(err.and_then(|e| e.field).as_deref(), Some("channels"));
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
