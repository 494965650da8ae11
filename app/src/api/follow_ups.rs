//! Follow-ups: messages left while live chat was not offered.

use domain::FollowUpId;
use domain::followup::FollowUp;
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// Messages visitors left while live chat was not offered: the open ones, or the closed.
#[server(endpoint = "follow_ups")]
pub async fn follow_ups(closed: Option<bool>) -> Result<Vec<FollowUp>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context
        .engine
        .follow_ups(&session, closed.unwrap_or(false))
        .await?)
}

/// Closes a follow-up once it is answered.
#[server(endpoint = "close_follow_up")]
pub async fn close_follow_up(id: FollowUpId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.close_follow_up(&session, id).await?)
}
