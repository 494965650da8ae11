//! What the operator console shows, shared by the server (which builds it) and the hydrated
//! console (which folds live events into it).

use serde::{Deserialize, Serialize};

use crate::channel::{Channel, ChannelFilter, channels_of};
use crate::chat::{ChatState, ChatStatus, Command, MemberRole, OfferKind, Viewer};
use crate::event::{Author, ChatEvent, EventKind};
use crate::ids::{ChannelId, ChatId, EventId, OperatorId, VisitorId};
use crate::reach::Interest;
use crate::time::Timestamp;

/// An operator's role. Each role can do everything the one before it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Set Unavailable by hand: offered no chats, and no new-chat pop-ups.
    #[serde(default)]
    pub unavailable: bool,
    /// Signed off for inactivity at this time (O17), until they rejoin.
    #[serde(default)]
    pub signed_off_at: Option<Timestamp>,
}

/// The colour an operator shows in lists, pickers and a chat's people (O16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dot {
    /// Green: doing things now.
    Active,
    /// Yellow: idle past the away threshold.
    Away,
    /// Red: set Unavailable by hand.
    Unavailable,
    /// Pink: invited into a chat and not there yet, or gone from it.
    Inactive,
    /// Black: logged out, or the session ended.
    LoggedOut,
}

impl Dot {
    /// An online operator's dot: unavailable wins over away.
    pub fn online(away: bool, unavailable: bool) -> Self {
        match (unavailable, away) {
            (true, _) => Self::Unavailable,
            (false, true) => Self::Away,
            (false, false) => Self::Active,
        }
    }

    /// A chat participant's dot: a member shows how present they are (black when their
    /// console is not open); someone invited who has not come, or who left, is pink.
    pub fn in_chat(member: bool, online: Option<(bool, bool)>) -> Self {
        match (member, online) {
            (false, _) => Self::Inactive,
            (true, Some((away, unavailable))) => Self::online(away, unavailable),
            (true, None) => Self::LoggedOut,
        }
    }

    /// The CSS class (`dot <class>`) and the `data-dot` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "live",
            Self::Away => "away",
            Self::Unavailable => "unavailable",
            Self::Inactive => "inactive",
            Self::LoggedOut => "logged-out",
        }
    }

    /// What the dot means, for its tooltip and screen readers.
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Away => "Away",
            Self::Unavailable => "Unavailable",
            Self::Inactive => "Inactive",
            Self::LoggedOut => "Logged out",
        }
    }
}

/// Which list of the dashboard a chat is in, as one operator sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// No operator yet.
    Waiting,
    /// Someone invited me.
    Invite,
    /// Someone offers me the chat.
    Transfer,
    /// A visitor and operators.
    Active,
    /// The visitor is gone.
    Vacant,
}

impl Category {
    /// The lists in the order the dashboard shows them.
    pub const ALL: [Category; 5] = [
        Self::Waiting,
        Self::Invite,
        Self::Transfer,
        Self::Active,
        Self::Vacant,
    ];

    /// The list's heading.
    pub fn title(self) -> &'static str {
        match self {
            Self::Waiting => "Waiting",
            Self::Invite => "Invite",
            Self::Transfer => "Transfer",
            Self::Active => "Active",
            Self::Vacant => "Vacant",
        }
    }

    /// The list's stable name (test ids, CSS classes).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Invite => "invite",
            Self::Transfer => "transfer",
            Self::Active => "active",
            Self::Vacant => "vacant",
        }
    }
}

/// One chat as the console shows it: its state (as folded from events) and when it began.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatSummary {
    /// The chat's state, without other operators' watching.
    pub chat: ChatState,
    /// When it started.
    pub started_at: Timestamp,
}

impl ChatSummary {
    /// A summary of a chat known only by id so far (its first event fills it in).
    pub fn new(id: ChatId, started_at: Timestamp) -> Self {
        Self {
            chat: ChatState::empty(id, None),
            started_at,
        }
    }

    /// The chat.
    pub fn id(&self) -> ChatId {
        self.chat.id
    }

    /// Its status.
    pub fn status(&self) -> ChatStatus {
        self.chat.status
    }

    /// Folds an event of this chat into the summary.
    pub fn apply(&mut self, event: &EventKind) {
        self.chat.apply(event);
    }

    /// The dashboard list it belongs in for `me`: an offer addressed to me comes first.
    pub fn category(&self, me: OperatorId) -> Category {
        match self.chat.offer_to(me).map(|o| o.kind) {
            Some(OfferKind::Invite) => Category::Invite,
            Some(OfferKind::Transfer) => Category::Transfer,
            None => match self.chat.status {
                ChatStatus::Waiting => Category::Waiting,
                ChatStatus::Active => Category::Active,
                ChatStatus::Vacant | ChatStatus::Closed => Category::Vacant,
            },
        }
    }

    /// What the chat is called for `me`: the visitor's name, or the other operator's in a
    /// private chat.
    pub fn title(&self, me: OperatorId) -> String {
        if self.chat.is_private() {
            let others: Vec<&str> = self
                .chat
                .members
                .iter()
                .filter(|m| m.id != me)
                .map(|m| m.name.as_str())
                .collect();
            if others.is_empty() {
                "Private chat".to_owned()
            } else {
                others.join(", ")
            }
        } else {
            self.chat.visitor_name.clone()
        }
    }

    /// Names of the participants, in the order they came.
    pub fn participant_names(&self) -> Vec<String> {
        self.chat.participants().map(|m| m.name.clone()).collect()
    }
}

/// Which events of a chat I am alerted to (a per-chat switch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monitoring {
    /// None.
    Off,
    /// What the visitor does: their messages and their leaving.
    #[default]
    Visitor,
    /// Everything anyone else does.
    All,
}

impl Monitoring {
    /// Every level, in the order the switch cycles through them.
    pub const ALL: [Monitoring; 3] = [Self::Off, Self::Visitor, Self::All];

