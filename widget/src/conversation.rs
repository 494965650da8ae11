//! The chat on screen as its visitor sees it: a pure fold of the chat's events and typing
//! signals into what the panel shows (message and system lines, whether the chat has ended, the
//! hold banner, who is typing), the rule for reading stream frames, and the rule for when to
//! tell the server that the visitor is typing.
//!
//! Nothing here touches the browser or the clock (time is passed in), so every rule is tested
//! natively; `state` owns the reactive signals and the I/O around it.

use domain::api::VisitorChat;
use domain::queue::QueuePlace;
use domain::signal::{SIGNAL_REPEAT_MS, SIGNAL_TTL_MS};
use domain::{
    Author, ChatEvent, ChatId, ChatStatus, EventId, EventKind, OperatorId, Signal, Viewer,
};

use crate::sse::SseEvent;

/// What one line of the conversation shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A message the visitor wrote.
    Visitor {
        /// The text.
        body: String,
    },
    /// A message an operator wrote.
    Operator {
        /// Their chat name.
        name: String,
        /// The text.
        body: String,
    },
    /// What happened, in the words [`EventKind::describe`] has for the visitor.
    System(String),
}

/// One line of the conversation, from the event that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The event's id: the line's key and its place in the conversation.
    pub id: EventId,
    /// What it shows.
    pub kind: LineKind,
}

/// An operator typing right now.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Typist {
    operator: OperatorId,
    name: String,
    /// When their last "typing" signal stops holding (ms since the epoch).
    until_ms: i64,
}

/// The chat on screen, folded from its events and signals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    /// The chat.
    pub id: ChatId,
    /// Its status, as last heard from the server.
    pub status: ChatStatus,
    /// Messages and system lines, by event id.
    pub lines: Vec<Line>,
    /// The hold line while an operator has the chat on hold.
    hold: Option<String>,
    /// Operators typing, in the order they started.
    typing: Vec<Typist>,
    /// An event (kick, close, the visitor's own end, a status without the visitor) or the server
    /// (`open: false`) ended the visitor's part: nothing after it is theirs to read.
    sealed: bool,
    /// The visitor ended the chat here; the event saying so may still be on its way.
    left: bool,
    /// A line already tells how the chat ended.
    ending_told: bool,
    /// Where the waiting chat stands in its queue, as last heard.
    queue: Option<QueuePlace>,
    /// An operator took part: once over, the chat can be rated.
    answered: bool,
    /// The visitor was removed from the chat: nothing to rate.
    kicked: bool,
    /// The stars the visitor gave, once rated.
    rated: Option<u8>,
    /// The newest event an operator in the chat has seen (V5).
    seen_up_to: EventId,
}

impl Conversation {
    /// A chat just started (waiting, no lines yet).
    pub fn new(id: ChatId) -> Self {
        Self {
            id,
            status: ChatStatus::Waiting,
            lines: Vec::new(),
            hold: None,
            typing: Vec::new(),
            sealed: false,
            left: false,
            ending_told: false,
            queue: None,
            answered: false,
            kicked: false,
            rated: None,
            seen_up_to: EventId::default(),
        }
    }

    /// The chat as the server returned it (`GET /visitor`, `POST /visitor/chats`). Its status,
    /// `open` and `on_hold` are the truth; the events give the lines and the hold's wording.
    pub fn from_chat(chat: VisitorChat) -> Self {
        let mut conversation = Self::new(chat.id);
        let mut events = chat.events;
        events.sort_by_key(|e| e.id);
        for event in events {
            conversation.apply(event);
        }
        conversation.status = chat.status;
        conversation.sealed = !chat.open;
        conversation.seen_up_to = chat.seen_up_to;
        conversation.queue = chat.queue_position.map(|position| QueuePlace {
            position,
            estimated_wait_seconds: chat.estimated_wait_seconds,
        });
        if !chat.on_hold {
            conversation.hold = None;
        } else if conversation.hold.is_none() {
            conversation.hold = EventKind::HoldChanged {
                on_hold: true,
                operator_name: "The operator".to_owned(),
            }
            .describe(Viewer::Visitor);
        }
        if conversation.ended() {
            conversation.typing.clear();
        }
        conversation
    }

    fn live(&self) -> bool {
        matches!(self.status, ChatStatus::Waiting | ChatStatus::Active)
    }

    /// Whether the visitor's part is over: no input, only "Start a new chat".
    pub fn ended(&self) -> bool {
        self.sealed || self.left || !self.live()
    }

    /// Whether the visitor can still write in it.
    pub fn open(&self) -> bool {
        !self.ended()
    }

    /// Whether more events for the visitor may come, so the stream is worth keeping open.
    pub fn listening(&self) -> bool {
        !self.sealed && self.live()
    }

    /// Whether the chat waits for an operator.
    pub fn waiting(&self) -> bool {
        self.open() && self.status == ChatStatus::Waiting
    }

    /// The place in the queue, while waiting and known.
    pub fn queue(&self) -> Option<QueuePlace> {
        self.queue.filter(|_| self.waiting())
    }

