//! My profile: preferences, my invitation's text and my personal access tokens.

use domain::admin::OperatorAccount;
use domain::token::{AccessToken, NewAccessToken};
use domain::{AccessTokenId, ChannelId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// What the My profile form sends (posted as `input[chat_name]`, …); the engine checks it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileInput {
    /// The online chat name, as typed; blank: the operator's name.
    pub chat_name: String,
    /// The chat languages as typed: codes like `en` or `de-AT`, separated by commas or spaces.
    pub languages: String,
    /// The name in invitations, as typed; blank: the chat name.
    pub invitation_name: String,
}

/// The operator's own account, for My profile.
#[server(endpoint = "load_profile")]
pub async fn load_profile() -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.profile(&session).await?)
}

/// Saves the online chat name, chat languages and invitation name.
#[server(endpoint = "save_profile")]
pub async fn save_profile(input: ProfileInput) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .save_profile(
            &session,
            &input.chat_name,
            &input.languages,
            &input.invitation_name,
        )
        .await?)
}

/// My personal access tokens for the operator API, newest first (never their secrets).
#[server(endpoint = "list_access_tokens")]
pub async fn list_access_tokens() -> Result<Vec<AccessToken>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.access_tokens(&session).await?)
}

/// Makes a personal access token; its secret is in this answer only.
#[server(endpoint = "create_access_token")]
pub async fn create_access_token(name: String) -> Result<NewAccessToken, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.create_access_token(&session, &name).await?)
}

/// Revokes one of my tokens: refused from now on, its open streams end.
#[server(endpoint = "revoke_access_token")]
pub async fn revoke_access_token(id: AccessTokenId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.revoke_access_token(&session, id).await?)
}

/// The invitation the operator starts from, in a channel or in none.
#[server(endpoint = "invitation_text")]
pub async fn load_invitation(channel: Option<ChannelId>) -> Result<String, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.invitation_text(&session, channel).await?)
}