    /// The level as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Visitor => "visitor",
            Self::All => "all",
        }
    }

    /// Parses a stored or submitted level.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The next level when the switch is clicked.
    pub fn next(self) -> Self {
        match self {
            Self::Off => Self::Visitor,
            Self::Visitor => Self::All,
            Self::All => Self::Off,
        }
    }

    /// Whether `event` in a chat I am in should alert me at this level.
    pub fn alerts(self, event: &EventKind, me: OperatorId) -> bool {
        let by_visitor = matches!(
            event,
            EventKind::MessagePosted {
                author: Author::Visitor,
                ..
            } | EventKind::VisitorLeft
        );
        match self {
            Self::Off => false,
            Self::Visitor => by_visitor,
            Self::All => {
                !caused_by(event, me) && event.describe(Viewer::Operator(me)).is_some()
                    || by_visitor
                    || matches!(event, EventKind::MessagePosted { author: Author::Operator { id }, .. } if *id != me)
            }
        }
    }
}

/// Whether `me` caused the event (my own actions never alert me).
fn caused_by(event: &EventKind, me: OperatorId) -> bool {
    match event {
        EventKind::MessagePosted { author, .. } => *author == Author::Operator { id: me },
        EventKind::PrivateChatStarted { by, .. } => *by == me,
        EventKind::OperatorAccepted { operator, .. }
        | EventKind::OperatorJoined { operator, .. }
        | EventKind::RoleChanged { operator, .. }
        | EventKind::OperatorLeft { operator, .. }
        | EventKind::VisitorKicked { operator, .. }
        | EventKind::ChannelChanged { operator, .. }
        | EventKind::ChatClosed { operator, .. } => *operator == me,
        EventKind::OfferMade { from, .. } => *from == me,
        EventKind::OfferDeclined { target, .. } => *target == me,
        EventKind::AssignmentPassed { operator, why, .. } => {
            *operator == me && *why == crate::routing::PassReason::Declined
        }
        EventKind::OperatorReturned { operator, .. } => *operator == me,
        EventKind::ChatAssigned { .. }
        | EventKind::ChatMissed { .. }
        | EventKind::OperatorInactive { .. }
        | EventKind::OfferWithdrawn { .. }
        | EventKind::HoldChanged { .. }
        | EventKind::StatusChanged { .. }
        | EventKind::ChatStarted { .. }
        | EventKind::ChatRated { .. }
        | EventKind::CallEnded { .. }
        | EventKind::CallRequested { .. }
        | EventKind::VisitorLeft => false,
        EventKind::CallStarted { operator, .. } => *operator == me,
    }
}

/// A chat the operator is in, with its conversation so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyChat {
    /// The chat.
    pub summary: ChatSummary,
    /// Its events that this operator may see, oldest first.
    pub events: Vec<ChatEvent>,
    /// The last event this operator has read.
    pub read_up_to: EventId,
    /// The newest event the visitor has seen (V5), updated live by `seen` signals.
    #[serde(default)]
    pub visitor_seen_up_to: EventId,
    /// Which of its events alert this operator.
    #[serde(default)]
    pub monitoring: Monitoring,
    /// The newest event the summary reflects; older ones arriving late change nothing.
    #[serde(default)]
    pub folded_up_to: EventId,
}

impl MyChat {
    /// Under the operators' newest message to the visitor (V5): whether the visitor has seen
    /// it, or it only reached the server; `None` before any such message, and in chats
    /// between operators.
    pub fn visitor_receipt(&self) -> Option<bool> {
        if self.summary.chat.is_private() {
            return None;
        }
        let last = self.events.iter().rev().find(|e| {
            matches!(
                e.kind,
                EventKind::MessagePosted {
                    author: Author::Operator { .. },
                    note: false,
                    ..
                }
            )
        })?;
        Some(last.id <= self.visitor_seen_up_to)
    }

    /// The visitor has seen the chat up to `up_to` (a `seen` signal); answers whether that
    /// moved the mark.
    pub fn hear_seen(&mut self, up_to: EventId) -> bool {
        let moved = up_to > self.visitor_seen_up_to;
        if moved {
            self.visitor_seen_up_to = up_to;
        }
        moved
    }

    /// Folds one event of this chat in, once, in order.
    fn fold(&mut self, event: &ChatEvent) {
        if event.id > self.folded_up_to {
            self.summary.apply(&event.kind);
            self.folded_up_to = event.id;
        }
        insert_sorted(&mut self.events, event);
    }
}

/// Whether `event` brings `me` into a chat.
fn enters(event: &EventKind, me: OperatorId) -> bool {
    match event {
        EventKind::PrivateChatStarted { by, with, .. } => *by == me || *with == me,
        other => other.membership_of() == Some((me, true)),
    }
}

/// Everything the console needs at load; live events after `last_event_id` keep it current.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSnapshot {
    /// The operator.
    pub me: Me,
    /// Every visitor chat that is not closed.
    pub dashboard: Vec<ChatSummary>,
    /// Chats the operator is in.
    pub my_chats: Vec<MyChat>,
    /// The newest event reflected in this snapshot.
    pub last_event_id: EventId,
    /// Every channel, archived ones included (chats may still be in them).
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Which channels' chats the dashboard lists; the stream must carry the same.
    #[serde(default)]
    pub filter: ChannelFilter,
    /// When waiting chats alert again (R3).
    #[serde(default)]
    pub escalation: Escalation,
    /// The server's clock when the snapshot was taken: the console measures waiting times
    /// against it, whatever the operator's own clock says.
    #[serde(default)]
    pub server_time: Timestamp,
}

