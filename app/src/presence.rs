//! What the console learns from signals: who is typing or has a chat in front of them, and
//! which colleagues are online. Signals are never stored; one that holds is repeated every
//! `SIGNAL_REPEAT_MS`, so an entry not heard of for `SIGNAL_TTL_MS` has expired even if its
//! "stopped" signal was lost. Pure bookkeeping, tested natively.

use domain::console::OnlineOperator;
use domain::signal::SIGNAL_TTL_MS;
use domain::{Author, ChatEvent, ChatId, ChatStatus, EventKind, OperatorId, Signal, Timestamp};

/// Typing and viewing in the chats this console follows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatActivity {
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    chat: ChatId,
    who: Author,
    name: String,
    doing: Doing,
    until: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Doing {
    Typing { note: bool },
    Viewing,
}

impl Doing {
    fn same_kind(self, other: Doing) -> bool {
        matches!(
            (self, other),
            (Doing::Typing { .. }, Doing::Typing { .. }) | (Doing::Viewing, Doing::Viewing)
        )
    }
}

/// Someone typing in a chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typist {
    /// Their name as shown in the chat.
    pub name: String,
    /// Typing a note rather than a message.
    pub note: bool,
}

impl ChatActivity {
    /// Takes a typing or viewing signal heard at `now` into account; other signals change nothing.
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "signals reach the browser's console only")
    )]
    pub fn hear(&mut self, signal: &Signal, now: Timestamp) {
        let (chat, who, name, doing, active) = match signal {
            Signal::Typing {
                chat_id,
                author,
                name,
                active,
                note,
            } => (
                *chat_id,
                author.clone(),
                name,
                Doing::Typing { note: *note },
                *active,
            ),
            Signal::Viewing {
                chat_id,
                operator,
                name,
                active,
            } => (
                *chat_id,
                Author::Operator { id: *operator },
                name,
                Doing::Viewing,
                *active,
            ),
            Signal::Presence { .. }
            | Signal::VisitorPage { .. }
            | Signal::ChannelsChanged
            | Signal::TicketsChanged
            | Signal::Seen { .. }
            | Signal::Queue { .. }
            | Signal::Invited { .. }
            | Signal::InvitationChanged { .. }
            | Signal::Call { .. }
            | Signal::VisitorsChanged => {
                return;
            }
        };
        self.entries.retain(|e| {
            e.until > now && !(e.chat == chat && e.who == who && e.doing.same_kind(doing))
        });
        if active {
            self.entries.push(Entry {
                chat,
                who,
                name: name.clone(),
                doing,
                until: Timestamp(now.0 + SIGNAL_TTL_MS),
            });
        }
    }

    /// Forgets at once what an event ended: an operator who left stops typing and viewing in
    /// that chat, a visitor who left or was kicked stops typing, and a closed chat has nobody
    /// left in it (rather than leaving them shown until their signals expire).
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "events reach the browser's console only")
    )]
    pub fn forget(&mut self, event: &ChatEvent) {
        let chat = event.chat_id;
        match &event.kind {
            EventKind::StatusChanged {
                status: ChatStatus::Closed,
            }
            | EventKind::ChatClosed { .. } => self.entries.retain(|e| e.chat != chat),
            EventKind::VisitorLeft | EventKind::VisitorKicked { .. } => self
                .entries
                .retain(|e| !(e.chat == chat && e.who == Author::Visitor)),
            kind => {
                if let Some((operator, false)) = kind.membership_of() {
                    let who = Author::Operator { id: operator };
                    self.entries.retain(|e| !(e.chat == chat && e.who == who));
                }
            }
        }
    }

    /// Who is typing in `chat` at `now`, in the order they started.
    pub fn typing(&self, chat: ChatId, now: Timestamp) -> Vec<Typist> {
        self.current(chat, now)
            .filter_map(|e| match e.doing {
                Doing::Typing { note } => Some(Typist {
                    name: e.name.clone(),
                    note,
                }),
                Doing::Viewing => None,
            })
            .collect()
    }

    /// Names of the operators who have `chat` in front of them at `now`.
    pub fn viewers(&self, chat: ChatId, now: Timestamp) -> Vec<String> {
        self.current(chat, now)
            .filter(|e| e.doing == Doing::Viewing)
            .map(|e| e.name.clone())
            .collect()
    }

    fn current(&self, chat: ChatId, now: Timestamp) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(move |e| e.chat == chat && e.until > now)
    }
}

