//! Switchboard's shared vocabulary, compiled for the server and for both browser bundles.
//!
//! Everything here is pure: ids, the chat state machine (`chat`), the events that record every
//! change (`event`), the error codes that cross the wire (`error`) and the public API's wire
//! types (`api`). No I/O, so every rule can be tested exhaustively without a database.

pub mod admin;
pub mod api;
pub mod bubble;
pub mod call;
pub mod canned;
pub mod channel;
pub mod chat;
pub mod console;
pub mod error;
pub mod event;
pub mod followup;
pub mod history;
pub mod hours;
pub mod ids;
pub mod limits;
pub mod log;
pub mod mail;
pub mod queue;
pub mod rating;
pub mod reach;
pub mod report;
pub mod retention;
pub mod routing;
pub mod settings;
pub mod signal;
pub mod ticket;
pub mod time;
pub mod token;
pub mod transcript;
pub mod visitor;
pub mod webhook;
mod wire;

pub use chat::{
    Actor, ChatState, ChatStatus, Command, Member, MemberRole, Offer, OfferKind, Viewer, Visibility,
};
pub use error::{Error, ErrorCode};
pub use event::{Author, ChatEvent, EventKind};
pub use ids::{
    AccessTokenId, CannedId, ChannelId, ChatId, EventId, InvitationId, OperatorId, TicketId,
    VisitorId, WebhookId,
};
pub use signal::Signal;
pub use time::Timestamp;