/// When a chat left waiting alerts again (R3): after `after_ms` for the operators it was
/// for, after `supervisors_after_ms` for every supervisor and admin too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// T1 (milliseconds).
    pub after_ms: i64,
    /// T2 (milliseconds).
    pub supervisors_after_ms: i64,
    /// How chats outside an automatic or manual channel find an operator.
    #[serde(default)]
    pub routing: crate::routing::RoutingMode,
}

impl Default for Escalation {
    fn default() -> Self {
        Self {
            after_ms: 60_000,
            supervisors_after_ms: 180_000,
            routing: crate::routing::RoutingMode::Manual,
        }
    }
}

/// The chat controls that need nothing but the chat: the console sends one of these and the
/// domain decides whether this operator may do it now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChatAction {
    /// Join an active chat as a participant.
    Join,
    /// Watch a chat invisibly.
    Watch,
    /// Accept an invitation as a participant.
    AcceptInvite,
    /// Accept an invitation as an observer.
    AcceptInviteAsObserver,
    /// Assume a transfer.
    Assume,
    /// Decline an invitation or transfer.
    Decline,
    /// Become a participant (from observer).
    BecomeParticipant,
    /// Become an observer (from participant).
    BecomeObserver,
    /// Leave the chat.
    Leave,
    /// End the chat for the visitor.
    Kick,
    /// Close the chat for everyone.
    Close,
    /// Put the chat on hold.
    Hold,
    /// Resume a held chat.
    Resume,
}

impl ChatAction {
    /// The state-machine command it stands for.
    pub fn command(self) -> Command {
        match self {
            Self::Join => Command::Join,
            Self::Watch => Command::Watch,
            Self::AcceptInvite => Command::AcceptInvite {
                role: MemberRole::Participant,
            },
            Self::AcceptInviteAsObserver => Command::AcceptInvite {
                role: MemberRole::Observer,
            },
            Self::Assume => Command::AssumeTransfer,
            Self::Decline => Command::DeclineOffer,
            Self::BecomeParticipant => Command::SwitchRole {
                role: MemberRole::Participant,
            },
            Self::BecomeObserver => Command::SwitchRole {
                role: MemberRole::Observer,
            },
            Self::Leave => Command::Leave,
            Self::Kick => Command::Kick,
            Self::Close => Command::Close,
            Self::Hold => Command::Hold { on: true },
            Self::Resume => Command::Hold { on: false },
        }
    }
}

/// An operator who is online, as the invite, transfer and private-chat pickers list them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineOperator {
    /// Who.
    pub id: OperatorId,
    /// Their chat name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Idle for longer than the away threshold.
    #[serde(default)]
    pub away: bool,
    /// Set Unavailable by hand.
    #[serde(default)]
    pub unavailable: bool,
}

/// What the chat sidebar shows about a visitor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorInfo {
    /// The name they gave.
    pub name: String,
    /// Email, if given.
    pub email: Option<String>,
    /// Browser language.
    pub language: Option<String>,
    /// The browser's User-Agent.
    pub user_agent: Option<String>,
    /// The page they are on.
    pub page_url: Option<String>,
    /// Its title.
    pub page_title: Option<String>,
    /// Where they came from.
    pub referrer: Option<String>,
    /// First seen on the site.
    pub first_seen: Timestamp,
    /// Last page view or call.
    pub last_seen: Timestamp,
    /// Custom fields passed by the host page.
    pub fields: std::collections::BTreeMap<String, String>,
}

/// A visitor on the site now, as the operator API lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OnlineVisitor {
    /// The visitor.
    pub id: VisitorId,
    /// What operators see of them.
    #[serde(flatten)]
    pub info: VisitorInfo,
}

/// A short "Browser version on System" reading of a User-Agent, for the sidebar.
pub fn browser_summary(user_agent: &str) -> String {
    let version_after = |marker: &str| {
        user_agent.split(marker).nth(1).map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or_default()
                .to_owned()
        })
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
    ]
    .into_iter()
    .find_map(|(marker, name)| version_after(marker).map(|v| format!("{name} {v}")));
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b,
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => "Unknown browser".to_owned(),
    }
}

/// Inserts an event in id order unless it is already there.
fn insert_sorted(events: &mut Vec<ChatEvent>, event: &ChatEvent) {
    if let Err(at) = events.binary_search_by_key(&event.id, |e| e.id) {
        events.insert(at, event.clone());
    }
}

/// Messages in `events` after `read_up_to` written by someone other than `me`.
pub fn unread_count(events: &[ChatEvent], read_up_to: EventId, me: OperatorId) -> usize {
    events
        .iter()
        .filter(|event| event.id > read_up_to)
        .filter(|event| match &event.kind {
            EventKind::MessagePosted { author, .. } => *author != Author::Operator { id: me },
            _ => false,
        })
        .count()
}

/// What a console shows, kept current by folding live events into it. Pure, so the console's
/// behaviour (badges, lists, tabs) is tested without a browser.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleModel {
    /// The operator whose console this is.
    pub me: Option<OperatorId>,
    /// Every chat that is not closed.
    pub dashboard: Vec<ChatSummary>,
    /// Chats the operator is in, in the order they were opened.
    pub my_chats: Vec<MyChat>,
    /// The newest event folded in; the live stream resumes after it.
    pub last_event_id: EventId,
    /// Chats being loaded, with the live events that arrived for them meanwhile.
    #[serde(skip)]
    pub loading: Vec<(ChatId, Vec<ChatEvent>)>,
    /// Every channel, with who serves it.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Which channels' chats the dashboard lists.
    #[serde(default)]
    pub filter: ChannelFilter,
    /// The operator set themself Unavailable: no new-chat pop-ups.
    #[serde(default)]
    pub unavailable: bool,
    /// When waiting chats alert again.
    #[serde(default)]
    pub escalation: Escalation,
    /// The level each waiting chat has alerted at (1: T1, 2: T2), so each alerts once per
    /// level.
    #[serde(skip)]
    pub escalated: Vec<(ChatId, u8)>,
    /// The server's clock minus this browser's, from the last snapshot.
    #[serde(skip)]
    pub clock_offset_ms: i64,
}

