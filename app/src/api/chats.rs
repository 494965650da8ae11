//! Working a chat: accepting, posting, the chat controls, invitations and transfers, and what
//! the chat's sidebar shows.

use domain::console::{ChatAction, Monitoring, MyChat, VisitorInfo};
use domain::{ChannelId, ChatEvent, ChatId, EventId, OfferKind, OperatorId};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

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
#[server(endpoint = "post_message")]
pub async fn post_message(
    chat_id: ChatId,
    body: String,
    client_id: Option<String>,
    note: Option<bool>,
) -> Result<ChatEvent, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .operator_post(
            &session,
            chat_id,
            &body,
            client_id.as_deref(),
            note.unwrap_or(false),
        )
        .await?)
}

/// One of the chat controls (join, watch, answer an offer, switch role, leave, kick, close,
/// hold, resume). Answers the events it recorded.
#[server(endpoint = "chat_action")]
pub async fn run_chat_action(
    chat_id: ChatId,
    action: ChatAction,
) -> Result<Vec<ChatEvent>, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .operator_command(&session, chat_id, &action.command())
        .await?)
}

/// Invites an online operator into the chat, or offers them the chat.
#[server(endpoint = "offer_chat")]
pub async fn offer_chat(
    chat_id: ChatId,
    kind: OfferKind,
    target: OperatorId,
) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .offer_chat(&session, chat_id, kind, target)
        .await?)
}

/// Takes back an invitation or transfer the operator made.
#[server(endpoint = "withdraw_offer")]
pub async fn withdraw_offer(chat_id: ChatId, target: OperatorId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    context
        .engine
        .operator_command(
            &session,
            chat_id,
            &domain::Command::WithdrawOffer { target },
        )
        .await?;
    Ok(())
}

/// Starts a private chat with an online operator.
#[server(endpoint = "start_private_chat")]
pub async fn start_private_chat(
    with: OperatorId,
    message: String,
    client_id: Option<String>,
) -> Result<MyChat, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .start_private_chat(&session, with, &message, client_id.as_deref())
        .await?)
}

/// Sets which events of a chat alert the operator.
#[server(endpoint = "set_monitoring")]
pub async fn set_monitoring(chat_id: ChatId, monitoring: Monitoring) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .set_monitoring(&session, chat_id, monitoring)
        .await?)
}

/// Tells the chat's other members that the operator is typing (a message or a note) or has the
/// chat in front of them. Never stored.
#[server(endpoint = "chat_signal")]
pub async fn chat_signal(
    chat_id: ChatId,
    typing: Option<bool>,
    note: Option<bool>,
    viewing: Option<bool>,
) -> Result<(), ConsoleError> {
    // Typing is the operator at work; having a chat open in front of them is not.
    let (context, session) = if typing == Some(true) {
        ssr::acting_session().await?
    } else {
        ssr::session().await?
    };
    let typing = typing.map(|active| (active, note.unwrap_or(false)));
    Ok(context
        .engine
        .operator_signal(&session, chat_id, typing, viewing)
        .await?)
}

/// What the chat sidebar shows about the visitor.
#[server(endpoint = "visitor_info")]
pub async fn load_visitor_info(chat_id: ChatId) -> Result<VisitorInfo, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.visitor_info(&session, chat_id).await?)
}

/// Records that the operator has read a chat up to an event.
#[server(endpoint = "mark_read")]
pub async fn mark_read(chat_id: ChatId, up_to: EventId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.mark_read(&session, chat_id, up_to).await?)
}

/// Moves a chat to another channel.
#[server(endpoint = "move_chat")]
pub async fn move_chat(chat_id: ChatId, channel: ChannelId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    context.engine.move_chat(&session, chat_id, channel).await?;
    Ok(())
}

/// The assignee turns an automatically assigned chat down; it goes to the next candidate.
#[server(endpoint = "decline_assignment")]
pub async fn decline_assignment(chat: ChatId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.decline_assignment(&session, chat).await?)
}
