//! Canned messages.

use domain::CannedId;
use domain::canned::CannedMessage;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// A canned message as the operator writes it; the engine checks the texts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedMessageInput {
    /// The message to change; `None` creates one.
    #[serde(default)]
    pub id: Option<CannedId>,
    /// Shared with everyone (supervisors and admins only), or the operator's own.
    #[serde(default)]
    pub shared: bool,
    /// Its title, as typed.
    pub title: String,
    /// Its shortcut, as typed (with or without the slash).
    pub shortcut: String,
    /// Its text, with `%variables%`.
    pub body: String,
}

/// The shared canned messages and the operator's own.
#[server(endpoint = "list_canned")]
pub async fn list_canned() -> Result<Vec<CannedMessage>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.canned_messages(&session).await?)
}

/// Creates (no `id`) or changes a canned message; `shared` ones are for supervisors and admins.
#[server(endpoint = "save_canned", input = leptos::server_fn::codec::Json)]
pub async fn save_canned(input: CannedMessageInput) -> Result<CannedMessage, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .save_canned(
            &session,
            input.id,
            input.shared,
            &input.title,
            &input.shortcut,
            &input.body,
        )
        .await?)
}

/// Deletes a canned message.
#[server(endpoint = "delete_canned")]
pub async fn delete_canned(id: CannedId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.delete_canned(&session, id).await?)
}