    /// The hold banner, while an operator has the active chat on hold.
    pub fn hold_banner(&self) -> Option<&str> {
        self.hold
            .as_deref()
            .filter(|_| self.open() && self.status == ChatStatus::Active)
    }

    /// Whether the visitor may rate the chat now: it is over, an operator answered it, they
    /// were not removed from it, and they have not rated it yet (the server decides again).
    pub fn can_rate(&self) -> bool {
        self.ended() && self.answered && !self.kicked && self.rated.is_none()
    }

    /// The stars the visitor gave, once rated.
    pub fn rated(&self) -> Option<u8> {
        self.rated
    }

    /// Whether the panel should say the chat has ended because no line says how.
    pub fn ended_without_line(&self) -> bool {
        self.ended() && !self.ending_told
    }

    /// "Ann is typing…", "Ann and Bob are typing…", or nothing.
    pub fn typing_text(&self) -> Option<String> {
        if self.ended() {
            return None;
        }
        let names: Vec<&str> = self.typing.iter().map(|t| t.name.as_str()).collect();
        match names.as_slice() {
            [] => None,
            [one] => Some(format!("{one} is typing…")),
            [rest @ .., last] => Some(format!("{} and {last} are typing…", rest.join(", "))),
        }
    }

    /// Under the visitor's newest message (V5): whether an operator has seen it, or it only
    /// reached the server; `None` before the visitor wrote anything.
    pub fn receipt(&self) -> Option<bool> {
        let last = self
            .lines
            .iter()
            .rev()
            .find(|l| matches!(l.kind, LineKind::Visitor { .. }))?;
        Some(last.id <= self.seen_up_to)
    }

    /// What to tell the server the visitor has now seen: the newest line, when a line that
    /// is not theirs arrived after `reported`.
    pub fn seen_to_report(&self, reported: EventId) -> Option<EventId> {
        let newest = self.lines.last()?.id;
        self.lines
            .iter()
            .any(|l| l.id > reported && !matches!(l.kind, LineKind::Visitor { .. }))
            .then_some(newest)
    }

    /// The visitor ended the chat here (the server said yes); the events follow on the stream.
    pub fn mark_left(&mut self) {
        self.left = true;
        self.typing.clear();
    }

    /// Folds one event in. Returns whether anything changed. Events of other chats, events
    /// seen before and anything after the visitor's part ended are ignored.
    pub fn apply(&mut self, event: ChatEvent) -> bool {
        if event.chat_id != self.id {
            return false;
        }
        // The rating comes after the end, and shows as the thanks, not as a line.
        if let EventKind::ChatRated { stars, .. } = &event.kind {
            let changed = self.rated != Some(*stars);
            self.rated = Some(*stars);
            return changed;
        }
        if self.sealed || self.lines.iter().any(|l| l.id == event.id) {
            return false;
        }
        match &event.kind {
            EventKind::OperatorAccepted { .. }
            | EventKind::OperatorJoined {
                role: domain::MemberRole::Participant,
                ..
            }
            | EventKind::RoleChanged {
                role: domain::MemberRole::Participant,
                ..
            } => self.answered = true,
            EventKind::VisitorKicked { .. } => self.kicked = true,
            _ => {}
        }
        let kind = match &event.kind {
            // Operators only: the server never sends these to a visitor.
            EventKind::MessagePosted { note: true, .. }
            | EventKind::PrivateChatStarted { .. }
            | EventKind::OfferMade { .. }
            | EventKind::OfferDeclined { .. }
            | EventKind::OfferWithdrawn { .. }
            | EventKind::ChannelChanged { .. }
            | EventKind::ChatAssigned { .. }
            | EventKind::AssignmentPassed { .. }
            | EventKind::ChatMissed { .. }
            | EventKind::OperatorInactive { .. }
            | EventKind::OperatorReturned { .. }
            | EventKind::ChatRated { .. } => return false,
            EventKind::MessagePosted {
                author: Author::Visitor,
                body,
                ..
            } => Some(LineKind::Visitor { body: body.clone() }),
            EventKind::MessagePosted {
                author: Author::Operator { id },
                author_name,
                body,
                ..
            } => {
                self.stop_typing(*id);
                Some(LineKind::Operator {
                    name: author_name.clone(),
                    body: body.clone(),
                })
            }
            EventKind::HoldChanged { on_hold: true, .. } => {
                // The banner says it while it holds; no line.
                self.hold = event.kind.describe(Viewer::Visitor);
                None
            }
            EventKind::HoldChanged { on_hold: false, .. } => {
                self.hold = None;
                event.kind.describe(Viewer::Visitor).map(LineKind::System)
            }
            EventKind::OperatorLeft { operator, .. } => {
                self.stop_typing(*operator);
                event.kind.describe(Viewer::Visitor).map(LineKind::System)
            }
            EventKind::VisitorKicked { .. }
            | EventKind::ChatClosed { .. }
            | EventKind::VisitorLeft => {
                self.sealed = true;
                self.ending_told = true;
                event.kind.describe(Viewer::Visitor).map(LineKind::System)
            }
            EventKind::StatusChanged { status } => {
                self.status = *status;
                if *status != ChatStatus::Active {
                    self.hold = None;
                }
                if !self.live() {
                    self.sealed = true;
                }
                event.kind.describe(Viewer::Visitor).map(LineKind::System)
            }
            EventKind::ChatStarted { .. }
            | EventKind::OperatorAccepted { .. }
            | EventKind::OperatorJoined { .. }
            | EventKind::CallStarted { .. }
            | EventKind::CallEnded { .. }
            | EventKind::RoleChanged { .. } => {
                event.kind.describe(Viewer::Visitor).map(LineKind::System)
            }
        };
        if self.sealed {
            self.typing.clear();
        }
        if let Some(kind) = kind {
            let at = self.lines.partition_point(|l| l.id < event.id);
            self.lines.insert(at, Line { id: event.id, kind });
        }
        true
    }