/// Something that should catch the operator's attention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// The chat it is about.
    pub chat: ChatId,
    /// What kind of news.
    pub kind: AlertKind,
    /// A short headline.
    pub title: String,
    /// One line of detail.
    pub body: String,
}

/// Kinds of alerts; the first four ask for an answer and pop up with a button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    /// A visitor is waiting.
    NewChat,
    /// Someone invited me.
    Invite,
    /// Someone offers me a chat.
    Transfer,
    /// Another operator started a private chat with me.
    PrivateChat,
    /// Activity in a chat I am in, per its monitoring switch.
    Activity,
}

/// What the console must do after folding an event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Followup {
    /// I came into a chat this console has no history of: load it.
    pub load: Option<ChatId>,
    /// Tell me about it.
    pub alert: Option<Alert>,
    /// A chat came onto my dashboard that the console has no summary of (offered to me, or
    /// moved into my channels): load the console afresh and stream from there.
    pub resync: bool,
}

impl ConsoleModel {
    /// A model from a snapshot.
    pub fn from_snapshot(snapshot: &ConsoleSnapshot) -> Self {
        Self {
            me: Some(snapshot.me.id),
            dashboard: snapshot.dashboard.clone(),
            my_chats: snapshot.my_chats.clone(),
            last_event_id: snapshot.last_event_id,
            loading: Vec::new(),
            channels: snapshot.channels.clone(),
            filter: snapshot.filter,
            unavailable: snapshot.me.unavailable,
            escalation: snapshot.escalation,
            escalated: Vec::new(),
            clock_offset_ms: 0,
        }
    }

    /// The waiting chats that have waited past a threshold since the last look, as alerts
    /// (R3): past T1, for the operators a new chat pops up for; past T2, for supervisors and
    /// admins as well, whatever their channels. `now` is on the server's clock. Each chat
    /// alerts once per level; a chat that stops waiting is forgotten.
    pub fn escalate(&mut self, now: Timestamp, role: Role) -> Vec<Alert> {
        let Some(me) = self.me else {
            return Vec::new();
        };
        let mut alerts = Vec::new();
        let mut levels = Vec::new();
        for summary in &self.dashboard {
            if summary.status() != ChatStatus::Waiting {
                continue;
            }
            let waited = now.millis_since(summary.started_at);
            let mine = self.waiting_chat_is_mine(&summary.chat);
            let level = if waited >= self.escalation.supervisors_after_ms
                && (mine || (role >= Role::Supervisor && !self.unavailable))
            {
                2
            } else if waited >= self.escalation.after_ms && mine {
                1
            } else {
                0
            };
            let before = self
                .escalated
                .iter()
                .find(|(chat, _)| *chat == summary.id())
                .map_or(0, |(_, level)| *level);
            levels.push((summary.id(), level.max(before)));
            if level > before {
                let minutes = (waited / 60_000).max(1);
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                alerts.push(Alert {
                    chat: summary.id(),
                    kind: AlertKind::NewChat,
                    title: if level == 2 {
                        "Nobody has answered".into()
                    } else {
                        "Still waiting".into()
                    },
                    body: format!("{} has waited {minutes} {unit}", summary.title(me)),
                });
            }
        }
        self.escalated = levels;
        alerts
    }

    /// Whether a new chat in `channel` is for me to take (R1): not while I am Unavailable;
    /// then a chat in no channel is everyone's, and a channel's chat is for those who serve
    /// it (everyone's, should nobody serve it, so that it is not missed).
    pub fn new_chat_is_mine(&self, channel: Option<ChannelId>) -> bool {
        let Some(me) = self.me else {
            return false;
        };
        if self.unavailable {
            return false;
        }
        crate::channel::answered_by(
            channel.and_then(|id| self.channels.iter().find(|c| c.id == id)),
            me,
        )
    }

    /// Whether chats in `channel` are assigned by automatic routing rather than offered to
    /// everyone.
    pub fn routed_automatically(&self, channel: Option<ChannelId>) -> bool {
        let own = channel
            .and_then(|id| self.channels.iter().find(|c| c.id == id))
            .and_then(|c| c.settings.routing);
        own.unwrap_or(self.escalation.routing) == crate::routing::RoutingMode::Automatic
    }

    /// Whether a waiting chat is for me to answer: under automatic routing only while it is
    /// assigned to me (or to nobody, when nobody could be chosen); otherwise as
    /// [`Self::new_chat_is_mine`].
    pub fn waiting_chat_is_mine(&self, chat: &ChatState) -> bool {
        if !self.new_chat_is_mine(chat.channel) {
            return false;
        }
        if !self.routed_automatically(chat.channel) {
            return true;
        }
        match &chat.assigned {
            Some(assigned) => Some(assigned.operator) == self.me,
            None => true,
        }
    }

    /// What this console's stream carries: the dashboard changes its filter lists.
    pub fn interest(&self) -> Interest {
        let me = self.me.unwrap_or_default();
        self.filter.interest(channels_of(&self.channels, me))
    }

    /// The dashboard's chats under the filter. Chats I am in, or that someone offers me, are
    /// always listed: they are mine whatever their channel.
    pub fn listed(&self) -> impl Iterator<Item = &ChatSummary> {
        let me = self.me.unwrap_or_default();
        let interest = self.interest();
        self.dashboard
            .iter()
            .filter(move |summary| interest.lists(&summary.chat, me))
    }

