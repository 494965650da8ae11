//! Visitors' data: find, export, erase (P6, admins).

use domain::VisitorId;
use domain::retention::{Erased, VisitorData};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// Visitors by id or by the email address they gave.
#[server(endpoint = "find_visitors")]
pub async fn find_visitors(text: String) -> Result<Vec<VisitorData>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.find_visitors(&session, &text).await?)
}

/// Erases a visitor with their chats and messages.
#[server(endpoint = "erase_visitor")]
pub async fn erase_visitor(visitor_id: VisitorId) -> Result<Erased, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.erase_visitor(&session, visitor_id).await?)
}
