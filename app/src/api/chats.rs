//! Working a chat: accepting, posting, the chat controls, invitations and transfers, and what
//! the chat's sidebar shows.

use domain::console::{ChatAction, Monitoring, MyChat, VisitorInfo};
use domain::{ChannelId, ChatEvent, ChatId, EventId, OfferKind, OperatorId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// A message or a note the operator posts in a chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostMessageInput {
    /// The chat.
    pub chat_id: ChatId,
    /// The text, as typed.
    pub body: String,
    /// Idempotency key: a retry with the same key answers the first result.
    #[serde(default)]
    pub client_id: Option<String>,
    /// A note only operators see, not a message.
    #[serde(default)]
    pub note: bool,
}

/// One of the chat controls, in a chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatActionInput {
    /// The chat.
    pub chat_id: ChatId,
    /// What to do.
    pub action: ChatAction,
}

/// An invitation into a chat, or the offer of it, to another operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferInput {
    /// The chat.
    pub chat_id: ChatId,
    /// Invite them, or transfer the chat to them.
    pub kind: OfferKind,
    /// The operator offered it.
    pub target: OperatorId,
}

/// An invitation or transfer to take back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawOfferInput {
    /// The chat.
    pub chat_id: ChatId,
    /// The operator it was offered to.
    pub target: OperatorId,
}

/// A private chat to start with another operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateChatInput {
    /// The other operator.
    pub with: OperatorId,
    /// The first message, as typed.
    pub message: String,
    /// Idempotency key: a retry with the same key answers the first result.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// Which events of a chat alert the operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoringInput {
    /// The chat.
    pub chat_id: ChatId,
    /// The alerts wanted.
    pub monitoring: Monitoring,
}

/// What the operator's console tells a chat's other members; each part left out is not told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSignalInput {
    /// The chat.
    pub chat_id: ChatId,
    /// Started (`true`) or stopped (`false`) typing.
    #[serde(default)]
    pub typing: Option<bool>,
    /// The typing is a note's, seen by operators only.
    #[serde(default)]
    pub note: bool,
    /// Has the chat in front of them (`true`) or no longer (`false`).
    #[serde(default)]
    pub viewing: Option<bool>,
}

/// How far the operator has read a chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkReadInput {
    /// The chat.
    pub chat_id: ChatId,
    /// The last event read.
    pub up_to: EventId,
}

/// A chat to move to another channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveChatInput {
    /// The chat.
    pub chat_id: ChatId,
    /// The channel it goes to.
    pub channel: ChannelId,
}

/// One chat the operator is in, with its history.
#[server(endpoint = "load_chat")]
pub async fn load_chat(chat_id: ChatId) -> Result<MyChat, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.my_chat(&session, chat_id).await?)
}

/// Accepts a waiting chat; the first operator wins, later ones get `chat_not_waiting`.
#[server(endpoint = "accept_chat")]
pub async fn accept_chat(chat_id: ChatId) -> Result<MyChat, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.accept_chat(&session, chat_id).await?)
}

/// Posts a message in a chat the operator is in, or (`note`) a note only operators see.
#[server(endpoint = "post_message", input = leptos::server_fn::codec::Json)]
pub async fn post_message(input: PostMessageInput) -> Result<ChatEvent, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .operator_post(
            &session,
            input.chat_id,
            &input.body,
            input.client_id.as_deref(),
            input.note,
        )
        .await?)
}

/// One of the chat controls (join, watch, answer an offer, switch role, leave, kick, close,
/// hold, resume). Answers the events it recorded.
#[server(endpoint = "chat_action", input = leptos::server_fn::codec::Json)]
pub async fn run_chat_action(input: ChatActionInput) -> Result<Vec<ChatEvent>, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .operator_command(&session, input.chat_id, &input.action.command())
        .await?)
}

/// Invites an online operator into the chat, or offers them the chat.
#[server(endpoint = "offer_chat", input = leptos::server_fn::codec::Json)]
pub async fn offer_chat(input: OfferInput) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .offer_chat(&session, input.chat_id, input.kind, input.target)
        .await?)
}

/// Takes back an invitation or transfer the operator made.
#[server(endpoint = "withdraw_offer", input = leptos::server_fn::codec::Json)]
pub async fn withdraw_offer(input: WithdrawOfferInput) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    context
        .engine
        .operator_command(
            &session,
            input.chat_id,
            &domain::Command::WithdrawOffer {
                target: input.target,
            },
        )
        .await?;
    Ok(())
}

/// Starts a private chat with an online operator.
#[server(endpoint = "start_private_chat", input = leptos::server_fn::codec::Json)]
pub async fn start_private_chat(input: PrivateChatInput) -> Result<MyChat, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .start_private_chat(
            &session,
            input.with,
            &input.message,
            input.client_id.as_deref(),
        )
        .await?)
}

/// Sets which events of a chat alert the operator.
#[server(endpoint = "set_monitoring", input = leptos::server_fn::codec::Json)]
pub async fn set_monitoring(input: MonitoringInput) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .set_monitoring(&session, input.chat_id, input.monitoring)
        .await?)
}

/// Tells the chat's other members that the operator is typing (a message or a note) or has the
/// chat in front of them. Never stored.
#[server(endpoint = "chat_signal", input = leptos::server_fn::codec::Json)]
pub async fn chat_signal(input: ChatSignalInput) -> Result<(), ConsoleError> {
    // Typing is the operator at work; having a chat open in front of them is not.
    let (context, session) = if input.typing == Some(true) {
        ssr::acting_session().await?
    } else {
        ssr::session().await?
    };
    let typing = input.typing.map(|active| (active, input.note));
    Ok(context
        .engine
        .operator_signal(&session, input.chat_id, typing, input.viewing)
        .await?)
}

/// What the chat sidebar shows about the visitor.
#[server(endpoint = "visitor_info")]
pub async fn load_visitor_info(chat_id: ChatId) -> Result<VisitorInfo, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.visitor_info(&session, chat_id).await?)
}

/// Records that the operator has read a chat up to an event.
#[server(endpoint = "mark_read", input = leptos::server_fn::codec::Json)]
pub async fn mark_read(input: MarkReadInput) -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context
        .engine
        .mark_read(&session, input.chat_id, input.up_to)
        .await?)
}

/// Moves a chat to another channel.
#[server(endpoint = "move_chat", input = leptos::server_fn::codec::Json)]
pub async fn move_chat(input: MoveChatInput) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    context
        .engine
        .move_chat(&session, input.chat_id, input.channel)
        .await?;
    Ok(())
}

/// The assignee turns an automatically assigned chat down; it goes to the next candidate.
#[server(endpoint = "decline_assignment")]
pub async fn decline_assignment(chat: ChatId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.decline_assignment(&session, chat).await?)
}