    /// Folds one live event. Events at or before `last_event_id` were already folded and are
    /// ignored, so a replay after reconnecting never shows (or alerts) anything twice.
    pub fn apply(&mut self, event: &ChatEvent) -> Followup {
        if event.id <= self.last_event_id {
            return Followup::default();
        }
        self.last_event_id = event.id;
        let alert = self.alert(event);
        let chat = event.chat_id;
        let me = self.me.unwrap_or_default();
        let interest = self.interest();
        let mut resync = false;
        match &event.kind {
            EventKind::ChatStarted { .. } => {
                if !self.dashboard.iter().any(|c| c.id() == chat) {
                    let mut summary = ChatSummary::new(chat, event.at);
                    summary.apply(&event.kind);
                    self.dashboard.push(summary);
                }
            }
            kind => {
                if let Some(at) = self.dashboard.iter().position(|c| c.id() == chat) {
                    self.dashboard[at].apply(kind);
                    // Out of my channels and no longer mine: nothing more about it reaches
                    // this console, so it must not linger.
                    if !interest.lists(&self.dashboard[at].chat, me) {
                        self.dashboard.remove(at);
                    }
                } else {
                    resync = match kind {
                        EventKind::OfferMade { target, .. } => *target == me,
                        EventKind::ChannelChanged { channel, .. } => {
                            interest.admits(Some(*channel))
                        }
                        _ => false,
                    };
                }
            }
        }
        let mut load = None;
        if let Some(mine) = self.my_chats.iter_mut().find(|c| c.summary.id() == chat) {
            mine.fold(event);
        } else if let Some((_, buffered)) = self.loading.iter_mut().find(|(id, _)| *id == chat) {
            buffered.push(event.clone());
        } else if self.me.is_some_and(|me| enters(&event.kind, me)) {
            self.loading.push((chat, Vec::new()));
            load = Some(chat);
        }
        let me_left =
            matches!(event.kind.membership_of(), Some((who, false)) if Some(who) == self.me);
        if me_left {
            self.my_chats.retain(|c| c.summary.id() != chat);
        }
        if let EventKind::StatusChanged {
            status: ChatStatus::Closed,
        } = &event.kind
        {
            self.dashboard.retain(|c| c.id() != chat);
            self.my_chats.retain(|c| c.summary.id() != chat);
        }
        Followup {
            load,
            alert,
            resync,
        }
    }

    /// The alert `event` deserves, judged on the model before the event is folded in.
    fn alert(&self, event: &ChatEvent) -> Option<Alert> {
        let me = self.me?;
        let chat = event.chat_id;
        let title_of = |fallback: &str| {
            self.dashboard
                .iter()
                .chain(self.my_chats.iter().map(|c| &c.summary))
                .find(|c| c.id() == chat)
                .map_or_else(|| fallback.to_owned(), |c| c.title(me))
        };
        let alert = |kind, title: String, body: String| {
            Some(Alert {
                chat,
                kind,
                title,
                body,
            })
        };
        match &event.kind {
            EventKind::ChatStarted {
                visitor_name,
                channel,
                ..
            } if self.new_chat_is_mine(*channel) && !self.routed_automatically(*channel) => alert(
                AlertKind::NewChat,
                "New chat".into(),
                format!("{visitor_name} is waiting for an operator"),
            ),
            EventKind::ChatAssigned {
                operator, reason, ..
            } if *operator == me && !self.unavailable => alert(
                AlertKind::NewChat,
                "Chat assigned to you".into(),
                format!("{} is waiting for you ({reason})", title_of("A visitor")),
            ),
            EventKind::OfferMade {
                kind,
                target,
                from_name,
                ..
            } if *target == me => {
                let visitor = title_of("a visitor");
                match kind {
                    OfferKind::Invite => alert(
                        AlertKind::Invite,
                        "Invitation".into(),
                        format!("{from_name} invites you to the chat with {visitor}"),
                    ),
                    OfferKind::Transfer => alert(
                        AlertKind::Transfer,
                        "Transfer".into(),
                        format!("{from_name} wants to hand the chat with {visitor} to you"),
                    ),
                }
            }
            EventKind::PrivateChatStarted { by_name, with, .. } if *with == me => alert(
                AlertKind::PrivateChat,
                "Private chat".into(),
                format!("{by_name} started a chat with you"),
            ),
            kind => {
                let mine = self.my_chats.iter().find(|c| c.summary.id() == chat)?;
                if !mine.monitoring.alerts(kind, me) {
                    return None;
                }
                let body = match kind {
                    EventKind::MessagePosted {
                        author_name, body, ..
                    } => format!("{author_name}: {body}"),
                    other => other.describe(Viewer::Operator(me))?,
                };
                alert(AlertKind::Activity, mine.summary.title(me), body)
            }
        }
    }

    /// Records an event the console learnt from a command's answer (e.g. its own message) before
    /// the stream delivered it. Unlike [`ConsoleModel::apply`] it does not move the stream's
    /// position, so earlier events still arriving on the stream are not lost.
    pub fn record(&mut self, event: &ChatEvent) {
        if let Some(mine) = self
            .my_chats
            .iter_mut()
            .find(|c| c.summary.id() == event.chat_id)
        {
            insert_sorted(&mut mine.events, event);
        }
    }

    /// Adds (or completes) a chat the operator is in: live events that arrived while it loaded
    /// are folded in after the loaded ones, and each event counts once.
    pub fn add_my_chat(&mut self, mut chat: MyChat) {
        let id = chat.summary.id();
        if let Some(at) = self.loading.iter().position(|(loading, _)| *loading == id) {
            let (_, buffered) = self.loading.remove(at);
            for event in &buffered {
                chat.fold(event);
            }
        }
        let still_mine = self.me.is_none_or(|me| chat.summary.chat.has_operator(me));
        if chat.summary.status() == ChatStatus::Closed || !still_mine {
            return;
        }
        match self.my_chats.iter_mut().find(|c| c.summary.id() == id) {
            Some(existing) => {
                for event in &chat.events {
                    insert_sorted(&mut existing.events, event);
                }
                if chat.folded_up_to > existing.folded_up_to {
                    existing.summary = chat.summary;
                    existing.folded_up_to = chat.folded_up_to;
                }
                existing.read_up_to = existing.read_up_to.max(chat.read_up_to);
                existing.monitoring = chat.monitoring;
            }
            None => self.my_chats.push(chat),
        }
    }