    /// Folds a signal in, heard at `now_ms`. Returns whether anything changed.
    pub fn on_signal(&mut self, signal: &Signal, now_ms: i64) -> bool {
        if let Signal::Seen {
            chat_id,
            by_visitor: false,
            up_to,
        } = signal
        {
            let moved = *chat_id == self.id && *up_to > self.seen_up_to;
            if moved {
                self.seen_up_to = *up_to;
            }
            return moved;
        }
        if let Signal::Queue {
            chat_id,
            position,
            estimated_wait_seconds,
        } = signal
        {
            let place = Some(QueuePlace {
                position: *position,
                estimated_wait_seconds: *estimated_wait_seconds,
            });
            let changed = *chat_id == self.id && self.queue != place;
            if changed {
                self.queue = place;
            }
            return changed;
        }
        let Signal::Typing {
            chat_id,
            author: Author::Operator { id },
            name,
            active,
            note: false,
        } = signal
        else {
            return false;
        };
        if *chat_id != self.id || self.ended() {
            return false;
        }
        if !*active {
            return self.stop_typing(*id);
        }
        let until_ms = now_ms + SIGNAL_TTL_MS;
        match self.typing.iter_mut().find(|t| t.operator == *id) {
            Some(typist) => {
                let renamed = typist.name != *name;
                typist.name.clone_from(name);
                typist.until_ms = until_ms;
                renamed
            }
            None => {
                self.typing.push(Typist {
                    operator: *id,
                    name: name.clone(),
                    until_ms,
                });
                true
            }
        }
    }

    /// Forgets typing signals that were not repeated in time. Returns whether any went.
    pub fn expire_typing(&mut self, now_ms: i64) -> bool {
        let before = self.typing.len();
        self.typing.retain(|t| now_ms < t.until_ms);
        self.typing.len() != before
    }

    fn stop_typing(&mut self, operator: OperatorId) -> bool {
        let before = self.typing.len();
        self.typing.retain(|t| t.operator != operator);
        self.typing.len() != before
    }
}

/// What a stream frame carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A stored event, not seen before.
    Event(ChatEvent),
    /// A passing signal.
    Signal(Signal),
}

impl Incoming {
    /// Reads one stream frame. Events carry an `id:` and move `cursor` (the id the stream
    /// resumes after), and one at or before it is a replay and is dropped. Signals carry no id
    /// and never move it: they are not replayed, so resuming after them would lose events.
    pub fn decode(frame: &SseEvent, cursor: &mut i64) -> Option<Self> {
        if frame.id.is_none() {
            return serde_json::from_str::<Signal>(&frame.data)
                .ok()
                .map(Self::Signal);
        }
        let event = serde_json::from_str::<ChatEvent>(&frame.data).ok()?;
        if event.id.0 <= *cursor {
            return None;
        }
        *cursor = event.id.0;
        Some(Self::Event(event))
    }
}

/// When to tell the server that the visitor is typing: on the first keystroke, again at most
/// every [`SIGNAL_REPEAT_MS`] while they keep typing, and "stopped" once when the input empties
/// or the message goes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypingReport {
    /// When "typing" was last sent, while the server believes the visitor types.
    sent_at_ms: Option<i64>,
}

impl TypingReport {
    /// The input now holds `text` (at `now_ms`): the `active` value to send, if any.
    pub fn on_input(&mut self, text: &str, now_ms: i64) -> Option<bool> {
        if text.trim().is_empty() {
            return self.stop();
        }
        match self.sent_at_ms {
            Some(at) if now_ms - at < SIGNAL_REPEAT_MS => None,
            _ => {
                self.sent_at_ms = Some(now_ms);
                Some(true)
            }
        }
    }

    /// The message went (or the chat ended): `Some(false)` if the server believes they type.
    pub fn stop(&mut self) -> Option<bool> {
        self.sent_at_ms.take().map(|_| false)
    }
}

#[cfg(test)]
mod tests;
