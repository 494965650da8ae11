//! The general settings (A5): admins change them; the services that start chats, take chats
//! on and invite visitors read them. Stored as JSON documents in the settings table.

use domain::console::Role;
use domain::settings::{Settings, SettingsForm};
use domain::{ChannelId, Error};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::operators::Session;
use crate::{Engine, internal};

const KEY: &str = "general";

impl Engine {
    /// A stored settings document, if one was saved.
    pub(crate) async fn load_document<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, Error> {
        match self.store.setting(key).await.map_err(internal)? {
            Some(json) => serde_json::from_str(&json).map(Some).map_err(|err| {
                tracing::error!(error = %err, key, "stored settings");
                Error::internal()
            }),
            None => Ok(None),
        }
    }

    /// Stores a settings document.
    pub(crate) async fn save_document<T: Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), Error> {
        let json = serde_json::to_string(value).map_err(|err| {
            tracing::error!(error = %err, key, "settings");
            Error::internal()
        })?;
        self.store
            .save_setting(key, &json, self.now())
            .await
            .map_err(internal)
    }

    /// The general settings: the saved ones, or the defaults (whether visitors must give their
    /// name defaults to the server's configuration).
    pub async fn settings(&self) -> Result<Settings, Error> {
        Ok(self.load_document(KEY).await?.unwrap_or_else(|| Settings {
            visitor_name_required: self.config.visitor_name_required,
            ..Settings::default()
        }))
    }

    /// The general settings for the settings page (admins only).
    pub async fn settings_for(&self, session: &Session) -> Result<Settings, Error> {
        session.require_role(Role::Admin)?;
        self.settings().await
    }

    /// Saves the general settings (admins only); the first invalid field is named.
    pub async fn save_settings(
        &self,
        session: &Session,
        form: &SettingsForm,
    ) -> Result<Settings, Error> {
        session.require_role(Role::Admin)?;
        let settings = Settings::parse(form)?;
        self.save_document(KEY, &settings).await?;
        self.record(session, "save_settings", None, None).await;
        Ok(settings)
    }

    /// The invitation this operator starts from in a channel (or in none): the channel's text
    /// or the general one, signed with their invitation name (their chat name when unset).
    pub async fn invitation_text(
        &self,
        session: &Session,
        channel: Option<ChannelId>,
    ) -> Result<String, Error> {
        session.require_ready()?;
        let settings = self.settings().await?;
        let channel = match channel {
            Some(id) => Some(self.channel(id).await?),
            None => None,
        };
        let operator = &session.operator;
        let name = if operator.invitation_name.trim().is_empty() {
            operator.display_name()
        } else {
            operator.invitation_name.trim()
        };
        Ok(settings.invitation(
            channel.as_ref().map(|c| (c.name.as_str(), &c.settings)),
            name,
        ))
    }
}