    /// My chats as tabs: each chat's id and what it is called for me.
    pub fn my_chat_titles(&self) -> Vec<(ChatId, String)> {
        let me = self.me.unwrap_or_default();
        self.my_chats
            .iter()
            .map(|c| (c.summary.id(), c.summary.title(me)))
            .collect()
    }

    /// Number of chats waiting for an operator (the Dashboard badge).
    pub fn waiting_count(&self) -> usize {
        self.dashboard
            .iter()
            .filter(|c| c.status() == ChatStatus::Waiting)
            .count()
    }

    /// Unread messages in one of my chats (its tab's badge).
    pub fn unread(&self, chat: ChatId) -> usize {
        match (
            self.me,
            self.my_chats.iter().find(|c| c.summary.id() == chat),
        ) {
            (Some(me), Some(mine)) => unread_count(&mine.events, mine.read_up_to, me),
            _ => 0,
        }
    }

    /// Unread messages across my chats (the My Chats badge).
    pub fn total_unread(&self) -> usize {
        self.my_chats
            .iter()
            .map(|c| self.unread(c.summary.id()))
            .sum()
    }

    /// Marks a chat read up to its newest event; answers that event's id if the marker moved.
    pub fn mark_read(&mut self, chat: ChatId) -> Option<EventId> {
        let mine = self.my_chats.iter_mut().find(|c| c.summary.id() == chat)?;
        let newest = mine.events.last()?.id;
        if newest > mine.read_up_to {
            mine.read_up_to = newest;
            Some(newest)
        } else {
            None
        }
    }
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
                note: false,
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

    fn event(id: i64, chat: ChatId, kind: EventKind) -> ChatEvent {
        ChatEvent {
            id: EventId(id),
            chat_id: chat,
            at: Timestamp(id),
            kind,
        }
    }

    fn said(id: i64, chat: ChatId, author: Author) -> ChatEvent {
        event(
            id,
            chat,
            EventKind::MessagePosted {
                author,
                author_name: "x".into(),
                body: "b".into(),
                client_id: None,
                note: false,
            },
        )
    }

    fn started(id: i64, chat: ChatId) -> ChatEvent {
        event(
            id,
            chat,
            EventKind::ChatStarted {
                visitor: Some(crate::VisitorId(Uuid::from_u128(99))),
                visitor_name: "Vera".into(),
                channel: None,
            },
        )
    }

    fn model_of(me: OperatorId) -> ConsoleModel {
        ConsoleModel {
            me: Some(me),
            ..ConsoleModel::default()
        }
    }

    fn summary_after(chat: ChatId, events: &[&ChatEvent]) -> ChatSummary {
        let mut summary = ChatSummary::new(chat, Timestamp(1));
        for e in events {
            summary.apply(&e.kind);
        }
        summary
    }

    #[test]
    fn my_channels_console_drops_chats_that_leave_them_and_resyncs_for_chats_that_come_in() {
        use crate::channel::ChannelSettings;
        use crate::ids::ChannelId;
        let me = OperatorId(Uuid::from_u128(1));
        let sales = ChannelId(Uuid::from_u128(10));
        let support = ChannelId(Uuid::from_u128(20));
        let mut model = model_of(me);
        model.filter = ChannelFilter::Mine;
        model.channels = vec![Channel {
            id: sales,
            name: "Sales".into(),
            archived: false,
            operators: vec![me],
            settings: ChannelSettings::default(),
        }];
        assert_eq!(model.interest(), Interest::Channels(vec![sales]));
        let chat = ChatId(Uuid::from_u128(7));
        let moved = |id, channel| {
            event(
                id,
                chat,
                EventKind::ChannelChanged {
                    channel,
                    channel_name: "x".into(),
                    operator: OperatorId(Uuid::from_u128(2)),
                    operator_name: "Bob".into(),
                },
            )
        };
        model.apply(&started(1, chat));
        assert_eq!(model.listed().count(), 1);
        // Moved to Support: nothing more about it will reach this console.
        let out = model.apply(&moved(2, support));
        assert!(!out.resync);
        assert!(model.dashboard.is_empty());
        // Back into Sales: the console has no summary of it and must load afresh.
        assert!(model.apply(&moved(3, sales)).resync);
        // So must an offer to me of a chat it does not list; others' offers are not news.
        let offer = |id, target| {
            event(
                id,
                ChatId(Uuid::from_u128(8)),
                EventKind::OfferMade {
                    kind: OfferKind::Invite,
                    target,
                    target_name: "x".into(),
                    from: OperatorId(Uuid::from_u128(2)),
                    from_name: "Bob".into(),
                },
            )
        };
        assert!(
            !model
                .apply(&offer(4, OperatorId(Uuid::from_u128(3))))
                .resync
        );
        assert!(model.apply(&offer(5, me)).resync);
        // Listing every channel, nothing is dropped.
        let mut all = model_of(me);
        all.apply(&started(1, chat));
        all.apply(&moved(2, support));
        assert_eq!(all.listed().count(), 1);
    }

