//! Canned messages.

use domain::CannedId;
use domain::canned::CannedMessage;
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// The shared canned messages and the operator's own.
#[server(endpoint = "list_canned")]
pub async fn list_canned() -> Result<Vec<CannedMessage>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.canned_messages(&session).await?)
}

/// Creates (no `id`) or changes a canned message; `shared` ones are for supervisors and admins.
#[server(endpoint = "save_canned")]
pub async fn save_canned(
    id: Option<CannedId>,
    shared: bool,
    title: String,
    shortcut: String,
    body: String,
) -> Result<CannedMessage, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .save_canned(&session, id, shared, &title, &shortcut, &body)
        .await?)
}

/// Deletes a canned message.
#[server(endpoint = "delete_canned")]
pub async fn delete_canned(id: CannedId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.delete_canned(&session, id).await?)
}
