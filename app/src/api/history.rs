//! History: past chats searched and read (O28).

use domain::ChatId;
use domain::history::{HistoryPage, HistoryQuery};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// A page of past chats the operator may see, matching the search.
#[server(endpoint = "search_history", input = leptos::server_fn::codec::Json)]
pub async fn search_history(query: HistoryQuery) -> Result<HistoryPage, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.search_history(&session, &query).await?)
}

/// A past chat, read-only, with its private notes, as the text its download holds.
#[server(endpoint = "history_chat")]
pub async fn history_chat(chat_id: ChatId) -> Result<String, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context
        .engine
        .operator_transcript(&session, chat_id, true)
        .await?
        .to_text("Chat transcript"))
}
