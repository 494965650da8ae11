//! Transcripts (V10, O22): a chat written out as a document for one reader — the visitor's
//! download and email, an operator's copy. Who may read which line is the event's stored
//! visibility, decided when it was recorded; this module only lays the lines out, so every
//! format (text, mail, PDF) shows the same conversation.

use serde::{Deserialize, Serialize};

use crate::chat::{MemberRole, Viewer, Visibility};
use crate::event::{ChatEvent, EventKind};
use crate::ids::ChatId;
use crate::rating::Rating;
use crate::time::Timestamp;

/// Whether an operator may read a chat that is not theirs now (its transcript, PDF, history
/// entry): supervisors and admins read every chat, operators those they have been in.
pub fn may_read(role: crate::console::Role, took_part: bool) -> bool {
    took_part || role >= crate::console::Role::Supervisor
}

/// What a line of a transcript is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Something someone wrote.
    Message,
    /// A private note among operators.
    Note,
    /// Something that happened (joined, left, closed…).
    Notice,
}

/// One line of a transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// When.
    pub at: Timestamp,
    /// Who wrote it, for messages and notes.
    pub author: Option<String>,
    /// The text.
    pub text: String,
    /// Message, note or notice.
    pub kind: LineKind,
}

/// A chat as one reader may read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// The chat.
    pub chat: ChatId,
    /// The visitor's name as given (empty in a chat between operators).
    pub visitor: String,
    /// The operators who took part, in the order they came (names as the reader saw them).
    pub operators: Vec<String>,
    /// The channel's name, when the chat was in one.
    pub channel: Option<String>,
    /// When it started.
    pub started: Timestamp,
    /// When it ended for this reader, if it has.
    pub ended: Option<Timestamp>,
    /// The visitor's rating, if given.
    pub rating: Option<Rating>,
    /// Every line the reader may read, oldest first.
    pub lines: Vec<Line>,
}

impl Transcript {
    /// The transcript of a chat's events (oldest first, each with its stored visibility) for
    /// `viewer`. Private notes are included only when `notes` is set and the viewer is an
    /// operator; a visitor never reads anything recorded for operators only.
    pub fn of(
        chat: ChatId,
        events: &[(ChatEvent, Visibility)],
        viewer: Viewer,
        notes: bool,
        channel: Option<String>,
    ) -> Self {
        let mut transcript = Self {
            chat,
            visitor: String::new(),
            operators: Vec::new(),
            channel,
            started: events.first().map(|(e, _)| e.at).unwrap_or_default(),
            ended: None,
            rating: None,
            lines: Vec::new(),
        };
        let to_visitor = viewer == Viewer::Visitor;
        for (event, visibility) in events {
            if !visibility.admits(viewer) {
                continue;
            }
            match &event.kind {
                EventKind::ChatStarted { visitor_name, .. } => {
                    transcript.visitor.clone_from(visitor_name);
                }
                EventKind::OperatorAccepted { operator_name, .. }
                | EventKind::OperatorJoined {
                    operator_name,
                    role: MemberRole::Participant,
                    ..
                }
                | EventKind::RoleChanged {
                    operator_name,
                    role: MemberRole::Participant,
                    ..
                } if !transcript.operators.contains(operator_name) => {
                    transcript.operators.push(operator_name.clone());
                }
                EventKind::PrivateChatStarted {
                    by_name, with_name, ..
                } => {
                    transcript.operators = vec![by_name.clone(), with_name.clone()];
                }
                EventKind::ChannelChanged { channel_name, .. } => {
                    transcript.channel = Some(channel_name.clone());
                }
                EventKind::ChatRated { stars, comment } => {
                    transcript.rating = Some(Rating {
                        stars: *stars,
                        comment: comment.clone(),
                    });
                }
                EventKind::VisitorLeft
                | EventKind::VisitorKicked { .. }
                | EventKind::ChatClosed { .. }
                    if to_visitor && transcript.ended.is_none() =>
                {
                    transcript.ended = Some(event.at);
                }
                EventKind::StatusChanged {
                    status: crate::ChatStatus::Closed,
                } if !to_visitor => transcript.ended = Some(event.at),
                _ => {}
            }
            let line = match &event.kind {
                EventKind::MessagePosted {
                    author_name,
                    body,
                    note,
                    ..
                } => {
                    if *note && (to_visitor || !notes) {
                        continue;
                    }
                    Line {
                        at: event.at,
                        author: Some(author_name.clone()),
                        text: body.clone(),
                        kind: if *note {
                            LineKind::Note
                        } else {
                            LineKind::Message
                        },
                    }
                }
                other => match other.describe(viewer) {
                    Some(text) => Line {
                        at: event.at,
                        author: None,
                        text,
                        kind: LineKind::Notice,
                    },
                    None => continue,
                },
            };
            transcript.lines.push(line);
        }
        transcript
    }

    /// A name for the downloaded file: `chat-<date>-<first 8 of the id>.<extension>`.
    pub fn file_name(&self, extension: &str) -> String {
        let date: String = self.started.utc_text().chars().take(10).collect();
        let id = self.chat.0.simple().to_string();
        format!("chat-{date}-{}.{extension}", &id[id.len() - 8..])
    }

    /// The transcript as plain UTF-8 text: a header, then a line per message or notice.
    pub fn to_text(&self, title: &str) -> String {
        let mut out = format!("{title}\n{}\n\n", "=".repeat(title.chars().count()));
        for (label, value) in self.header() {
            out.push_str(&format!("{label}: {value}\n"));
        }
        out.push('\n');
        for line in &self.lines {
            let at = line.at.utc_text();
            match (&line.kind, &line.author) {
                (LineKind::Notice, _) | (_, None) => {
                    out.push_str(&format!("[{at}] — {}\n", line.text));
                }
                (LineKind::Note, Some(author)) => {
                    out.push_str(&format!("[{at}] {author} (private note): "));
                    push_indented(&mut out, &line.text);
                }
                (LineKind::Message, Some(author)) => {
                    out.push_str(&format!("[{at}] {author}: "));
                    push_indented(&mut out, &line.text);
                }
            }
        }
        out
    }

