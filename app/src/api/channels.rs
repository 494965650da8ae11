//! Channels and who serves them.

use domain::ChannelId;
use domain::channel::Channel;
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// Every channel with who serves it (archived ones too).
#[server(endpoint = "list_channels")]
pub async fn list_channels() -> Result<Vec<Channel>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.channels(&session).await?)
}

/// Creates (no `id`) or changes a channel: name, archived, and its own settings (admins only).
#[server(endpoint = "save_channel")]
pub async fn save_channel(
    id: Option<ChannelId>,
    name: String,
    archived: Option<bool>,
    name_required: String,
    invitation_text: String,
    invitation_name: Option<String>,
    routing: Option<String>,
    time_zone: Option<String>,
    business_hours: Option<String>,
) -> Result<Channel, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    let form = engine::ChannelForm {
        id,
        name,
        archived: archived.unwrap_or(false),
        name_required,
        invitation_text,
        invitation_name: invitation_name.unwrap_or_default(),
        routing,
        time_zone,
        business_hours,
    };
    Ok(context.engine.save_channel(&session, form).await?)
}

/// Sets who serves a channel; `operators` is a comma-separated list of ids (admins only).
#[server(endpoint = "set_channel_operators")]
pub async fn set_channel_operators(
    channel: ChannelId,
    operators: String,
) -> Result<Channel, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    let operators = operators
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse()
                .map_err(|_| domain::Error::invalid("operators", "That is not an operator id."))
        })
        .collect::<Result<Vec<domain::OperatorId>, _>>()?;
    Ok(context
        .engine
        .set_channel_operators(&session, channel, operators)
        .await?)
}

/// The operator joins a channel or leaves it; answers every channel.
#[server(endpoint = "join_channel")]
pub async fn join_channel(channel: ChannelId, join: bool) -> Result<Vec<Channel>, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.join_channel(&session, channel, join).await?)
}