    #[test]
    fn a_new_chat_pops_up_only_for_its_channels_operators_and_not_while_unavailable() {
        let me = OperatorId(Uuid::from_u128(1));
        let other = OperatorId(Uuid::from_u128(2));
        let channel = |n: u128, operators: Vec<OperatorId>| Channel {
            id: ChannelId(Uuid::from_u128(500 + n)),
            name: format!("c{n}"),
            archived: false,
            operators,
            settings: crate::channel::ChannelSettings::default(),
        };
        let mut model = model_of(me);
        model.channels = vec![
            channel(1, vec![me]),
            channel(2, vec![other]),
            channel(3, vec![]),
        ];
        let started_in = |n: Option<u128>| {
            let mut event = started(7, ChatId(Uuid::from_u128(70)));
            if let EventKind::ChatStarted { channel, .. } = &mut event.kind {
                *channel = n.map(|n| ChannelId(Uuid::from_u128(500 + n)));
            }
            event
        };
        let pops = |model: &ConsoleModel, n| {
            model
                .alert(&started_in(n))
                .is_some_and(|a| a.kind == AlertKind::NewChat)
        };
        assert!(pops(&model, None), "a chat in no channel is everyone's");
        assert!(pops(&model, Some(1)), "my channel");
        assert!(
            !pops(&model, Some(2)),
            "another channel's operators take it"
        );
        assert!(
            pops(&model, Some(3)),
            "nobody serves that channel: not missed"
        );
        model.unavailable = true;
        assert!(!pops(&model, None), "unavailable: no pop-up");
        assert!(!pops(&model, Some(1)));
    }

    #[test]
    fn a_waiting_chat_alerts_again_at_t1_and_reaches_supervisors_at_t2() {
        let me = OperatorId(Uuid::from_u128(1));
        let other = OperatorId(Uuid::from_u128(2));
        let waiting_in = |n: u128, channel: Option<ChannelId>| {
            let mut summary = ChatSummary::new(ChatId(Uuid::from_u128(n)), Timestamp(0));
            summary.chat.status = ChatStatus::Waiting;
            summary.chat.channel = channel;
            summary
        };
        let theirs = ChannelId(Uuid::from_u128(600));
        let mut model = model_of(me);
        model.channels = vec![Channel {
            id: theirs,
            name: "Sales".into(),
            archived: false,
            operators: vec![other],
            settings: crate::channel::ChannelSettings::default(),
        }];
        model.dashboard = vec![waiting_in(1, None), waiting_in(2, Some(theirs))];
        let at = |seconds: i64| Timestamp(seconds * 1000);
        let told = |alerts: Vec<Alert>| -> Vec<(u128, String)> {
            alerts
                .into_iter()
                .map(|a| (a.chat.0.as_u128(), a.title))
                .collect()
        };
        // An operator: the chat in no channel at T1, once; never the other channel's.
        assert!(model.escalate(at(59), Role::Operator).is_empty());
        assert_eq!(
            told(model.escalate(at(60), Role::Operator)),
            [(1, "Still waiting".to_owned())]
        );
        assert!(model.escalate(at(61), Role::Operator).is_empty());
        assert_eq!(
            told(model.escalate(at(180), Role::Operator)),
            [(1, "Nobody has answered".to_owned())]
        );
        // A supervisor hears of every chat at T2, the other channel's too.
        let mut supervisor = model.clone();
        supervisor.escalated.clear();
        assert_eq!(
            told(supervisor.escalate(at(200), Role::Supervisor)),
            [
                (1, "Nobody has answered".to_owned()),
                (2, "Nobody has answered".to_owned())
            ]
        );
        // Taken: forgotten.
        model.dashboard[0].chat.status = ChatStatus::Active;
        assert!(model.escalate(at(300), Role::Operator).is_empty());
        assert!(
            model
                .escalated
                .iter()
                .all(|(chat, _)| chat.0.as_u128() != 1)
        );
    }