    /// The header's fields as (label, value), in the order documents show them.
    pub fn header(&self) -> Vec<(&'static str, String)> {
        let mut fields = Vec::new();
        if !self.visitor.is_empty() {
            fields.push(("Visitor", self.visitor.clone()));
        }
        if !self.operators.is_empty() {
            fields.push(("Operators", self.operators.join(", ")));
        }
        if let Some(channel) = &self.channel {
            fields.push(("Channel", channel.clone()));
        }
        fields.push(("Started", self.started.utc_text()));
        if let Some(ended) = self.ended {
            fields.push(("Ended", ended.utc_text()));
        }
        if let Some(rating) = &self.rating {
            let comment = if rating.comment.is_empty() {
                String::new()
            } else {
                format!(" “{}”", rating.comment)
            };
            fields.push((
                "Rating",
                format!("{} ({}/5){comment}", rating.stars_text(), rating.stars),
            ));
        }
        fields
    }
}

/// Appends a message's text, its later lines indented under the first.
fn push_indented(out: &mut String, text: &str) {
    for (i, part) in text.lines().enumerate() {
        if i > 0 {
            out.push_str("    ");
        }
        out.push_str(part);
        out.push('\n');
    }
    if text.is_empty() {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{ChatState, Command, MessageBody};
    use crate::ids::{EventId, OperatorId, VisitorId};
    use crate::{Actor, ChatStatus};
    use uuid::Uuid;

    /// A chat played through the state machine, with every event's visibility as recorded.
    fn played() -> (ChatId, Vec<(ChatEvent, Visibility)>) {
        let chat = ChatId(Uuid::from_u128(0xabcdef12));
        let visitor = VisitorId(Uuid::from_u128(2));
        let olivia = OperatorId(Uuid::from_u128(3));
        let body = |s: &str| MessageBody::parse(s).unwrap_or_else(|e| panic!("{e}"));
        let (mut state, mut recorded) = ChatState::start(
            chat,
            visitor,
            "Zoë Ð".into(),
            None,
            body("Привет, مرحبا, 你好"),
            None,
        );
        let op = Actor::Operator {
            id: olivia,
            name: "Olivia".into(),
        };
        for (actor, command) in [
            (op.clone(), Command::Accept),
            (
                op.clone(),
                Command::PostMessage {
                    body: body("Hello!\nHow can I help?"),
                    client_id: None,
                },
            ),
            (
                op.clone(),
                Command::AddNote {
                    body: body("VIP customer"),
                    client_id: None,
                },
            ),
            (op.clone(), Command::Close),
            (
                Actor::Visitor(visitor),
                Command::Rate {
                    rating: crate::rating::Rating {
                        stars: 4,
                        comment: "Thanks".into(),
                    },
                },
            ),
        ] {
            recorded.extend(
                state
                    .execute(&actor, &command)
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        assert_eq!(state.status, ChatStatus::Closed);
        let events = recorded
            .into_iter()
            .enumerate()
            .map(|(i, (kind, visibility))| {
                let n = i64::try_from(i).unwrap_or_default();
                (
                    ChatEvent {
                        id: EventId(n + 1),
                        chat_id: chat,
                        at: Timestamp(1_764_660_000_000 + n * 1000),
                        kind,
                    },
                    visibility,
                )
            })
            .collect();
        (chat, events)
    }

    #[test]
    fn the_visitor_reads_messages_but_never_notes() {
        let (chat, events) = played();
        let t = Transcript::of(chat, &events, Viewer::Visitor, true, Some("Sales".into()));
        let text = t.to_text("Chat transcript");
        assert!(text.contains("Visitor: Zoë Ð"), "{text}");
        assert!(text.contains("Operators: Olivia"), "{text}");
        assert!(text.contains("Channel: Sales"), "{text}");
        assert!(text.contains("Zoë Ð: Привет, مرحبا, 你好"), "{text}");
        assert!(
            text.contains("Olivia: Hello!\n    How can I help?"),
            "{text}"
        );
        assert!(text.contains("Rating: ★★★★☆ (4/5) “Thanks”"), "{text}");
        assert!(text.contains("Ended: 2025-12-02"), "{text}");
        assert!(!text.contains("VIP"), "{text}");
        assert!(t.lines.iter().all(|l| l.kind != LineKind::Note));
        assert_eq!(t.file_name("txt"), "chat-2025-12-02-abcdef12.txt");
    }

    #[test]
    fn operators_read_notes_only_when_they_ask() {
        let (chat, events) = played();
        let olivia = Viewer::Operator(OperatorId(Uuid::from_u128(3)));
        let without = Transcript::of(chat, &events, olivia, false, None).to_text("T");
        assert!(!without.contains("VIP customer"), "{without}");
        assert!(without.contains("Olivia closed the chat"), "{without}");
        let with = Transcript::of(chat, &events, olivia, true, None).to_text("T");
        assert!(
            with.contains("Olivia (private note): VIP customer"),
            "{with}"
        );
        assert!(with.contains("Zoë Ð started the chat"), "{with}");
        assert_eq!(
            Transcript::of(chat, &events, olivia, true, None).lines[1],
            Line {
                at: Timestamp(1_764_660_001_000),
                author: Some("Zoë Ð".into()),
                text: "Привет, مرحبا, 你好".into(),
                kind: LineKind::Message,
            }
        );
    }
}
