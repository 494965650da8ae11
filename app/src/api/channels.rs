//! Channels and who serves them.

use domain::channel::{Channel, ChannelForm};
use domain::{ChannelId, OperatorId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// Who serves a channel, as an admin sets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelOperatorsInput {
    /// The channel.
    pub channel: ChannelId,
    /// Everyone who serves it from now on (none: nobody).
    #[serde(default)]
    pub operators: Vec<OperatorId>,
}

/// The operator joining a channel or leaving it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinChannelInput {
    /// The channel.
    pub channel: ChannelId,
    /// `true` joins it, `false` leaves it.
    pub join: bool,
}

/// Every channel with who serves it (archived ones too).
#[server(endpoint = "list_channels")]
pub async fn list_channels() -> Result<Vec<Channel>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.channels(&session).await?)
}

/// Creates (no `id`) or changes a channel: name, archived, and its own settings (admins only).
#[server(endpoint = "save_channel", input = leptos::server_fn::codec::Json)]
pub async fn save_channel(form: ChannelForm) -> Result<Channel, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.save_channel(&session, form).await?)
}

/// Sets who serves a channel (admins only).
#[server(endpoint = "set_channel_operators", input = leptos::server_fn::codec::Json)]
pub async fn set_channel_operators(input: ChannelOperatorsInput) -> Result<Channel, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .set_channel_operators(&session, input.channel, input.operators)
        .await?)
}

/// The operator joins a channel or leaves it; answers every channel.
#[server(endpoint = "join_channel", input = leptos::server_fn::codec::Json)]
pub async fn join_channel(input: JoinChannelInput) -> Result<Vec<Channel>, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .join_channel(&session, input.channel, input.join)
        .await?)
}
