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
            EventKind::MessagePosted { author, .. } => {
                *author != crate::event::Author::Operator { id: me }
            }
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
}

/// What the console must do after folding an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Followup {
    /// Nothing.
    None,
    /// The operator joined a chat this console has no history of: load it.
    LoadChat(ChatId),
}

impl ConsoleModel {
    /// A model from a snapshot.
    pub fn from_snapshot(snapshot: &ConsoleSnapshot) -> Self {
        Self {
            me: Some(snapshot.me.id),
            dashboard: snapshot.dashboard.clone(),
            my_chats: snapshot.my_chats.clone(),
            last_event_id: snapshot.last_event_id,
        }
    }

    /// Folds one live event. Events at or before `last_event_id` were already folded and are
    /// ignored, so a replay after reconnecting never shows anything twice.
    pub fn apply(&mut self, event: &ChatEvent) -> Followup {
        if event.id <= self.last_event_id {
            return Followup::None;
        }
        self.last_event_id = event.id;
        let chat = event.chat_id;
        match &event.kind {
            EventKind::ChatStarted { visitor_name } => {
                if !self.dashboard.iter().any(|c| c.id == chat) {
                    self.dashboard
                        .push(ChatSummary::new(chat, visitor_name.clone(), event.at));
                }
            }
            kind => {
                if let Some(summary) = self.dashboard.iter_mut().find(|c| c.id == chat) {
                    summary.apply(kind);
                }
            }
        }
        let mut followup = Followup::None;
        if let Some(mine) = self.my_chats.iter_mut().find(|c| c.summary.id == chat) {
            mine.summary.apply(&event.kind);
            insert_sorted(&mut mine.events, event);
        } else if let EventKind::OperatorAccepted { operator, .. } = &event.kind
            && Some(*operator) == self.me
        {
            followup = Followup::LoadChat(chat);
        }
        if let EventKind::StatusChanged {
            status: ChatStatus::Closed,
        } = &event.kind
        {
            self.dashboard.retain(|c| c.id != chat);
            self.my_chats.retain(|c| c.summary.id != chat);
        }
        followup
    }

    /// Records an event the console learnt from a command's answer (e.g. its own message) before
    /// the stream delivered it. Unlike [`ConsoleModel::apply`] it does not move the stream's
    /// position, so earlier events still arriving on the stream are not lost.
    pub fn record(&mut self, event: &ChatEvent) {
        if let Some(mine) = self
            .my_chats
            .iter_mut()
            .find(|c| c.summary.id == event.chat_id)
        {
            insert_sorted(&mut mine.events, event);
        }
    }

    /// Adds (or completes) a chat the operator is in, merging events already folded.
    pub fn add_my_chat(&mut self, chat: MyChat) {
        if chat.summary.status == ChatStatus::Closed {
            return;
        }
        match self
            .my_chats
            .iter_mut()
            .find(|c| c.summary.id == chat.summary.id)
        {
            Some(existing) => {
                let mut events = chat.events;
                events.append(&mut existing.events);
                events.sort_by_key(|e| e.id);
                events.dedup_by_key(|e| e.id);
                existing.events = events;
                existing.read_up_to = existing.read_up_to.max(chat.read_up_to);
                if existing.summary.operators.len() < chat.summary.operators.len() {
                    existing.summary = chat.summary;
                }
            }
            None => self.my_chats.push(chat),
        }
    }

    /// Number of chats waiting for an operator (the Dashboard badge).
    pub fn waiting_count(&self) -> usize {
        self.dashboard
            .iter()
            .filter(|c| c.status == ChatStatus::Waiting)
            .count()
    }

    /// Unread messages in one of my chats (its tab's badge).
    pub fn unread(&self, chat: ChatId) -> usize {
        match (self.me, self.my_chats.iter().find(|c| c.summary.id == chat)) {
            (Some(me), Some(mine)) => unread_count(&mine.events, mine.read_up_to, me),
            _ => 0,
        }
    }

    /// Unread messages across my chats (the My Chats badge).
    pub fn total_unread(&self) -> usize {
        self.my_chats
            .iter()
            .map(|c| self.unread(c.summary.id))
            .sum()
    }

    /// Marks a chat read up to its newest event; answers that event's id if the marker moved.
    pub fn mark_read(&mut self, chat: ChatId) -> Option<EventId> {
        let mine = self.my_chats.iter_mut().find(|c| c.summary.id == chat)?;
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
            },
        )
    }

    #[test]
    fn model_follows_a_chat_from_waiting_to_mine_to_closed() {
        let me = OperatorId(Uuid::from_u128(1));
        let chat = ChatId(Uuid::from_u128(7));
        let mut model = ConsoleModel {
            me: Some(me),
            ..ConsoleModel::default()
        };
        model.apply(&event(
            1,
            chat,
            EventKind::ChatStarted {
                visitor_name: "Vera".into(),
            },
        ));
        model.apply(&said(2, chat, Author::Visitor));
        assert_eq!(model.waiting_count(), 1);
        let accepted = EventKind::OperatorAccepted {
            operator: me,
            operator_name: "Ann".into(),
        };
        assert_eq!(
            model.apply(&event(3, chat, accepted.clone())),
            Followup::LoadChat(chat)
        );
        model.apply(&event(
            4,
            chat,
            EventKind::StatusChanged {
                status: ChatStatus::Active,
            },
        ));
        assert_eq!(model.waiting_count(), 0);

        // The history arrives after live events were folded: merged, nothing twice.
        let mut summary = ChatSummary::new(chat, "Vera".into(), Timestamp(1));
        summary.apply(&accepted);
        model.add_my_chat(MyChat {
            summary,
            events: vec![
                event(
                    1,
                    chat,
                    EventKind::ChatStarted {
                        visitor_name: "Vera".into(),
                    },
                ),
                said(2, chat, Author::Visitor),
                event(3, chat, accepted),
            ],
            read_up_to: EventId(0),
        });
        model.apply(&said(5, chat, Author::Visitor));
        model.apply(&said(5, chat, Author::Visitor));
        model.apply(&said(6, chat, Author::Operator { id: me }));
        let ids: Vec<i64> = model.my_chats[0].events.iter().map(|e| e.id.0).collect();
        assert_eq!(ids, vec![1, 2, 3, 5, 6]);
        // My own message answered before the stream caught up: both end up in order, once.
        model.record(&said(9, chat, Author::Operator { id: me }));
        model.apply(&said(8, chat, Author::Visitor));
        model.apply(&said(9, chat, Author::Operator { id: me }));
        let ids: Vec<i64> = model.my_chats[0].events.iter().map(|e| e.id.0).collect();
        assert_eq!(ids, vec![1, 2, 3, 5, 6, 8, 9]);
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
    fn model_ignores_other_operators_accepts_for_my_chats() {
        let me = OperatorId(Uuid::from_u128(1));
        let chat = ChatId(Uuid::from_u128(7));
        let mut model = ConsoleModel {
            me: Some(me),
            ..ConsoleModel::default()
        };
        model.apply(&event(
            1,
            chat,
            EventKind::ChatStarted {
                visitor_name: "Vera".into(),
            },
        ));
        let other = EventKind::OperatorAccepted {
            operator: OperatorId(Uuid::from_u128(2)),
            operator_name: "Bob".into(),
        };
        assert_eq!(model.apply(&event(2, chat, other)), Followup::None);
        assert!(model.my_chats.is_empty());
        assert_eq!(model.dashboard[0].operators, vec!["Bob".to_string()]);
    }

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Role::Admin > Role::Supervisor && Role::Supervisor > Role::Operator);
        for role in [Role::Operator, Role::Supervisor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
