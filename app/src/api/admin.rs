//! Admin pages: the action log, the bubble, the settings and visitor bans.

use domain::admin::BannedVisitor;
use domain::bubble::BubbleSettings;
use domain::log::ActionPage;
use domain::settings::Settings;
use domain::{ChatId, OperatorId, VisitorId};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// A page of the action log, newest first, filtered (supervisors and admins). Times are UTC
/// milliseconds; `before` is the previous page's `next_before`.
#[server(endpoint = "action_log")]
pub async fn action_log(
    operator: Option<OperatorId>,
    chat: Option<ChatId>,
    action: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    before: Option<i64>,
) -> Result<ActionPage, ConsoleError> {
    let (context, session) = ssr::session().await?;
    let filter = domain::log::ActionFilter {
        operator,
        chat,
        action: action.filter(|a| !a.is_empty()),
        from: from.map(domain::Timestamp),
        to: to.map(domain::Timestamp),
        before,
    };
    Ok(context.engine.action_log(&session, &filter).await?)
}

/// The bubble's saved settings and the server's address the snippet points at (admins only).
#[server(endpoint = "load_bubble")]
pub async fn load_bubble() -> Result<(BubbleSettings, String), ConsoleError> {
    let (context, session) = ssr::session().await?;
    let settings = context.engine.bubble_settings_for(&session).await?;
    Ok((settings, ssr::origin()))
}

/// Saves the bubble's texts and colour (admins only); a bad field is named in the error.
#[server(endpoint = "save_bubble")]
pub async fn save_bubble(
    title: String,
    greeting: String,
    color: String,
    launcher_label: String,
) -> Result<BubbleSettings, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .save_bubble_settings(&session, &title, &greeting, &color, &launcher_label)
        .await?)
}

/// The general settings (admins only).
#[server(endpoint = "load_settings")]
pub async fn load_settings() -> Result<Settings, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.settings_for(&session).await?)
}

/// Saves the general settings (admins only); the first invalid field is named in the error.
/// A client that leaves out the ban, default-password or escalation fields keeps their saved
/// values.
#[server(endpoint = "save_settings")]
pub async fn save_settings(
    invitation_text: String,
    away_after_minutes: String,
    inactivity_timeout_minutes: String,
    max_chats_per_operator: String,
    visitor_name_required: Option<bool>,
    kick_ban_minutes: Option<String>,
    default_password_days: Option<String>,
    escalate_after_seconds: Option<String>,
    supervisors_after_seconds: Option<String>,
    routing: Option<String>,
    assign_ack_seconds: Option<String>,
    live_support: Option<String>,
    retention_days: Option<String>,
    ice_servers: Option<String>,
) -> Result<Settings, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    let saved = context.engine.settings_for(&session).await?.form();
    let form = domain::settings::SettingsForm {
        invitation_text,
        away_after_minutes,
        inactivity_timeout_minutes,
        max_chats_per_operator,
        visitor_name_required: visitor_name_required.unwrap_or(false),
        kick_ban_minutes: kick_ban_minutes.unwrap_or(saved.kick_ban_minutes),
        default_password_days: default_password_days.unwrap_or(saved.default_password_days),
        escalate_after_seconds: escalate_after_seconds.unwrap_or(saved.escalate_after_seconds),
        supervisors_after_seconds: supervisors_after_seconds
            .unwrap_or(saved.supervisors_after_seconds),
        routing: routing.unwrap_or(saved.routing),
        assign_ack_seconds: assign_ack_seconds.unwrap_or(saved.assign_ack_seconds),
        retention_days: retention_days.unwrap_or(saved.retention_days),
        ice_servers: ice_servers.unwrap_or(saved.ice_servers),
        // A select, so that leaving it out keeps the saved choice.
        live_support: match live_support.as_deref().map(str::trim) {
            None => saved.live_support,
            Some("on") => true,
            Some("off") => false,
            Some(_) => {
                return Err(domain::Error::invalid("live_support", "Choose on or off.").into());
            }
        },
    };
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
