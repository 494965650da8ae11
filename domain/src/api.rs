//! Wire types of the public visitor API (`/api/v1`), used by the bubble and by anyone who
//! builds their own client. Field names here are the documented contract.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chat::ChatStatus;
use crate::event::ChatEvent;
use crate::ids::{ChannelId, ChatId, EventId, VisitorId};
use crate::time::Timestamp;

/// `POST /api/v1/visitors`: who the visitor is and where they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewVisitor {
    /// Name, if the host page knows it.
    #[serde(default)]
    pub name: Option<String>,
    /// Email, if the host page knows it.
    #[serde(default)]
    pub email: Option<String>,
    /// Browser language, e.g. `en-GB`.
    #[serde(default)]
    pub language: Option<String>,
    /// The page the bubble was opened on.
    #[serde(default)]
    pub page_url: Option<String>,
    /// The page's referrer.
    #[serde(default)]
    pub referrer: Option<String>,
    /// Custom fields passed through by the host page's snippet.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// Answer to `POST /api/v1/visitors`. The token is shown once; the server keeps only its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorCreated {
    /// The new visitor.
    pub visitor_id: VisitorId,
    /// Bearer token for every later call.
    pub token: String,
}

/// `POST /api/v1/visitor/chats`: start a chat with a first message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartChat {
    /// The visitor's name (required unless the site says otherwise).
    #[serde(default)]
    pub name: Option<String>,
    /// The first message.
    pub message: String,
    /// Their email, if they give it (V3): a transcript or a reply can reach them.
    #[serde(default)]
    pub email: Option<String>,
    /// Idempotency key of the first message.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The channel: the one the bubble is bound to, or the visitor's pick. None for the
    /// general queue.
    #[serde(default)]
    pub channel: Option<ChannelId>,
}

/// `POST /api/v1/visitor/chats/{chat_id}/messages`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostMessage {
    /// The text.
    pub body: String,
    /// Idempotency key: a retry with the same key returns the first result.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// An event as its visitor receives it (in a [`VisitorChat`] and on `GET /visitor/events`): the
/// event's fields, and `text`, the line the visitor reads for it in the product's words
/// ([`crate::EventKind::describe`] for the visitor), so that a client only shows it. Messages
/// have no `text` (they show as messages), nor do events that say nothing to the visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorEvent {
    /// The event.
    #[serde(flatten)]
    pub event: ChatEvent,
    /// What the visitor reads for it, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl From<ChatEvent> for VisitorEvent {
    fn from(event: ChatEvent) -> Self {
        let text = event.kind.describe(crate::chat::Viewer::Visitor);
        Self { event, text }
    }
}

impl std::ops::Deref for VisitorEvent {
    type Target = ChatEvent;

    fn deref(&self) -> &ChatEvent {
        &self.event
    }
}

/// A chat as its visitor sees it: status and every event visible to them, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorChat {
    /// The chat.
    pub id: ChatId,
    /// Its status.
    pub status: ChatStatus,
    /// Whether the visitor can still post in it (false once they ended it, were kicked, or it
    /// was closed).
    #[serde(default)]
    pub open: bool,
    /// An operator put the chat on hold and will be back.
    #[serde(default)]
    pub on_hold: bool,
    /// When it started.
    pub started_at: Timestamp,
    /// While waiting: the 1-based place in its channel's queue (updated live by `queue`
    /// signals); `null` otherwise.
    #[serde(default)]
    pub queue_position: Option<u32>,
    /// While waiting: roughly how long until an operator takes it, when operators have taken
    /// chats lately; `null` otherwise.
    #[serde(default)]
    pub estimated_wait_seconds: Option<u32>,
    /// Every event visible to the visitor, oldest first, each with the line it reads.
    pub events: Vec<VisitorEvent>,
    /// The newest event an operator in the chat has seen (V5): the visitor's messages up to
    /// it are "Seen" (updated live by `seen` signals).
    #[serde(default)]
    pub seen_up_to: EventId,
}

/// Answer to `GET /api/v1/visitor`: the visitor and their current chat, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitorView {
    /// The visitor.
    pub visitor_id: VisitorId,
    /// The name they gave, if any.
    pub name: Option<String>,
    /// The email address they gave, if any: the bubble offers to send transcripts there.
    #[serde(default)]
    pub email: Option<String>,
    /// Their most recent chat, if any: open, or ended (then shown read-only, with what ended
    /// it, until they start a new one).
    pub chat: Option<VisitorChat>,
    /// Resume the event stream after this id.
    pub last_event_id: EventId,
}

/// Public settings the bubble needs before the visitor types anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WidgetConfig {
    /// Whether the start form requires a name.
    pub name_required: bool,
    /// Title of the panel.
    pub title: String,
    /// Greeting above the start form.
    pub greeting: String,
    /// The bubble's accent colour, `#rrggbb`.
    #[serde(default = "default_color")]
    pub color: String,
    /// The launcher button's label.
    #[serde(default = "default_launcher_label")]
    pub launcher_label: String,
    /// The open channels, for a bubble bound to one (`data-channel`) or for the visitor to
    /// pick from when it is not.
    #[serde(default)]
    pub channels: Vec<ChannelChoice>,
    /// Why a chat outside any channel cannot start live now (the bubble then offers "Leave a
    /// message"); `None` while live chat is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<crate::followup::OfflineReason>,
    /// The version of the bubble's files on the server: the loader fetches them from
    /// `/widget/<assets>/…`, cached for good. `None` when the server has no versioned files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assets: Option<String>,
    /// STUN and TURN servers for voice calls (V7); empty: direct connections only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ice_servers: Vec<crate::call::IceServer>,
}

/// A channel a chat can be started in, as the bubble shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelChoice {
    /// Id.
    pub id: ChannelId,
    /// Name shown to the visitor.
    pub name: String,
    /// Whether the start form requires a name in this channel.
    pub name_required: bool,
    /// Why a chat in this channel cannot start live now; `None` while it can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<crate::followup::OfflineReason>,
}

fn default_color() -> String {
    crate::bubble::BubbleSettings::default().color
}

fn default_launcher_label() -> String {
    crate::bubble::BubbleSettings::default().launcher_label
}

/// `POST /api/v1/visitor/chats/{chat_id}/typing`: the visitor is typing (repeat every
/// [`crate::signal::SIGNAL_REPEAT_MS`] while they are) or stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Typing {
    /// Typing now?
    pub active: bool,
}

/// `POST /api/v1/visitor/chats/{chat_id}/seen`: the visitor has seen the chat up to an event
/// (V5), sent when the bubble shows new operator messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Seen {
    /// The newest event on screen.
    pub up_to: EventId,
}

/// `POST /api/v1/visitor/page`: the visitor opened a page of the site (sent by the loader on
/// every page load, so operators see where the visitor is).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageView {
    /// The page's address.
    pub url: String,
    /// The page's title.
    #[serde(default)]
    pub title: Option<String>,
    /// The page's referrer (kept as the visit's when the page begins one).
    #[serde(default)]
    pub referrer: Option<String>,
    /// The browser's language.
    #[serde(default)]
    pub language: Option<String>,
    /// The channel the page's snippet names (`data-channel`).
    #[serde(default)]
    pub channel: Option<crate::ids::ChannelId>,
}
