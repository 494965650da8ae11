//! Admin pages: the action log, the bubble, the settings and visitor bans.

use domain::VisitorId;
use domain::admin::BannedVisitor;
use domain::bubble::BubbleSettings;
use domain::log::{ActionFilter, ActionPage};
use domain::settings::{Settings, SettingsForm};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// A page of the action log, newest first, filtered (supervisors and admins); `before` is the
/// previous page's `next_before`.
#[server(endpoint = "action_log", input = leptos::server_fn::codec::Json)]
pub async fn action_log(filter: ActionFilter) -> Result<ActionPage, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.action_log(&session, &filter).await?)
}

/// The bubble's saved settings and the server's address the snippet points at (admins only).
#[server(endpoint = "load_bubble")]
pub async fn load_bubble() -> Result<(BubbleSettings, String), ConsoleError> {
    let (context, session) = ssr::session().await?;
    let settings = context.engine.bubble_settings_for(&session).await?;
    Ok((settings, ssr::origin()))
}

/// Saves the bubble's texts and colour as the admin typed them (admins only); a bad field is
/// named in the error.
#[server(endpoint = "save_bubble", input = leptos::server_fn::codec::Json)]
pub async fn save_bubble(form: BubbleSettings) -> Result<BubbleSettings, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .save_bubble_settings(
            &session,
            &form.title,
            &form.greeting,
            &form.color,
            &form.launcher_label,
        )
        .await?)
}

/// The general settings (admins only).
#[server(endpoint = "load_settings")]
pub async fn load_settings() -> Result<Settings, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.settings_for(&session).await?)
}

/// Saves the general settings (admins only); the first invalid field is named in the error.
#[server(endpoint = "save_settings", input = leptos::server_fn::codec::Json)]
pub async fn save_settings(form: SettingsForm) -> Result<Settings, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.save_settings(&session, &form).await?)
}

/// Visitors barred from new chats after a kick (admins only).
#[server(endpoint = "banned_visitors")]
pub async fn banned_visitors() -> Result<Vec<BannedVisitor>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.banned_visitors(&session).await?)
}

/// Lets a banned visitor start chats again (admins only).
#[server(endpoint = "lift_ban")]
pub async fn lift_ban(visitor: VisitorId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.lift_ban(&session, visitor).await?)
}