/// The line under a conversation while people type: "Vera is typing…", "Bob is typing a note…".
pub fn typing_line(typists: &[Typist]) -> Option<String> {
    let phrases: Vec<String> = typists
        .iter()
        .map(|t| {
            if t.note {
                format!("{} is typing a note…", t.name)
            } else {
                format!("{} is typing…", t.name)
            }
        })
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" "))
}

/// An operator who is online, as the console lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Colleague {
    /// Who.
    pub id: OperatorId,
    /// Their chat name.
    pub name: String,
    /// Idle past the away threshold (as of the last listing).
    pub away: bool,
    /// Set Unavailable by hand.
    pub unavailable: bool,
}

/// The other operators online now, sorted by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    colleagues: Vec<Colleague>,
}

impl Roster {
    /// The roster as the server listed it.
    pub fn from_online(online: Vec<OnlineOperator>) -> Self {
        let mut roster = Self {
            colleagues: online
                .into_iter()
                .map(|o| Colleague {
                    id: o.id,
                    name: o.name,
                    away: o.away,
                    unavailable: o.unavailable,
                })
                .collect(),
        };
        roster.sort();
        roster
    }

    /// Takes a presence signal into account; other signals change nothing.
    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "signals reach the browser's console only")
    )]
    pub fn hear(&mut self, signal: &Signal) {
        let Signal::Presence {
            operator,
            name,
            online,
            unavailable,
        } = signal
        else {
            return;
        };
        self.colleagues.retain(|c| c.id != *operator);
        if *online {
            self.colleagues.push(Colleague {
                id: *operator,
                name: name.clone(),
                away: false,
                unavailable: *unavailable,
            });
            self.sort();
        }
    }

    /// The colleagues, sorted by name.
    pub fn colleagues(&self) -> &[Colleague] {
        &self.colleagues
    }

    #[cfg_attr(
        not(feature = "hydrate"),
        allow(dead_code, reason = "signals reach the browser's console only")
    )]
    fn sort(&mut self) {
        self.colleagues
            .sort_by_key(|c| (c.name.to_lowercase(), c.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::console::Role;
    use uuid::Uuid;

    const CHAT: ChatId = ChatId(Uuid::from_u128(7));
    const BOB: OperatorId = OperatorId(Uuid::from_u128(2));

    fn typing(author: Author, name: &str, active: bool, note: bool) -> Signal {
        Signal::Typing {
            chat_id: CHAT,
            author,
            name: name.into(),
            active,
            note,
        }
    }

    fn viewing(active: bool) -> Signal {
        Signal::Viewing {
            chat_id: CHAT,
            operator: BOB,
            name: "Bob".into(),
            active,
        }
    }

    #[test]
    fn leaving_or_closing_clears_viewing_and_typing_at_once() {
        let event = |kind| ChatEvent {
            id: domain::EventId(1),
            chat_id: CHAT,
            at: Timestamp(0),
            kind,
        };
        let mut activity = ChatActivity::default();
        activity.hear(&viewing(true), Timestamp(0));
        activity.hear(
            &typing(Author::Operator { id: BOB }, "Bob", true, false),
            Timestamp(0),
        );
        activity.hear(&typing(Author::Visitor, "Vera", true, false), Timestamp(0));
        activity.forget(&event(EventKind::OperatorLeft {
            operator: BOB,
            operator_name: "Bob".into(),
            transferred_to: None,
        }));
        assert!(activity.viewers(CHAT, Timestamp(1)).is_empty());
        assert_eq!(activity.typing(CHAT, Timestamp(1)).len(), 1);
        activity.forget(&event(EventKind::VisitorLeft));
        assert!(activity.typing(CHAT, Timestamp(1)).is_empty());
        activity.hear(&viewing(true), Timestamp(0));
        activity.forget(&event(EventKind::StatusChanged {
            status: ChatStatus::Closed,
        }));
        assert!(activity.viewers(CHAT, Timestamp(1)).is_empty());
    }

    #[test]
    fn typing_shows_until_stopped_or_expired() {
        let mut activity = ChatActivity::default();
        activity.hear(&typing(Author::Visitor, "Vera", true, false), Timestamp(0));
        activity.hear(
            &typing(Author::Operator { id: BOB }, "Bob", true, true),
            Timestamp(1_000),
        );
        let now = typing_line(&activity.typing(CHAT, Timestamp(2_000)));
        assert_eq!(
            now.as_deref(),
            Some("Vera is typing… Bob is typing a note…")
        );
        // Vera was last heard of at 0: gone after the time to live, Bob still there.
        let later = activity.typing(CHAT, Timestamp(SIGNAL_TTL_MS));
        assert_eq!(
            later,
            vec![Typist {
                name: "Bob".into(),
                note: true
            }]
        );
        activity.hear(
            &typing(Author::Operator { id: BOB }, "Bob", false, true),
            Timestamp(3_000),
        );
        assert_eq!(
            typing_line(&activity.typing(CHAT, Timestamp(3_000))).as_deref(),
            Some("Vera is typing…")
        );
        activity.hear(
            &typing(Author::Visitor, "Vera", false, false),
            Timestamp(3_500),
        );
        assert_eq!(typing_line(&activity.typing(CHAT, Timestamp(3_500))), None);
        assert!(
            activity
                .typing(ChatId(Uuid::nil()), Timestamp(0))
                .is_empty()
        );
    }

    #[test]
    fn a_repeated_signal_extends_the_entry_instead_of_adding_one() {
        let mut activity = ChatActivity::default();
        activity.hear(&viewing(true), Timestamp(0));
        activity.hear(&viewing(true), Timestamp(3_000));
        assert_eq!(
            activity.viewers(CHAT, Timestamp(SIGNAL_TTL_MS + 1)),
            vec!["Bob"]
        );
        // Viewing and typing are tracked apart.
        activity.hear(
            &typing(Author::Operator { id: BOB }, "Bob", false, false),
            Timestamp(4_000),
        );
        assert_eq!(activity.viewers(CHAT, Timestamp(4_000)), vec!["Bob"]);
        activity.hear(&viewing(false), Timestamp(5_000));
        assert!(activity.viewers(CHAT, Timestamp(5_000)).is_empty());
    }

    #[test]
    fn roster_follows_presence_signals() {
        let ann = OperatorId(Uuid::from_u128(3));
        let mut roster = Roster::from_online(vec![OnlineOperator {
            id: BOB,
            name: "bob".into(),
            role: Role::Operator,
            away: true,
            unavailable: false,
        }]);
        assert!(roster.colleagues()[0].away);
        let presence = |operator, name: &str, online| Signal::Presence {
            operator,
            name: name.into(),
            online,
            unavailable: false,
        };
        roster.hear(&presence(ann, "Ann", true));
        roster.hear(&presence(ann, "Ann", true));
        let names: Vec<&str> = roster
            .colleagues()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, vec!["Ann", "bob"]);
        roster.hear(&presence(BOB, "bob", false));
        assert_eq!(
            roster.colleagues(),
            [Colleague {
                id: ann,
                name: "Ann".into(),
                away: false,
                unavailable: false,
            }]
        );
        // Setting themself Unavailable is heard as such.
        roster.hear(&Signal::Presence {
            operator: ann,
            name: "Ann".into(),
            online: true,
            unavailable: true,
        });
        assert!(roster.colleagues()[0].unavailable);
    }
}