    #[test]
    fn model_follows_a_chat_from_waiting_to_mine_to_closed() {
        let me = OperatorId(Uuid::from_u128(1));
        let chat = ChatId(Uuid::from_u128(7));
        let mut model = model_of(me);
        let first = model.apply(&started(1, chat));
        assert_eq!(first.alert.map(|a| a.kind), Some(AlertKind::NewChat));
        model.apply(&said(2, chat, Author::Visitor));
        assert_eq!(model.waiting_count(), 1);
        let accepted = event(
            3,
            chat,
            EventKind::OperatorAccepted {
                operator: me,
                operator_name: "Ann".into(),
            },
        );
        assert_eq!(model.apply(&accepted).load, Some(chat));
        // Arrives while the chat loads: kept, and folded after the loaded history.
        let activated = event(
            4,
            chat,
            EventKind::StatusChanged {
                status: ChatStatus::Active,
            },
        );
        model.apply(&activated);
        assert_eq!(model.waiting_count(), 0);

        let loaded_events = vec![
            started(1, chat),
            said(2, chat, Author::Visitor),
            accepted.clone(),
        ];
        model.add_my_chat(MyChat {
            summary: summary_after(chat, &[&loaded_events[0], &accepted]),
            events: loaded_events,
            read_up_to: EventId(0),
            visitor_seen_up_to: EventId::default(),
            monitoring: Monitoring::Visitor,
            folded_up_to: EventId(3),
        });
        assert_eq!(model.my_chats[0].summary.status(), ChatStatus::Active);
        model.apply(&said(5, chat, Author::Visitor));
        model.apply(&said(5, chat, Author::Visitor));
        model.apply(&said(6, chat, Author::Operator { id: me }));
        let ids: Vec<i64> = model.my_chats[0].events.iter().map(|e| e.id.0).collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5, 6]);
        // My own message answered before the stream caught up: both end up in order, once.
        model.record(&said(9, chat, Author::Operator { id: me }));
        model.apply(&said(8, chat, Author::Visitor));
        model.apply(&said(9, chat, Author::Operator { id: me }));
        let ids: Vec<i64> = model.my_chats[0].events.iter().map(|e| e.id.0).collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5, 6, 8, 9]);
        assert_eq!(model.mark_read(chat), Some(EventId(9)));
        model.apply(&said(10, chat, Author::Visitor));
        model.apply(&said(11, chat, Author::Visitor));
        assert_eq!(model.unread(chat), 2);
        assert_eq!(model.total_unread(), 2);
        assert_eq!(model.mark_read(chat), Some(EventId(11)));
        assert_eq!(model.mark_read(chat), None);
        assert_eq!(model.total_unread(), 0);

        model.apply(&event(
            12,
            chat,
            EventKind::StatusChanged {
                status: ChatStatus::Closed,
            },
        ));
        assert!(model.dashboard.is_empty() && model.my_chats.is_empty());
    }

    #[test]
    fn dashboard_lists_offers_to_me_under_invite_and_transfer() {
        let me = OperatorId(Uuid::from_u128(1));
        let ann = OperatorId(Uuid::from_u128(2));
        let chat = ChatId(Uuid::from_u128(7));
        let mut model = model_of(me);
        model.apply(&started(1, chat));
        let other = EventKind::OperatorAccepted {
            operator: ann,
            operator_name: "Ann".into(),
        };
        assert_eq!(model.apply(&event(2, chat, other)), Followup::default());
        model.apply(&event(
            3,
            chat,
            EventKind::StatusChanged {
                status: ChatStatus::Active,
            },
        ));
        assert!(model.my_chats.is_empty());
        assert_eq!(
            model.dashboard[0].participant_names(),
            vec!["Ann".to_string()]
        );
        assert_eq!(model.dashboard[0].category(me), Category::Active);
        let invited = model.apply(&event(
            4,
            chat,
            EventKind::OfferMade {
                kind: OfferKind::Transfer,
                target: me,
                target_name: "Me".into(),
                from: ann,
                from_name: "Ann".into(),
            },
        ));
        let alert = invited.alert.unwrap_or_else(|| panic!("no alert"));
        assert_eq!(alert.kind, AlertKind::Transfer);
        assert!(alert.body.contains("Vera"), "{}", alert.body);
        assert_eq!(model.dashboard[0].category(me), Category::Transfer);
        assert_eq!(model.dashboard[0].category(ann), Category::Active);
        model.apply(&event(
            5,
            chat,
            EventKind::OfferWithdrawn {
                kind: OfferKind::Transfer,
                target: me,
                target_name: "Me".into(),
            },
        ));
        assert_eq!(model.dashboard[0].category(me), Category::Active);
    }

    #[test]
    fn leaving_or_being_transferred_away_closes_my_tab() {
        let me = OperatorId(Uuid::from_u128(1));
        let chat = ChatId(Uuid::from_u128(7));
        let mut model = model_of(me);
        let accepted = event(
            2,
            chat,
            EventKind::OperatorAccepted {
                operator: me,
                operator_name: "Me".into(),
            },
        );
        model.add_my_chat(MyChat {
            summary: summary_after(chat, &[&started(1, chat), &accepted]),
            events: vec![started(1, chat), accepted],
            read_up_to: EventId(0),
            visitor_seen_up_to: EventId::default(),
            monitoring: Monitoring::All,
            folded_up_to: EventId(2),
        });
        model.last_event_id = EventId(2);
        let left = model.apply(&event(
            3,
            chat,
            EventKind::OperatorLeft {
                operator: me,
                operator_name: "Me".into(),
                transferred_to: Some("Bob".into()),
            },
        ));
        assert!(left.alert.is_none(), "my own leaving does not alert me");
        assert!(model.my_chats.is_empty());
        // A late answer to an earlier load does not bring the tab back.
        model.add_my_chat(MyChat {
            summary: summary_after(chat, &[&started(1, chat)]),
            events: vec![started(1, chat)],
            read_up_to: EventId(0),
            visitor_seen_up_to: EventId::default(),
            monitoring: Monitoring::All,
            folded_up_to: EventId(1),
        });
        assert!(model.my_chats.is_empty());
    }

    #[test]
    fn monitoring_decides_which_events_alert_me() {
        let me = OperatorId(Uuid::from_u128(1));
        let bob = OperatorId(Uuid::from_u128(2));
        let from_visitor = EventKind::MessagePosted {
            author: Author::Visitor,
            author_name: "Vera".into(),
            body: "hi".into(),
            client_id: None,
            note: false,
        };
        let from_bob = EventKind::MessagePosted {
            author: Author::Operator { id: bob },
            author_name: "Bob".into(),
            body: "hi".into(),
            client_id: None,
            note: true,
        };
        let from_me = EventKind::MessagePosted {
            author: Author::Operator { id: me },
            author_name: "Me".into(),
            body: "hi".into(),
            client_id: None,
            note: false,
        };
        let bob_joined = EventKind::OperatorJoined {
            operator: bob,
            operator_name: "Bob".into(),
            role: crate::chat::MemberRole::Participant,
        };
        let table = [
            (Monitoring::Off, [false, false, false, false, false]),
            (Monitoring::Visitor, [true, false, false, false, true]),
            (Monitoring::All, [true, true, false, true, true]),
        ];
        for (level, expected) in table {
            let got = [
                level.alerts(&from_visitor, me),
                level.alerts(&from_bob, me),
                level.alerts(&from_me, me),
                level.alerts(&bob_joined, me),
                level.alerts(&EventKind::VisitorLeft, me),
            ];
            assert_eq!(got, expected, "{level:?}");
            assert_eq!(Monitoring::parse(level.as_str()), Some(level));
        }
        assert_eq!(Monitoring::All.next(), Monitoring::Off);
    }

    #[test]
    fn browser_summary_reads_common_user_agents() {
        let chromium = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                        Chrome/142.0.0.0 Safari/537.36";
        assert_eq!(browser_summary(chromium), "Chrome 142 on Linux");
        let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 \
                       Firefox/133.0";
        assert_eq!(browser_summary(firefox), "Firefox 133 on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_summary(safari), "Safari 18 on iOS");
        assert_eq!(browser_summary("curl/8"), "Unknown browser");
    }

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Role::Admin > Role::Supervisor && Role::Supervisor > Role::Operator);
        for role in [Role::Operator, Role::Supervisor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
