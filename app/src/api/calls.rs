//! Voice calls (V7 O26): the operator's side of a call in a chat.

use domain::ChatId;
use domain::call::CallSignal;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// A signal for the visitor of a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSignalInput {
    /// The chat.
    pub chat_id: ChatId,
    /// What to tell the visitor's browser.
    pub signal: CallSignal,
}

/// The STUN and TURN servers calls connect through (Settings).
#[server(endpoint = "ice_servers")]
pub async fn ice_servers() -> Result<Vec<domain::call::IceServer>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.ice_servers(&session).await?)
}

/// Calls the chat's visitor.
#[server(endpoint = "start_call", input = leptos::server_fn::codec::Json)]
pub async fn start_call(chat_id: ChatId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    context.engine.start_call(&session, chat_id).await?;
    Ok(())
}

/// Hangs up.
#[server(endpoint = "end_call", input = leptos::server_fn::codec::Json)]
pub async fn end_call(chat_id: ChatId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.end_call(&session, chat_id).await?)
}

/// Relays a signal to the visitor's browser.
#[server(endpoint = "call_signal", input = leptos::server_fn::codec::Json)]
pub async fn send_call_signal(input: CallSignalInput) -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context
        .engine
        .operator_call_signal(&session, input.chat_id, input.signal)
        .await?)
}
